/**
 * The Node backend: node:crypto (OpenSSL), synchronous and several times faster
 * than the portable one. X25519 KeyObjects are built once per key and cached on
 * the key itself (`backendCache`), because importing a key costs more than the
 * Diffie-Hellman.
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CryptoBackend, X25519KeyRef } from './backend.ts';

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

function u8(b: Buffer | ArrayBuffer): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function privateKeyObject(ref: X25519KeyRef): KeyObject {
  const cached = ref.backendCache;
  if (cached instanceof nodeCrypto.KeyObject && cached.type === 'private') return cached;
  const ko = nodeCrypto.createPrivateKey({
    key: Buffer.concat([PKCS8_X25519, ref.raw]),
    format: 'der',
    type: 'pkcs8',
  });
  ref.backendCache = ko;
  return ko;
}

function publicKeyObject(ref: X25519KeyRef): KeyObject {
  const cached = ref.backendCache;
  if (cached instanceof nodeCrypto.KeyObject && cached.type === 'public') return cached;
  const ko = nodeCrypto.createPublicKey({
    key: Buffer.concat([SPKI_X25519, ref.raw]),
    format: 'der',
    type: 'spki',
  });
  ref.backendCache = ko;
  return ko;
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
  x25519Generate() {
    const { privateKey, publicKey } = nodeCrypto.generateKeyPairSync('x25519');
    const priv = u8(privateKey.export({ format: 'der', type: 'pkcs8' })).slice(PKCS8_X25519.length);
    const pub = u8(publicKey.export({ format: 'der', type: 'spki' })).slice(SPKI_X25519.length);
    // OpenSSL stores the unclamped seed; libsignal stores the clamped scalar. Same public key.
    priv[0]! &= 248;
    priv[31]! &= 127;
    priv[31]! |= 64;
    return { privateKey: priv, publicKey: pub };
  },
  x25519PublicFromPrivate(privateKey) {
    const ko = nodeCrypto.createPrivateKey({
      key: Buffer.concat([PKCS8_X25519, privateKey]),
      format: 'der',
      type: 'pkcs8',
    });
    return u8(nodeCrypto.createPublicKey(ko).export({ format: 'der', type: 'spki' })).slice(SPKI_X25519.length);
  },
  x25519Agree(priv, pub) {
    try {
      return u8(nodeCrypto.diffieHellman({ privateKey: privateKeyObject(priv), publicKey: publicKeyObject(pub) }));
    } catch {
      // OpenSSL refuses an all-zero shared secret (a low-order peer key).
      return undefined;
    }
  },
  ed25519Verify(publicKey, message, signature) {
    try {
      const key = nodeCrypto.createPublicKey({
        key: Buffer.concat([SPKI_ED25519, publicKey]),
        format: 'der',
        type: 'spki',
      });
      return nodeCrypto.verify(null, message, key, signature);
    } catch {
      return false;
    }
  },
};
