/**
 * Every request, response and WebSocket frame of the client-server protocol as a
 * typed value with one strict decoder. Binary fields travel as standard base64.
 * The server never sees plaintext: message `content` is Signal ciphertext.
 */
import { array, bool, bytes, type Decoder, int, object, oneOf, str } from './decode.ts';
import { LIMITS } from './limits.ts';

/** 3-32 chars, lowercase letters, digits, underscore, starting with a letter. Stored lowercase. */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_]{2,31}$/;
export const username: Decoder<string> = str(32, USERNAME_PATTERN);

const u32 = int(0, 0xffffffff);
const keyId = int(0, 0xffffff);
const registrationId = int(1, 16380);
const deviceId = int(1, 127);
const ecPublicKey = bytes(33, 33);
const kemPublicKey = bytes(1569, 1569);
const signature = bytes(64, 64);

export const signedPreKey = object({ keyId, publicKey: ecPublicKey, signature });
export const kemSignedPreKey = object({ keyId, publicKey: kemPublicKey, signature });
export const oneTimePreKey = object({ keyId, publicKey: ecPublicKey });

export const registerRequest = object({
  username,
  /** 32 random bytes chosen by the device; the server keeps only a keyed hash. */
  password: bytes(32, 32),
  registrationId,
  identityKey: ecPublicKey,
  signedPreKey,
  pqLastResortPreKey: kemSignedPreKey,
});
export type RegisterRequest = ReturnType<typeof registerRequest>;
export interface RegisterResponse {
  accountId: string;
  deviceId: number;
  username: string;
}

export const uploadKeysRequest = object(
  {},
  {
    preKeys: array(oneTimePreKey, LIMITS.maxPreKeysPerUpload),
    pqPreKeys: array(kemSignedPreKey, LIMITS.maxPreKeysPerUpload),
    signedPreKey,
    pqLastResortPreKey: kemSignedPreKey,
  },
);
export type UploadKeysRequest = ReturnType<typeof uploadKeysRequest>;

export interface PreKeyCount {
  preKeys: number;
  pqPreKeys: number;
}

/** Public keys of one device, as fetched by a peer (JSON form; binary as base64). */
export interface DeviceBundleJson {
  deviceId: number;
  registrationId: number;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  pqPreKey: { keyId: number; publicKey: string; signature: string };
  preKey?: { keyId: number; publicKey: string };
}
export interface BundleResponseJson {
  accountId: string;
  username: string;
  identityKey: string;
  devices: DeviceBundleJson[];
}

export const outgoingMessage = object({
  deviceId,
  registrationId,
  type: oneOf('prekey', 'whisper'),
  content: bytes(1, LIMITS.maxMessageBytes),
});
export const sendRequest = object(
  {
    /** Sender's clock (ms); with the client message id, lets recipients drop duplicates. */
    timestamp: int(0, Number.MAX_SAFE_INTEGER),
    messages: array(outgoingMessage, LIMITS.maxDevicesPerAccount, 1),
  },
  {
    /** Call signaling: dropped by the server after a minute instead of queued for days. */
    ephemeral: bool,
  },
);
export type SendRequest = ReturnType<typeof sendRequest>;

export interface MismatchedDevicesBody {
  missingDevices: number[];
  extraDevices: number[];
}
export interface StaleDevicesBody {
  staleDevices: number[];
}

/** Server -> client frames. */
export interface EnvelopeFrame {
  type: 'envelope';
  /** Server-assigned, increasing per device; acknowledge with it. */
  id: number;
  sourceAccountId: string;
  sourceUsername: string;
  sourceDeviceId: number;
  timestamp: number;
  serverTimestamp: number;
  messageType: 'prekey' | 'whisper';
  content: string;
  ephemeral: boolean;
}
/** The answer to a `send` frame: stored durably (as `PUT /v1/messages` answers 200). */
export interface SentFrame {
  type: 'sent';
  requestId: number;
  serverTimestamp: number;
}
/** The answer to a `send` frame that was refused; the socket stays open. Details as for HTTP. */
export interface SendFailedFrame {
  type: 'send-failed';
  requestId: number;
  code: string;
  message: string;
  missingDevices?: readonly number[];
  extraDevices?: readonly number[];
  staleDevices?: readonly number[];
}
export type ServerFrame =
  | EnvelopeFrame
  | SentFrame
  | SendFailedFrame
  | { type: 'ready' }
  | { type: 'queue-empty' }
  /** Sent with every heartbeat, so clients that cannot see WebSocket pings (browsers) know the server is there. */
  | { type: 'ping' }
  | { type: 'error'; code: string; message: string };

/** Decodes a frame from the server (clients treat the server as untrusted input too). */
const envelopeFrame = object({
  type: oneOf('envelope'),
  id: int(1, Number.MAX_SAFE_INTEGER),
  sourceAccountId: str(64, /^[0-9a-f-]{1,64}$/),
  sourceUsername: username,
  sourceDeviceId: deviceId,
  timestamp: int(0, Number.MAX_SAFE_INTEGER),
  serverTimestamp: int(0, Number.MAX_SAFE_INTEGER),
  messageType: oneOf('prekey', 'whisper'),
  content: str(Math.ceil(LIMITS.maxMessageBytes / 3) * 4 + 4, /^[A-Za-z0-9+/]*={0,2}$/),
  ephemeral: bool,
});
const simpleFrame = object({ type: oneOf('ready', 'queue-empty', 'ping') });
const deviceLists = { missingDevices: array(deviceId, 6), extraDevices: array(deviceId, 6), staleDevices: array(deviceId, 6) };
const errorFrame = object({ type: oneOf('error'), code: str(64), message: str(1000) }, { requiredVersion: str(32), ...deviceLists });
const requestId = int(1, 0x7fffffff);
const sentFrame = object({ type: oneOf('sent'), requestId, serverTimestamp: int(0, Number.MAX_SAFE_INTEGER) });
const sendFailedFrame = object({ type: oneOf('send-failed'), requestId, code: str(64), message: str(1000) }, deviceLists);

export const serverFrame: Decoder<ServerFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'envelope') return envelopeFrame(v, p) as EnvelopeFrame;
  if (t === 'error') return errorFrame(v, p) as ServerFrame;
  if (t === 'sent') return sentFrame(v, p) as SentFrame;
  if (t === 'send-failed') return sendFailedFrame(v, p) as SendFailedFrame;
  return simpleFrame(v, p) as ServerFrame;
};

/** Client -> server frames. */
export const authFrame = object({
  type: oneOf('auth'),
  version: str(32),
  accountId: str(64, /^[0-9a-f-]{1,64}$/),
  deviceId,
  password: bytes(32, 32),
});
export const ackFrame = object({ type: oneOf('ack'), id: int(1, Number.MAX_SAFE_INTEGER) });
/**
 * A message send over the authenticated socket: the same request as
 * `PUT /v1/messages/:to`, answered by a `sent` or `send-failed` frame with the same
 * `requestId` (saves a connection and an HTTP exchange per message).
 */
export const sendFrame = object({ type: oneOf('send'), requestId, to: str(64), request: sendRequest });
export type AuthFrame = ReturnType<typeof authFrame>;
export type AckFrame = ReturnType<typeof ackFrame>;
export type SendFrame = ReturnType<typeof sendFrame>;

export const clientFrame: Decoder<AuthFrame | AckFrame | SendFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'auth') return authFrame(v, p);
  if (t === 'send') return sendFrame(v, p);
  return ackFrame(v, p);
};

export { u32 };
