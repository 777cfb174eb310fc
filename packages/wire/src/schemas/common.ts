/**
 * Field decoders shared by every schema: identifiers, key material and the username
 * rule. Each names its bound; the schemas in this folder compose them.
 */
import { bytes, type Decoder, int, str } from '../decode.ts';

/** 3-32 chars, lowercase letters, digits, underscore, starting with a letter. Stored lowercase. */
export const USERNAME_PATTERN = /^[a-z][a-z0-9_]{2,31}$/;
export const username: Decoder<string> = str(32, USERNAME_PATTERN);

/** Account ids are UUIDs chosen by the server. */
export const ACCOUNT_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const accountId: Decoder<string> = str(36, ACCOUNT_ID_PATTERN);
/** Group ids are 16 random bytes chosen by the creating client, as 32 lowercase hex digits. */
export const GROUP_ID_PATTERN = /^[0-9a-f]{32}$/;
export const groupId: Decoder<string> = str(32, GROUP_ID_PATTERN);

export const u32 = int(0, 0xffffffff);
export const keyId = int(0, 0xffffff);
export const registrationId = int(1, 16380);
export const deviceId = int(1, 127);
export const timestampMs = int(0, Number.MAX_SAFE_INTEGER);
export const ecPublicKey = bytes(33, 33);
export const kemPublicKey = bytes(1569, 1569);
export const signature = bytes(64, 64);
/** 32 random bytes: device passwords, link tokens, provisioning read tokens. */
export const secret32 = bytes(32, 32);
