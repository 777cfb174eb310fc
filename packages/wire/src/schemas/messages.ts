/**
 * Messages to one account: a copy encrypted for each of its devices (1:1 Signal
 * sessions). The server checks the copies cover exactly the current device list.
 */
import { array, bool, bytes, type Decoder, invalid, object, oneOf } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { deviceId, registrationId, timestampMs } from './common.ts';

export const outgoingMessage = object({
  deviceId,
  registrationId,
  type: oneOf('prekey', 'whisper'),
  content: bytes(1, LIMITS.maxMessageBytes),
});
export const sendRequest = object(
  {
    /** Sender's clock (ms); with the client message id, lets recipients drop duplicates. */
    timestamp: timestampMs,
    messages: array(outgoingMessage, LIMITS.maxDevicesPerAccount, 1),
  },
  {
    /** Call signaling and typing: dropped by the server after a minute instead of queued for days. */
    ephemeral: bool,
  },
);
export type SendRequest = ReturnType<typeof sendRequest>;

/**
 * The HTTP header of a sealed send: base64 of the recipient's 16-byte unidentified-access
 * key (derived from their profile key). With it the request carries no credentials.
 */
export const UNIDENTIFIED_ACCESS_KEY_HEADER = 'unidentified-access-key';
export const ACCESS_KEY_BYTES = 16;

/** One device's copy of a sealed message: its sender (and message type) are inside the seal. */
export const sealedOutgoingMessage = object({
  deviceId,
  registrationId,
  content: bytes(1, LIMITS.maxSealedMessageBytes),
});
/**
 * A sealed send, `PUT /v1/messages/:username` with the access-key header and no
 * credentials: the server learns the recipient, never the sender.
 */
export const sealedSendRequest = object(
  {
    timestamp: timestampMs,
    messages: array(sealedOutgoingMessage, LIMITS.maxDevicesPerAccount, 1),
  },
  { ephemeral: bool },
);
export type SealedSendRequest = ReturnType<typeof sealedSendRequest>;

/**
 * A sealed group send (sealed sender v2), `PUT /v1/messages/multi-recipient?ts=<ms>`:
 * the body is the multi-recipient sent message itself (bytes, this Content-Type), the
 * `Unidentified-Access-Key` header the XOR of every recipient's access key, and there are
 * no credentials. The server splits it and queues each recipient device its part.
 */
export const MULTI_RECIPIENT_CONTENT_TYPE = 'application/vnd.signal-messenger.mrm';
/** The largest sent message: a sealed message's content for a full group of accounts with every device (17-byte id, 3 bytes a device, 48 bytes of keys each). */
export const MAX_MULTI_RECIPIENT_BODY_BYTES = LIMITS.maxSealedMessageBytes + LIMITS.maxGroupMembers * (17 + 3 * LIMITS.maxDevicesPerAccount + 48) + 16;
/**
 * What one sealed group send may expand to: recipient accounts × the size of each one's
 * part (the server holds and stores a part per account). 16 MiB lets a 1,024-member group
 * get 16 KiB parts, far above a sender-key text message, and a small group the largest.
 */
export const MAX_MULTI_RECIPIENT_SPLIT_BYTES = 16 * 1024 * 1024;
/** A timestamp in a URL: digits only, no sign, no leading zeros, at most 2^53 - 1. */
const decimalTimestamp: Decoder<number> = (v, p) => {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v)) invalid(p, 'expected a timestamp in milliseconds (decimal digits)');
  const n = Number(v);
  if (n > Number.MAX_SAFE_INTEGER) invalid(p, 'expected a timestamp below 2^53');
  return n;
};
/** Its query string: the sender's timestamp (ms), nothing else. */
export const multiRecipientQuery = object({ ts: decimalTimestamp });

/** The answer to a send (HTTP and socket): the envelopes are on durable storage. */
export const sendResponse = object({ serverTimestamp: timestampMs });
export type SendResponse = ReturnType<typeof sendResponse>;

export interface MismatchedDevicesBody {
  missingDevices: number[];
  extraDevices: number[];
}
export interface StaleDevicesBody {
  staleDevices: number[];
}
