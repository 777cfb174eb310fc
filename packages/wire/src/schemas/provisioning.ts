/**
 * The provisioning channel: a short-lived mailbox on the server through which an
 * existing device sends a new one the account's identity, end-to-end encrypted.
 * The new device opens it with an ephemeral public key and shows the channel id
 * and a secret (as a QR code and a short code); the server sees neither the secret
 * nor anything it could decrypt the message with.
 */
import { bytes, object, str } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { ecPublicKey, secret32, timestampMs } from './common.ts';

/** Channel ids: 10 characters of a 32-letter alphabet without look-alikes. */
export const CHANNEL_ID_PATTERN = /^[a-km-np-z2-9]{10}$/;
export const channelId = str(10, CHANNEL_ID_PATTERN);
/** The header the new device reads its channel with. */
export const PROVISIONING_TOKEN_HEADER = 'x-parley-provisioning-token';

/** `POST /v1/provisioning` (no authentication; limited per address). */
export const openChannelRequest = object({ publicKey: ecPublicKey });
export const openChannelResponse = object({ channelId, readToken: secret32, expiresAt: timestampMs });
export type OpenChannelResponse = ReturnType<typeof openChannelResponse>;

/** `GET /v1/provisioning/:channelId` (an existing, authenticated device). */
export const channelKeyResponse = object({ publicKey: ecPublicKey });

/** `PUT /v1/provisioning/:channelId` (authenticated): once; CONFLICT after. */
export const provisioningMessageRequest = object({ message: bytes(1, LIMITS.maxProvisioningMessageBytes) });
/**
 * `GET /v1/provisioning/:channelId/message` with the read token header: waits up to
 * LIMITS.provisioningPollMs, then answers 200 with the message (deleting it) or 204.
 */
export const provisioningMessageResponse = provisioningMessageRequest;
