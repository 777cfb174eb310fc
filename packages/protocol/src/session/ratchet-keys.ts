/**
 * Double Ratchet key derivation (libsignal `ratchet/keys.rs`):
 * - root step: HKDF(salt = root key, IKM = DH, info "WhisperRatchet", 64) -> root ‖ chain;
 * - chain step: message seed = HMAC(ck, 0x01), next ck = HMAC(ck, 0x02);
 * - message keys: HKDF(salt = SPQR key or none, seed, "WhisperMessageKeys", 80)
 *   -> cipher key 32 ‖ MAC key 32 ‖ IV 16.
 */
import { backend } from '#backend';
import type { PrivateKey, PublicKey } from '../curve.ts';
import { utf8 } from '../internal/bytes.ts';

const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);
const WHISPER_RATCHET = utf8('WhisperRatchet');
const WHISPER_MESSAGE_KEYS = utf8('WhisperMessageKeys');

/** A symmetric chain position: 32-byte key and its index. */
export interface ChainKey {
  readonly key: Uint8Array;
  readonly index: number;
}

/** The keys for one message: AES-256-CBC key and IV, HMAC key, and the counter they belong to. */
export interface MessageKeys {
  readonly cipherKey: Uint8Array;
  readonly macKey: Uint8Array;
  readonly iv: Uint8Array;
  readonly counter: number;
}

/** The next position of a chain: HMAC(ck, 0x02). */
export function nextChainKey(ck: ChainKey): ChainKey {
  return { key: backend.hmacSha256(ck.key, CHAIN_KEY_SEED), index: ck.index + 1 };
}

/** The per-message seed of a chain position; message keys are derived from it lazily. */
export function messageKeySeed(ck: ChainKey): Uint8Array {
  return backend.hmacSha256(ck.key, MESSAGE_KEY_SEED);
}

/** Expands a message seed into cipher key, MAC key and IV (salted by the SPQR key when there is one). */
export function deriveMessageKeys(seed: Uint8Array, counter: number, pqKey?: Uint8Array): MessageKeys {
  const okm = backend.hkdfSha256(seed, pqKey, WHISPER_MESSAGE_KEYS, 80);
  return {
    cipherKey: okm.subarray(0, 32),
    macKey: okm.subarray(32, 64),
    iv: okm.subarray(64, 80),
    counter,
  };
}

/** A DH ratchet step: returns the new root key and the new chain (index 0). */
export function createChain(
  rootKey: Uint8Array,
  theirRatchetKey: PublicKey,
  ourRatchetKey: PrivateKey,
): { rootKey: Uint8Array; chainKey: ChainKey } {
  const shared = ourRatchetKey.agree(theirRatchetKey);
  const okm = backend.hkdfSha256(shared, rootKey, WHISPER_RATCHET, 64);
  return { rootKey: okm.subarray(0, 32), chainKey: { key: okm.subarray(32, 64), index: 0 } };
}
