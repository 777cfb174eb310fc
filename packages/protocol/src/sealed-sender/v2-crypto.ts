/**
 * Sealed sender v2 key schedule (libsignal `sealed_sender.rs`, module
 * `sealed_sender_v2`), shared by the multi-recipient sender and the recipient.
 * Every HKDF is HKDF-SHA256 without salt; keys in HKDF input are serialized
 * (`0x05 ‖ 32`); X25519 outputs that are all zero are refused.
 *
 *   M = random 32 bytes (one per message)
 *   E = KeyPair(clamp(HKDF(M, "Sealed Sender v2: r (2023-08)", 32)))
 *   K = HKDF(M, "Sealed Sender v2: K", 32)        -> AES-256-GCM-SIV key, zero nonce, no AAD
 *   C_i  = HKDF(DH(E, R_i) ‖ E ‖ R_i, "Sealed Sender v2: DH", 32) XOR M
 *   AT_i = HKDF(DH(S, R_i) ‖ E ‖ C_i ‖ S ‖ R_i, "Sealed Sender v2: DH-sender", 16)
 *
 * The recipient recovers M from C, re-derives E and refuses the message unless it
 * matches the E it received, decrypts, and checks AT against the sender key named
 * in the decrypted certificate. This module owns no wire format.
 */
import { backend } from '#backend';
import { KeyPair, PrivateKey, type PublicKey } from '../curve.ts';
import { InvalidKey, InvalidSealedSender } from '../errors.ts';
import { concat, utf8 } from '../internal/bytes.ts';

const LABEL_R = utf8('Sealed Sender v2: r (2023-08)');
const LABEL_K = utf8('Sealed Sender v2: K');
const LABEL_DH = utf8('Sealed Sender v2: DH');
const LABEL_DH_S = utf8('Sealed Sender v2: DH-sender');

export const MESSAGE_KEY_LEN = 32;
export const AUTH_TAG_LEN = 16;
/** v2 carries E as a bare 32-byte Curve25519 key (no type byte). */
export const EPHEMERAL_KEY_LEN = 32;
/** The AEAD tag appended to the content. */
export const AEAD_TAG_LEN = 16;
/** "There's no nonce because the key is already one-use" (libsignal): twelve zero bytes. */
const ZERO_NONCE = new Uint8Array(12);

function agree(priv: PrivateKey, pub: PublicKey, sending = false): Uint8Array {
  const shared = backend.x25519Agree(priv, pub);
  if (shared) return shared;
  if (sending) throw new InvalidKey('sealed sender v2: a recipient identity key is a low-order point; re-fetch that recipient\'s keys');
  throw new InvalidSealedSender('sealed sender v2: a key in the message is a low-order point; the message is forged or corrupt');
}

/** The one-use ephemeral key pair derived from M. */
export function deriveEphemeral(m: Uint8Array): KeyPair {
  return KeyPair.fromPrivateKey(PrivateKey.deserialize(backend.hkdfSha256(m, undefined, LABEL_R, 32)));
}

function cipherKey(m: Uint8Array): Uint8Array {
  return backend.hkdfSha256(m, undefined, LABEL_K, 32);
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(MESSAGE_KEY_LEN);
  for (let i = 0; i < MESSAGE_KEY_LEN; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** C = KDF(DH(E, R) ‖ E ‖ R) XOR M, for the recipient identity R. */
export function encryptMessageKey(e: KeyPair, recipient: PublicKey, m: Uint8Array): Uint8Array {
  const ikm = concat(agree(e.privateKey, recipient, true), e.publicKey.serializedView(), recipient.serializedView());
  return xor32(backend.hkdfSha256(ikm, undefined, LABEL_DH, MESSAGE_KEY_LEN), m);
}

/** M = KDF(DH(R, E) ‖ E ‖ R) XOR C, on the recipient's side. */
export function decryptMessageKey(ourPrivate: PrivateKey, ourPublic: PublicKey, e: PublicKey, c: Uint8Array): Uint8Array {
  const ikm = concat(agree(ourPrivate, e), e.serializedView(), ourPublic.serializedView());
  return xor32(backend.hkdfSha256(ikm, undefined, LABEL_DH, MESSAGE_KEY_LEN), c);
}

/**
 * AT = KDF(DH(S, R) ‖ E ‖ C ‖ S ‖ R): `ourPrivate` is S's private key when sending and
 * R's when receiving; the DH is the same either way.
 */
export function authenticationTag(ourPrivate: PrivateKey, theirPublic: PublicKey, e: PublicKey, c: Uint8Array, sender: PublicKey, recipient: PublicKey, sending: boolean): Uint8Array {
  const ikm = concat(agree(ourPrivate, theirPublic, sending), e.serializedView(), c, sender.serializedView(), recipient.serializedView());
  return backend.hkdfSha256(ikm, undefined, LABEL_DH_S, AUTH_TAG_LEN);
}

/** AES-256-GCM-SIV of the serialized content under K(M); returns ciphertext ‖ tag. */
export function encryptContent(m: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return backend.aes256GcmSivEncrypt(cipherKey(m), ZERO_NONCE, plaintext);
}

/** Inverse of `encryptContent`; undefined when the tag does not verify. */
export function decryptContent(m: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined {
  return backend.aes256GcmSivDecrypt(cipherKey(m), ZERO_NONCE, ciphertext);
}
