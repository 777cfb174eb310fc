/**
 * XEdDSA over Curve25519, as libsignal signs prekeys, certificates and group
 * messages (https://signal.org/docs/specifications/xeddsa/, with libsignal's
 * variation: the Edwards sign bit of the signer's key travels in the top bit of
 * the signature instead of being forced to zero).
 *
 * Point and scalar arithmetic come from @noble/curves; verification reduces to a
 * standard Ed25519 verification, which the backend runs natively where it can.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { backend } from '#backend';
import type { X25519KeyRef } from '../crypto/backend.ts';

const Point = ed25519.Point;
const Fn = Point.Fn;
const Fp = Point.Fp;

const HASH_PREFIX = (() => {
  const p = new Uint8Array(32).fill(0xff);
  p[0] = 0xfe;
  return p;
})();

function leToBigint(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

function bigintToLe32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/** Signing state derived once per private key: the scalar and its Edwards public key. */
export interface XEdDSASigner {
  readonly a: bigint;
  readonly edPublic: Uint8Array;
}

export function deriveSigner(privateKey: Uint8Array): XEdDSASigner {
  const a = Fn.create(leToBigint(privateKey));
  const edPublic = Point.BASE.multiply(a).toBytes();
  return { a, edPublic };
}

export function xeddsaSign(
  privateKey: Uint8Array,
  signer: XEdDSASigner,
  message: Uint8Array,
  random64: Uint8Array,
): Uint8Array {
  const signBit = signer.edPublic[31]! & 0x80;
  const r = Fn.create(leToBigint(backend.sha512(HASH_PREFIX, privateKey, message, random64)));
  const R = Point.BASE.multiply(r).toBytes();
  const h = Fn.create(leToBigint(backend.sha512(R, signer.edPublic, message)));
  const s = Fn.add(Fn.mul(h, signer.a), r);
  const sig = new Uint8Array(64);
  sig.set(R, 0);
  sig.set(bigintToLe32(s), 32);
  sig[63] = (sig[63]! & 0x7f) | signBit;
  return sig;
}

/**
 * Converts a Montgomery u-coordinate to the compressed Edwards key with the given
 * sign bit; undefined when u = -1 (no Edwards point).
 */
function montgomeryToEdwards(u32: Uint8Array, signBit: number): Uint8Array | undefined {
  const masked = u32.slice();
  masked[31]! &= 0x7f;
  const u = Fp.create(leToBigint(masked));
  const denom = Fp.add(u, 1n);
  if (Fp.is0(denom)) return undefined;
  const y = Fp.div(Fp.sub(u, 1n), denom);
  const out = bigintToLe32(y);
  out[31] = (out[31]! & 0x7f) | (signBit << 7);
  return out;
}

/**
 * libsignal's `is_canonical` for a received base key: u < 2^255 - 19 with the top
 * bit clear, and the corresponding Edwards point (sign 0) is torsion-free.
 */
export function isCanonicalMontgomery(u32: Uint8Array): boolean {
  if (u32.length !== 32 || (u32[31]! & 0x80) !== 0) return false;
  let allFF = true;
  for (let i = 1; i < 31; i++) if (u32[i] !== 0xff) allFF = false;
  if (allFF && u32[31] === 0x7f && u32[0]! >= 0xed) return false;
  const ed = montgomeryToEdwards(u32, 0);
  if (!ed) return false;
  try {
    return Point.fromBytes(ed).isTorsionFree();
  } catch {
    return false;
  }
}

/** Per-key cache of the Edwards form for each sign bit (null: no Edwards point). */
export type EdwardsCache = [X25519KeyRef | null | undefined, X25519KeyRef | null | undefined];

export function xeddsaVerify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  cache: EdwardsCache = [undefined, undefined],
): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const signBit = (signature[63]! & 0x80) >> 7;
  let ref = cache[signBit];
  if (ref === undefined) {
    // Why cache: the conversion (a field inversion) and the native key import cost more than the verification.
    const ed = montgomeryToEdwards(publicKey, signBit);
    ref = ed ? { raw: ed } : null;
    cache[signBit] = ref;
  }
  if (ref === null) return false;
  const sig = signature.slice();
  sig[63]! &= 0x7f;
  return backend.ed25519Verify(ref, message, sig);
}
