/**
 * Messages to one account: a copy encrypted for each of its devices (1:1 Signal
 * sessions). The server checks the copies cover exactly the current device list.
 */
import { array, bool, bytes, object, oneOf } from '../decode.ts';
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
