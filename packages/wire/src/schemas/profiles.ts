/**
 * Encrypted profiles (Signal-style): an account's profile name and picture, sealed
 * by its devices with the account's profile key (AES-256-GCM), which only its
 * contacts receive, end-to-end encrypted. The server keeps only ciphertext, the
 * version (a value derived from the profile key, so only key holders can name it)
 * and the access key (derived from the profile key, for sealed sender).
 */
import { bytes, type Decoder, invalid, object, str } from '../decode.ts';
import { LIMITS } from '../limits.ts';

/** AES-256-GCM: a 12-byte nonce before the ciphertext, a 16-byte tag after it. */
export const PROFILE_CIPHER_OVERHEAD = 12 + 16;
/** A profile name is padded to one of these lengths before encryption (Signal's 53 and 257), so its ciphertext leaks only which. */
export const PROFILE_NAME_BUCKETS = [53, 257] as const;

/** 64 lowercase hex characters (HKDF of the profile key). */
export const profileVersion: Decoder<string> = str(64, /^[0-9a-f]{64}$/);
/** Signal's unidentified-access key: 16 bytes derived from the profile key. */
export const accessKey: Decoder<Uint8Array> = bytes(16, 16);

/** An encrypted, padded profile name: exactly one of the bucket sizes plus the cipher overhead. */
export const encryptedProfileName: Decoder<Uint8Array> = (v, p) => {
  const b = bytes(PROFILE_NAME_BUCKETS[0] + PROFILE_CIPHER_OVERHEAD, PROFILE_NAME_BUCKETS[1] + PROFILE_CIPHER_OVERHEAD)(v, p);
  if (!PROFILE_NAME_BUCKETS.some((n) => b.length === n + PROFILE_CIPHER_OVERHEAD)) invalid(p, 'is not an encrypted profile name of a padded length');
  return b;
};
/** An encrypted profile picture: at most LIMITS.maxProfileAvatarBytes of plaintext. */
export const encryptedAvatar: Decoder<Uint8Array> = bytes(PROFILE_CIPHER_OVERHEAD + 1, LIMITS.maxProfileAvatarBytes + PROFILE_CIPHER_OVERHEAD);

/** `PUT /v1/profile` (authenticated): replaces the account's profile; without `avatar`, it has none. */
export const setProfileRequest = object({ version: profileVersion, name: encryptedProfileName, accessKey }, { avatar: encryptedAvatar });
export type SetProfileRequest = ReturnType<typeof setProfileRequest>;

/** `GET /v1/profile/:username/:version`: the profile's ciphertext, only for its current version. */
export const profileResponse = object({ version: profileVersion, name: encryptedProfileName }, { avatar: encryptedAvatar });
export type ProfileResponse = ReturnType<typeof profileResponse>;
