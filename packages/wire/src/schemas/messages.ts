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
