/**
 * Authenticated encryption for the SDK's own small secrets (a group's name, a
 * device's name, the provisioning message): AES-256-GCM with a random 96-bit
 * nonce from @noble/ciphers, keys from HKDF-SHA256 (@noble/hashes). Sealed bytes
 * are `nonce ‖ ciphertext ‖ tag`. Opening anything altered or sealed under another
 * key or context fails with SealError, never returns garbage.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from './random.ts';

const NONCE = 12;
const TAG = 16;

export class SealError extends Error {
  override readonly name = 'SealError';
}

/** HKDF-SHA256 to a 32-byte key; `info` names what the key is for. */
export function deriveKey(ikm: Uint8Array, salt: Uint8Array | undefined, info: string): Uint8Array {
  return hkdf(sha256, ikm, salt, new TextEncoder().encode(info), 32);
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const ct = gcm(key, nonce, aad).encrypt(plaintext);
  const out = new Uint8Array(NONCE + ct.length);
  out.set(nonce);
  out.set(ct, NONCE);
  return out;
}

export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array {
  if (sealed.length < NONCE + TAG) throw new SealError('sealed data too short');
  try {
    return gcm(key, sealed.subarray(0, NONCE), aad).decrypt(sealed.subarray(NONCE));
  } catch {
    throw new SealError('sealed data does not open with this key (altered, or not ours)');
  }
}

/** Pads to a multiple of `block` (0x80 then zeros), so sealed lengths leak little. */
export function pad(b: Uint8Array, block: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((b.length + 1) / block) * block);
  out.set(b);
  out[b.length] = 0x80;
  return out;
}

export function unpad(b: Uint8Array): Uint8Array {
  let end = b.length - 1;
  while (end >= 0 && b[end] === 0) end--;
  if (end < 0 || b[end] !== 0x80) throw new SealError('bad padding');
  return b.subarray(0, end);
}
