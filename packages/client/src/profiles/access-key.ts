/**
 * The unidentified-access key (sealed sender), derived from a profile key as Signal
 * does (`UnidentifiedAccess.deriveAccessKeyFrom`): AES-256-GCM under the 32-byte
 * profile key with an all-zero 12-byte nonce over 16 zero bytes, the first 16 bytes
 * of the output. Only holders of the profile key (our contacts) can compute it; the
 * server is given it with our profile (`PUT /v1/profile`).
 */
import { gcm } from '@noble/ciphers/aes.js';

export const ACCESS_KEY_BYTES = 16;

export function deriveAccessKey(profileKey: Uint8Array): Uint8Array {
  if (!(profileKey instanceof Uint8Array) || profileKey.length !== 32) {
    throw new TypeError(`deriveAccessKey: a profile key is 32 bytes, got ${profileKey instanceof Uint8Array ? `${profileKey.length} bytes` : typeof profileKey}`);
  }
  // Why a fixed nonce is safe here: the plaintext is fixed too, so this is a PRF of the key, not encryption.
  return gcm(profileKey, new Uint8Array(12)).encrypt(new Uint8Array(ACCESS_KEY_BYTES)).subarray(0, ACCESS_KEY_BYTES);
}
