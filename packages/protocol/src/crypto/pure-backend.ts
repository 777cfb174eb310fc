/**
 * The portable backend: @noble/hashes, @noble/ciphers and @noble/curves, all
 * audited and synchronous. Used in browsers (WebCrypto is async-only, and the
 * protocol's hot path is synchronous).
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { cbc, ctr, gcmsiv } from '@noble/ciphers/aes.js';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import type { CryptoBackend, X25519KeyRef } from './backend.ts';

function random(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // globalThis.crypto.getRandomValues is the platform CSPRNG in browsers and Node >= 19.
  for (let off = 0; off < length; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(length, off + 65536)));
  }
  return out;
}

function isZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

export const pureBackend: CryptoBackend = {
  name: 'pure',
  randomBytes: random,
  sha256: (data) => sha256(data),
  sha512(...parts) {
    const h = sha512.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  sha3_256(...parts) {
    const h = sha3_256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  shake256(length, ...parts) {
    const h = shake256.create({ dkLen: length });
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hmacSha256(key, ...parts) {
    const h = hmac.create(sha256, key);
    for (const p of parts) h.update(p);
    return h.digest();
  },
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  aes256CbcEncrypt: (key, iv, pt) => cbc(key, iv).encrypt(pt),
  aes256CbcDecrypt(key, iv, ct) {
    if (ct.length === 0 || ct.length % 16 !== 0) return undefined;
    try {
      return cbc(key, iv).decrypt(ct);
    } catch {
      return undefined;
    }
  },
  aes256Ctr: (key, iv, data) => ctr(key, iv).encrypt(data),
  aes256GcmSivEncrypt: (key, nonce, pt) => gcmsiv(key, nonce).encrypt(pt),
  aes256GcmSivDecrypt(key, nonce, ct) {
    if (ct.length < 16) return undefined;
    try {
      return gcmsiv(key, nonce).decrypt(ct);
    } catch {
      return undefined;
    }
  },
  x25519Generate() {
    const privateKey = random(32);
    privateKey[0]! &= 248;
    privateKey[31]! &= 127;
    privateKey[31]! |= 64;
    return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
  },
  x25519PublicFromPrivate: (privateKey) => x25519.getPublicKey(privateKey),
  x25519Agree(priv: X25519KeyRef, pub: X25519KeyRef) {
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(priv.raw, pub.raw);
    } catch {
      return undefined;
    }
    return isZero(shared) ? undefined : shared;
  },
  ed25519Verify(publicKey, message, signature) {
    try {
      return ed25519.verify(signature, message, publicKey.raw, { zip215: false });
    } catch {
      return false;
    }
  },
};
