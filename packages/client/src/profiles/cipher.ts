/**
 * How a profile is sealed under its profile key, for the server to keep and only
 * key holders to read: the name padded to one of PROFILE_NAME_BUCKETS bytes (53 or
 * 257, as Signal) so its ciphertext does not tell its length, and the picture as it
 * is, each AES-256-GCM with a random 12-byte nonce (`nonce ‖ ciphertext ‖ tag`,
 * internal/seal.ts), bound by associated data to what it is (a name cannot pass for
 * a picture). The version the server files it under is HKDF of the key, so only
 * key holders can name it. Anything that does not open, or opens to something that
 * is not a valid name, is PROFILE_UNREADABLE, never a garbage name.
 */
import { LIMITS, PROFILE_NAME_BUCKETS } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { deriveKey, open, seal, SealError } from '../internal/seal.ts';
import { hex } from '../internal/random.ts';

/** A profile name: at most this many characters (and PROFILE_NAME_BUCKETS' largest in UTF-8 bytes). */
export const MAX_PROFILE_NAME_LENGTH = 128;
export const MAX_PROFILE_NAME_BYTES: number = PROFILE_NAME_BUCKETS[1];
export const MAX_AVATAR_BYTES = LIMITS.maxProfileAvatarBytes;

const NAME_AAD = new TextEncoder().encode('Parley profile name v1');
const AVATAR_AAD = new TextEncoder().encode('Parley profile avatar v1');
/** Control characters and bidirectional overrides: a name cannot hide text or reorder what is shown around it. */
const FORBIDDEN = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** The version a profile sealed under `key` is filed under: 64 hex characters. */
export function profileVersion(key: Uint8Array): string {
  return hex(deriveKey(key, undefined, 'Parley profile version v1'));
}

/** Why `name` cannot be a profile name, or undefined when it can (after trimming). */
export function nameProblem(name: string): string | undefined {
  if (name.length > MAX_PROFILE_NAME_LENGTH || new TextEncoder().encode(name).length > MAX_PROFILE_NAME_BYTES) {
    return `a profile name is at most ${MAX_PROFILE_NAME_LENGTH} characters (${MAX_PROFILE_NAME_BYTES} bytes); shorten it`;
  }
  if (FORBIDDEN.test(name)) return 'a profile name cannot contain control characters or text-direction overrides; type it again';
  if (name !== name.trim()) return 'a profile name cannot start or end with spaces';
  return undefined;
}

export function encryptProfileName(key: Uint8Array, name: string): Uint8Array {
  const problem = nameProblem(name);
  if (problem) throw new ClientError('INVALID_PROFILE', problem);
  const bytes = new TextEncoder().encode(name);
  const padded = new Uint8Array(PROFILE_NAME_BUCKETS.find((n) => bytes.length <= n)!);
  padded.set(bytes);
  return seal(key, padded, NAME_AAD);
}

function unreadable(of: string, why: string): ClientError {
  return new ClientError('PROFILE_UNREADABLE', `the profile of ${of} could not be read (${why}); it is not shown. They may have a new profile key: it comes with their next message`);
}

/** The name sealed in `sealed` ('' for none); PROFILE_UNREADABLE if it does not open or is not a valid name. `of` names whose it is. */
export function decryptProfileName(key: Uint8Array, sealed: Uint8Array, of: string): string {
  let padded: Uint8Array;
  try {
    padded = open(key, sealed, NAME_AAD);
  } catch (e) {
    if (e instanceof SealError) throw unreadable(of, 'it does not open with their profile key');
    throw e;
  }
  if (!(PROFILE_NAME_BUCKETS as readonly number[]).includes(padded.length)) throw unreadable(of, 'the name is not padded');
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(padded.subarray(0, end));
  } catch {
    throw unreadable(of, 'the name is not text');
  }
  if (nameProblem(name)) throw unreadable(of, 'the name is not a valid profile name');
  return name;
}

export function encryptAvatar(key: Uint8Array, image: Uint8Array): Uint8Array {
  if (image.length === 0 || image.length > MAX_AVATAR_BYTES) throw new ClientError('INVALID_PROFILE', `a profile picture is 1 byte to ${MAX_AVATAR_BYTES / 1024} KiB; pick a smaller picture`);
  return seal(key, image, AVATAR_AAD);
}

export function decryptAvatar(key: Uint8Array, sealed: Uint8Array, of: string): Uint8Array {
  try {
    const image = open(key, sealed, AVATAR_AAD);
    if (image.length === 0 || image.length > MAX_AVATAR_BYTES) throw unreadable(of, 'the picture has an impossible size');
    return image;
  } catch (e) {
    if (e instanceof SealError) throw unreadable(of, 'the picture does not open with their profile key');
    throw e;
  }
}
