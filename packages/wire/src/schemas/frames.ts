/**
 * WebSocket frames, both directions, of both sockets: the authenticated device socket
 * (`/v1/websocket`) and the unidentified socket (`/v1/websocket/unidentified`, sealed
 * sends only, at the end of this file). Clients treat the server as untrusted input
 * too: every server frame has a strict decoder here.
 */
import { array, bool, type Decoder, int, invalid, object, oneOf, str } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { accountId, deviceId, groupId, secret32, timestampMs, username } from './common.ts';
import { groupSendRequest, type GroupSendRequest } from './groups.ts';
import { sealedSendRequest, sendRequest, type SealedSendRequest, type SendRequest } from './messages.ts';
import { accessKey } from './profiles.ts';

/**
 * How an envelope's content is to be read: a 1:1 Signal message (`prekey`, `whisper`),
 * a Sender Key group message (`senderkey`, with `groupId`), a server-written
 * `group-update` (JSON of groups.ts's `groupUpdateEvent`, with `groupId`), or a
 * `sealed` 1:1 message (sealed sender v1: the sender is inside the encryption).
 */
export type EnvelopeType = 'prekey' | 'whisper' | 'senderkey' | 'group-update' | 'sealed';

interface EnvelopeCommon {
  type: 'envelope';
  /** Server-assigned, increasing per device; acknowledge with it. */
  id: number;
  timestamp: number;
  serverTimestamp: number;
  content: string;
  ephemeral: boolean;
}
/** An envelope whose sender the server knows (and names). */
export interface IdentifiedEnvelopeFrame extends EnvelopeCommon {
  sourceAccountId: string;
  sourceUsername: string;
  sourceDeviceId: number;
  messageType: Exclude<EnvelopeType, 'sealed'>;
  groupId?: string;
}
/** A sealed-sender envelope: no source; the recipient learns the sender by opening it. */
export interface SealedEnvelopeFrame extends EnvelopeCommon {
  messageType: 'sealed';
}
/** Server -> client frames. */
export type EnvelopeFrame = IdentifiedEnvelopeFrame | SealedEnvelopeFrame;
/** The answer to a `send` or `group-send` frame: stored durably (as the HTTP send answers 200). */
export interface SentFrame {
  type: 'sent';
  requestId: number;
  serverTimestamp: number;
}
/** The answer to a send that was refused; the socket stays open. Details as for HTTP. */
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

const envelopeContent = str(Math.ceil(Math.max(LIMITS.maxMessageBytes, LIMITS.maxSealedMessageBytes) / 3) * 4 + 4, /^[A-Za-z0-9+/]*={0,2}$/);
const envelopeFrame = object(
  {
    type: oneOf('envelope'),
    id: int(1, Number.MAX_SAFE_INTEGER),
    sourceAccountId: accountId,
    sourceUsername: username,
    sourceDeviceId: deviceId,
    timestamp: timestampMs,
    serverTimestamp: timestampMs,
    messageType: oneOf('prekey', 'whisper', 'senderkey', 'group-update'),
    content: envelopeContent,
    ephemeral: bool,
  },
  { groupId },
);
/** A sealed envelope has no source and no group: a frame that names either is refused. */
const sealedEnvelopeFrame = object({
  type: oneOf('envelope'),
  id: int(1, Number.MAX_SAFE_INTEGER),
  timestamp: timestampMs,
  serverTimestamp: timestampMs,
  messageType: oneOf('sealed'),
  content: envelopeContent,
  ephemeral: bool,
});
const simpleFrame = object({ type: oneOf('ready', 'queue-empty', 'ping') });
const deviceLists = { missingDevices: array(deviceId, LIMITS.maxDevicesPerAccount), extraDevices: array(deviceId, LIMITS.maxDevicesPerAccount), staleDevices: array(deviceId, LIMITS.maxDevicesPerAccount) };
const errorFrame = object({ type: oneOf('error'), code: str(64), message: str(1000) }, { requiredVersion: str(32), retryAfter: int(1, 86_400), ...deviceLists });
const requestId = int(1, 0x7fffffff);
const sentFrame = object({ type: oneOf('sent'), requestId, serverTimestamp: timestampMs });
const sendFailedFrame = object({ type: oneOf('send-failed'), requestId, code: str(64), message: str(1000) }, deviceLists);

export const serverFrame: Decoder<ServerFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'envelope') {
    if ((v as { messageType?: unknown }).messageType === 'sealed') return sealedEnvelopeFrame(v, p) as SealedEnvelopeFrame;
    const e = envelopeFrame(v, p) as IdentifiedEnvelopeFrame;
    // A group message or update names its group; a 1:1 message does not.
    const grouped = e.messageType === 'senderkey' || e.messageType === 'group-update';
    if (grouped !== (e.groupId !== undefined)) invalid(p, grouped ? 'groupId is required for this messageType' : 'groupId is only for group envelopes');
    return e;
  }
  if (t === 'error') return errorFrame(v, p) as ServerFrame;
  if (t === 'sent') return sentFrame(v, p) as SentFrame;
  if (t === 'send-failed') return sendFailedFrame(v, p) as SendFailedFrame;
  return simpleFrame(v, p) as ServerFrame;
};

