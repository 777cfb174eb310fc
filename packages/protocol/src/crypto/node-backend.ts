/**
 * The Node backend: node:crypto (OpenSSL), synchronous and several times faster
 * than the portable one. X25519 KeyObjects are built once per key and cached on
 * the key itself (`backendCache`), because importing a key costs more than the
 * Diffie-Hellman.
 *
 * Never `generateKeyPairSync` here: on Node 20 exporting a key it generated can
 * deadlock the process for good (the export holds the key's mutex while allocating;
 * a garbage collection then destroys the finished key-generation job, which takes
 * the same mutex). Keys are made from CSPRNG bytes and imported instead; a test
 * generates keys in a loop under allocation pressure to keep it that way.
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CryptoBackend, X25519KeyRef } from './backend.ts';
import { gcmsiv } from '@noble/ciphers/aes.js';


function u8(b: Buffer | ArrayBuffer): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

// Keys are imported as JWK: OpenSSL 3 imports a JWK X25519 key ~10x faster than DER.
function privateKeyObject(ref: X25519KeyRef): KeyObject {
  const cached = ref.backendCache;
  if (cached instanceof nodeCrypto.KeyObject && cached.type === 'private') return cached;
  const ko = nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(ref.raw), x: X_PLACEHOLDER }, format: 'jwk' });
  ref.backendCache = ko;
  return ko;
}

function publicKeyObject(ref: X25519KeyRef): KeyObject {
  const cached = ref.backendCache;
  if (cached instanceof nodeCrypto.KeyObject && cached.type === 'public') return cached;
  const ko = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(ref.raw) }, format: 'jwk' });
  ref.backendCache = ko;
  return ko;
}

/**
 * Node's JWK import insists on an `x` member for private OKP keys but derives the
 * public key from `d` (the RFC 7748 vectors in backend-vectors.ts prove it), so
 * a placeholder is passed rather than paying for a separate derivation.
 */
const X_PLACEHOLDER = 'A'.repeat(43);

/** The public key OpenSSL derived when the private key was imported. */
function publicFromPrivateObject(ko: KeyObject): Uint8Array {
  return fromB64u(nodeCrypto.createPublicKey(ko).export({ format: 'jwk' }).x);
}

function fromB64u(s: string | undefined): Uint8Array {
  return u8(Buffer.from(s ?? '', 'base64url'));
}

export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes: (length) => u8(nodeCrypto.randomBytes(length)),
  sha256: (data) => u8(nodeCrypto.createHash('sha256').update(data).digest()),
  sha512(...parts) {
    const h = nodeCrypto.createHash('sha512');
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  sha3_256(...parts) {
    const h = nodeCrypto.createHash('sha3-256');
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  shake256(length, ...parts) {
    const h = nodeCrypto.createHash('shake256', { outputLength: length });
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  hmacSha256(key, ...parts) {
    const h = nodeCrypto.createHmac('sha256', key);
    for (const p of parts) h.update(p);
    return u8(h.digest());
  },
  hkdfSha256(ikm, salt, info, length) {
    return u8(nodeCrypto.hkdfSync('sha256', ikm, salt ?? new Uint8Array(0), info, length));
  },
  aes256CbcEncrypt(key, iv, pt) {
    const c = nodeCrypto.createCipheriv('aes-256-cbc', key, iv);
    return u8(Buffer.concat([c.update(pt), c.final()]));
  },
  aes256CbcDecrypt(key, iv, ct) {
    if (ct.length === 0 || ct.length % 16 !== 0) return undefined;
    try {
      const d = nodeCrypto.createDecipheriv('aes-256-cbc', key, iv);
      return u8(Buffer.concat([d.update(ct), d.final()]));
    } catch {
      return undefined;
    }
  },
  aes256Ctr(key, iv, data) {
    const c = nodeCrypto.createCipheriv('aes-256-ctr', key, iv);
    return u8(Buffer.concat([c.update(data), c.final()]));
  },
  // Why @noble: OpenSSL 3.0 (Node 20) has no AES-GCM-SIV; sealed sender v2 seals one small content per message.
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
    const priv = u8(nodeCrypto.randomBytes(32));
    priv[0]! &= 248;
    priv[31]! &= 127;
    priv[31]! |= 64;
    const ref: X25519KeyRef = { raw: priv };
    // Importing the private key already derives its public half; reading it back is cheaper than
    // another X25519 with the base point (measured: 63 us against 99 us).
    const pub = publicFromPrivateObject(privateKeyObject(ref));
    return { privateKey: priv, publicKey: pub, privateCache: ref.backendCache };
  },
  x25519PublicFromPrivate(privateKey) {
    return publicFromPrivateObject(privateKeyObject({ raw: privateKey }));
  },
  x25519Agree(priv, pub) {
    try {
      return u8(nodeCrypto.diffieHellman({ privateKey: privateKeyObject(priv), publicKey: publicKeyObject(pub) }));
    } catch {
      // OpenSSL refuses an all-zero shared secret (a low-order peer key).
      return undefined;
    }
  },
  ed25519Generate() {
    const seed = u8(nodeCrypto.randomBytes(32));
    const ko = nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(seed), x: X_PLACEHOLDER }, format: 'jwk' });
    return { seed, edPublic: fromB64u(nodeCrypto.createPublicKey(ko).export({ format: 'jwk' }).x) };
  },
  ed25519Sign(seed, message) {
    let key = seed.backendCache;
    if (!(key instanceof nodeCrypto.KeyObject)) {
      key = nodeCrypto.createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(seed.raw), x: X_PLACEHOLDER }, format: 'jwk' });
      seed.backendCache = key;
    }
    return u8(nodeCrypto.sign(null, message, key as KeyObject));
  },
  ed25519Verify(publicKey, message, signature) {
    try {
      let key = publicKey.backendCache;
      if (!(key instanceof nodeCrypto.KeyObject)) {
        key = nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(publicKey.raw) }, format: 'jwk' });
        publicKey.backendCache = key;
      }
      return nodeCrypto.verify(null, message, key as KeyObject, signature);
    } catch {
      return false;
    }
  },
};