/** Client -> server frames. */
export const authFrame = object({
  type: oneOf('auth'),
  version: str(32),
  accountId,
  deviceId,
  password: secret32,
});
const envelopeId = int(1, Number.MAX_SAFE_INTEGER);
const ackOne = object({ type: oneOf('ack'), id: envelopeId });
const ackMany = object({ type: oneOf('ack'), ids: array(envelopeId, LIMITS.maxUnackedEnvelopes, 1) });
/** Acknowledged envelopes, by id: one frame may name all those a client processed in one turn. */
export interface AckFrame {
  readonly type: 'ack';
  readonly ids: readonly number[];
}
/**
 * `{type: "ack", ids: [...]}` (at most LIMITS.maxUnackedEnvelopes ids: no more can be in
 * flight), or `{type: "ack", id}`, the only form earlier clients send (still accepted, and
 * what clients send for a single id, which earlier servers understand). Decoded to the list
 * either way.
 */
export const ackFrame: Decoder<AckFrame> = (v, p) => {
  if (typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'ids')) return ackMany(v, p);
  return Object.freeze({ type: 'ack', ids: Object.freeze([ackOne(v, p).id]) });
};
/**
 * A message send over the authenticated socket: the same request as
 * `PUT /v1/messages/:to`, answered by a `sent` or `send-failed` frame with the same
 * `requestId` (saves a connection and an HTTP exchange per message).
 */
export const sendFrame = object({ type: oneOf('send'), requestId, to: str(64), request: sendRequest });
/** A group send over the socket: the body of `PUT /v1/groups/:groupId/messages`. */
export const groupSendFrame = object({ type: oneOf('group-send'), requestId, groupId, request: groupSendRequest });
export type AuthFrame = ReturnType<typeof authFrame>;
export type SendFrame = { readonly type: 'send'; readonly requestId: number; readonly to: string; readonly request: SendRequest };
export type GroupSendFrame = { readonly type: 'group-send'; readonly requestId: number; readonly groupId: string; readonly request: GroupSendRequest };
export type ClientFrame = AuthFrame | AckFrame | SendFrame | GroupSendFrame;

export const clientFrame: Decoder<ClientFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'auth') return authFrame(v, p);
  if (t === 'send') return sendFrame(v, p);
  if (t === 'group-send') return groupSendFrame(v, p);
  return ackFrame(v, p);
};

/**
 * The unidentified socket: a WebSocket that never authenticates, over which a client
 * hands the server its sealed 1:1 sends (sealed sender v1) instead of one HTTP request
 * each. A `sealed-send` frame carries what `PUT /v1/messages/:to` with the
 * `Unidentified-Access-Key` header carries, and is answered by a `sent` or
 * `send-failed` frame with its `requestId`; the server sends a `ping` frame with each
 * heartbeat, and an `error` frame before closing it. Nothing else: no `auth`, no
 * `ready`, no envelopes (the socket has no identity, so nothing is delivered over it).
 * The client's version is the `version` query parameter (a browser cannot set headers).
 */
export const UNIDENTIFIED_SOCKET_PATH = '/v1/websocket/unidentified';

/**
 * The largest `sealed-send` frame: every device's copy at the sealed size bound, in
 * base64 with its ids and punctuation, plus the rest of the frame. The server refuses a
 * larger frame as soon as its header announces it.
 */
export const MAX_SEALED_SEND_FRAME_BYTES = LIMITS.maxDevicesPerAccount * (Math.ceil(LIMITS.maxSealedMessageBytes / 3) * 4 + 128) + 1024;

/** A sealed send as one frame of the unidentified socket. */
export interface SealedSendFrame {
  readonly type: 'sealed-send';
  readonly requestId: number;
  /** The recipient's username (a malformed or unknown one is refused like a wrong key, as over HTTP). */
  readonly to: string;
  /** The recipient's 16-byte unidentified-access key (base64 on the wire). */
  readonly accessKey: Uint8Array;
  readonly request: SealedSendRequest;
}
const sealedSendFrame = object({ type: oneOf('sealed-send'), requestId, to: str(64), accessKey, request: sealedSendRequest });
/** Client -> server on the unidentified socket: `sealed-send` is the only frame (an `auth` frame is refused as malformed). */
export const unidentifiedClientFrame: Decoder<SealedSendFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'auth') invalid(p ? `${p}.type` : 'type', 'this socket carries sealed sends only and never authenticates; authenticate on /v1/websocket');
  return sealedSendFrame(v, p) as SealedSendFrame;
};

/** Server -> client on the unidentified socket. */
export type UnidentifiedServerFrame = SentFrame | SendFailedFrame | { type: 'ping' } | { type: 'error'; code: string; message: string };
const pingFrame = object({ type: oneOf('ping') });
/** Decodes what the server sends on the unidentified socket: an envelope, `ready` or anything else is refused. */
export const unidentifiedServerFrame: Decoder<UnidentifiedServerFrame> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (t === 'sent') return sentFrame(v, p) as SentFrame;
  if (t === 'send-failed') return sendFailedFrame(v, p) as SendFailedFrame;
  if (t === 'error') return errorFrame(v, p) as UnidentifiedServerFrame;
  return pingFrame(v, p) as { type: 'ping' };
};
