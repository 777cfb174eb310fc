/**
 * Incremental ML-KEM-768 (FIPS 203) for SPQR, laid out as libcrux's `mlkem768::incremental`
 * (which spqr uses):
 * - header (64 bytes) = rho ‖ H(ek), where ek = t ‖ rho is the FIPS 203 encapsulation key;
 * - encapsulation key part (1152 bytes) = t (ByteEncode12 of t-hat);
 * - decapsulation key (2400 bytes) = the FIPS 203 dk: dk_PKE ‖ ek ‖ H(ek) ‖ z.
 *
 * Encapsulation is K-PKE.Encrypt split in two. `encaps1` needs only the header:
 * (K, r) = G(m ‖ H(ek)) gives the shared secret and the noise, and u depends only on
 * A (from rho) and r, so ct1 = Compress10(u) can be sent before t arrives. It keeps
 * (r-hat, e2, m) as the encapsulation state. `encaps2` computes
 * ct2 = Compress4(NTT^-1(t-hat · r-hat) + e2 + Decompress1(m)). ct1 ‖ ct2 is exactly the
 * ML-KEM-768 ciphertext of ek with randomness m, so decapsulation is @noble's ML-KEM-768.
 *
 * Building blocks: @noble/post-quantum's exported `_crystals` (NTT, bit packing, the
 * SHAKE128 matrix reader, audited with the package) and @noble/hashes; this module adds
 * only the sampling and the split (FIPS 203 Algorithms 7, 8, 11, 14).
 *
 * The encapsulation state is stored in libcrux's byte form so that records move between
 * libsignal and Parley: r-hat (3 × 256) then e2 (256) as little-endian int16, then m
 * (2080 bytes). libcrux stores each coefficient as its centered representative; any
 * representative is read. States written by libcrux before its fix of cryspen/libcrux#1275
 * have the int16s big-endian; they are recognized as spqr does (by the e2 values, which
 * must lie in [-2, 2]) and read back correctly.
 */
import { genCrystals, XOF128 } from '@noble/post-quantum/_crystals.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { sha3_256, sha3_512 } from '@noble/hashes/sha3.js';
import { backend } from '#backend';

const N = 256;
const Q = 3329;
const K = 3;
const ETA = 2; // eta1 = eta2 = 2 for ML-KEM-768
const DU = 10;
const DV = 4;

export const HEADER_SIZE = 64;
export const ENCAPSULATION_KEY_SIZE = 384 * K; // 1152
export const DECAPSULATION_KEY_SIZE = 2400;
export const CIPHERTEXT1_SIZE = (DU * N * K) / 8; // 960
export const CIPHERTEXT2_SIZE = (DV * N) / 8; // 128
export const ENCAPSULATION_STATE_SIZE = 2 * N * K + 2 * N + 32; // 2080
export const SHARED_SECRET_SIZE = 32;

const crystals = genCrystals({
  N,
  Q,
  F: 3303,
  ROOT_OF_UNITY: 17,
  newPoly: (n: number) => new Uint16Array(n),
  brvBits: 7,
  isKyber: true,
});

type Poly = Uint16Array<ArrayBuffer>;

const mod = (a: number): number => {
  const r = a % Q;
  return r < 0 ? r + Q : r;
};

/** FIPS 203 Algorithm 8 (SamplePolyCBD, eta = 2), coefficients in [0, q). */
function sampleCbd2(bytes: Uint8Array): Poly {
  const r = new Uint16Array(N);
  for (let i = 0; i < N / 2; i++) {
    const b = bytes[i]!;
    // Each byte yields two coefficients of four bits: (b0 + b1) - (b2 + b3).
    const lo = (b & 1) + ((b >> 1) & 1) - ((b >> 2) & 1) - ((b >> 3) & 1);
    const hi = ((b >> 4) & 1) + ((b >> 5) & 1) - ((b >> 6) & 1) - ((b >> 7) & 1);
    r[2 * i] = lo < 0 ? lo + Q : lo;
    r[2 * i + 1] = hi < 0 ? hi + Q : hi;
  }
  return r;
}

/** PRF_eta(s, b) = SHAKE256(s ‖ b, 64·eta bytes). */
function prf(seed: Uint8Array, nonce: number): Uint8Array {
  return backend.shake256(64 * ETA, seed, Uint8Array.of(nonce));
}

/** FIPS 203 Algorithm 7 (SampleNTT) from one SHAKE128 reader. */
function sampleNtt(next: () => Uint8Array): Poly {
  const r = new Uint16Array(N);
  for (let j = 0; j < N; ) {
    const b = next();
    for (let i = 0; j < N && i + 3 <= b.length; i += 3) {
      const d1 = (b[i]! | (b[i + 1]! << 8)) & 0xfff;
      const d2 = ((b[i + 1]! >> 4) | (b[i + 2]! << 4)) & 0xfff;
      if (d1 < Q) r[j++] = d1;
      if (j < N && d2 < Q) r[j++] = d2;
    }
  }
  return r;
}

/** acc += f ∘ g in T_q (FIPS 203 Algorithms 11 and 12); all inputs in [0, q). */
function addProductNtt(acc: Poly, f: Poly, g: Poly): void {
  const zetas = crystals.nttZetas;
  for (let i = 0; i < N / 2; i++) {
    let z = zetas[64 + (i >> 1)]!;
    if (i & 1) z = Q - z;
    const a0 = f[2 * i]!;
    const a1 = f[2 * i + 1]!;
    const b0 = g[2 * i]!;
    const b1 = g[2 * i + 1]!;
    const c0 = (((a1 * b1) % Q) * z + a0 * b0) % Q;
    const c1 = (a0 * b1 + a1 * b0) % Q;
    acc[2 * i] = (acc[2 * i]! + c0) % Q;
    acc[2 * i + 1] = (acc[2 * i + 1]! + c1) % Q;
  }
}

function addInPlace(a: Poly, b: Poly): void {
  for (let i = 0; i < N; i++) {
    const s = a[i]! + b[i]!;
    a[i] = s >= Q ? s - Q : s;
  }
}

/** Compress_d then ByteEncode_d (FIPS 203 §4.2.1 and Algorithm 5). */
const compressCoder = (d: number) =>
  crystals.bitsCoder(d, {
    // round(2^d · x / q) mod 2^d, in integers: floor((2^(d+1) · x + q) / 2q).
    encode: (x: number) => Math.floor(((x << (d + 1)) + Q) / (2 * Q)) & ((1 << d) - 1),
    decode: (y: number) => y,
  });
const encodeU = compressCoder(DU);
const encodeV = compressCoder(DV);
const coder12 = crystals.bitsCoder(12, { encode: (x: number) => x, decode: (x: number) => x });

export interface Keys {
  readonly header: Uint8Array;
  readonly encapsulationKey: Uint8Array;
  readonly decapsulationKey: Uint8Array;
}

/** A key pair from a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal), split for SPQR. */
export function generate(seed64: Uint8Array = backend.randomBytes(64)): Keys {
  const { publicKey, secretKey } = ml_kem768.keygen(seed64);
  const header = new Uint8Array(HEADER_SIZE);
  header.set(publicKey.subarray(ENCAPSULATION_KEY_SIZE), 0);
  header.set(sha3_256(publicKey), 32);
  return { header, encapsulationKey: publicKey.slice(0, ENCAPSULATION_KEY_SIZE), decapsulationKey: secretKey };
}

/**
 * Whether `ek` belongs to `header`: H(ek ‖ rho) is the header's hash and every
 * coefficient of t is below q (FIPS 203's encapsulation key check).
 */
export function encapsulationKeyMatchesHeader(ek: Uint8Array, header: Uint8Array): boolean {
  if (ek.length !== ENCAPSULATION_KEY_SIZE || header.length !== HEADER_SIZE) return false;
  const full = new Uint8Array(ENCAPSULATION_KEY_SIZE + 32);
  full.set(ek);
  full.set(header.subarray(0, 32), ENCAPSULATION_KEY_SIZE);
  const h = sha3_256(full);
  let diff = 0;
  for (let i = 0; i < 32; i++) diff |= h[i]! ^ header[32 + i]!;
  if (diff !== 0) return false;
  for (let i = 0; i < ENCAPSULATION_KEY_SIZE; i += 3) {
    const d1 = ek[i]! | ((ek[i + 1]! & 0x0f) << 8);
    const d2 = (ek[i + 1]! >> 4) | (ek[i + 2]! << 4);
    if (d1 >= Q || d2 >= Q) return false;
  }
  return true;
}

/** What `encaps1` keeps for `encaps2`. */
export interface EncapsulationState {
  readonly rHat: readonly Poly[];
  readonly e2: Poly;
  readonly m: Uint8Array;
}

/** First half: ct1 and the shared secret from the header alone; `m` is the 32-byte randomness. */
export function encaps1(
  header: Uint8Array,
  m: Uint8Array = backend.randomBytes(32),
): { ct1: Uint8Array; state: EncapsulationState; sharedSecret: Uint8Array } {
  if (header.length !== HEADER_SIZE) throw new RangeError('ML-KEM-768 header must be 64 bytes');
  if (m.length !== 32) throw new RangeError('ML-KEM-768 randomness must be 32 bytes');
  const kr = sha3_512.create().update(m).update(header.subarray(32)).digest();
  const sharedSecret = kr.slice(0, 32);
  const r = kr.subarray(32);
  const rHat: Poly[] = [];
  for (let i = 0; i < K; i++) rHat.push(crystals.NTT.encode(sampleCbd2(prf(r, i))));
  const xof = XOF128(header.subarray(0, 32));
  const u: Poly[] = [];
  for (let i = 0; i < K; i++) {
    const acc = new Uint16Array(N);
    // u_i = sum_j A[j][i] · r_j, with A[j][i] = SampleNTT(rho ‖ i ‖ j): A transposed.
    for (let j = 0; j < K; j++) addProductNtt(acc, sampleNtt(xof.get(i, j)), rHat[j]!);
    const ui = crystals.NTT.decode(acc);
    addInPlace(ui, sampleCbd2(prf(r, K + i)));
    u.push(ui);
  }
  xof.clean();
  const e2 = sampleCbd2(prf(r, 2 * K));
  const ct1 = new Uint8Array(CIPHERTEXT1_SIZE);
  for (let i = 0; i < K; i++) ct1.set(encodeU.encode(u[i]!), i * encodeU.bytesLen);
  kr.fill(0, 32);
  return { ct1, state: { rHat, e2, m: m.slice() }, sharedSecret };
}

/** Second half: ct2 from the encapsulation key part t and the state of `encaps1`. */
export function encaps2(ek: Uint8Array, state: EncapsulationState): Uint8Array {
  if (ek.length !== ENCAPSULATION_KEY_SIZE) throw new RangeError('ML-KEM-768 encapsulation key must be 1152 bytes');
  const acc = new Uint16Array(N);
  for (let i = 0; i < K; i++) {
    const tHat = coder12.decode(ek.subarray(384 * i, 384 * (i + 1)));
    for (let j = 0; j < N; j++) if (tHat[j]! >= Q) tHat[j]! -= Q;
    addProductNtt(acc, tHat, state.rHat[i]!);
  }
  const v = crystals.NTT.decode(acc);
  addInPlace(v, state.e2);
  for (let i = 0; i < N; i++) {
    // Decompress1(bit i of m) = round(q/2) = 1665.
    if ((state.m[i >> 3]! >> (i & 7)) & 1) {
      const s = v[i]! + 1665;
      v[i] = s >= Q ? s - Q : s;
    }
  }
  return encodeV.encode(v);
}

/** ML-KEM-768 decapsulation of ct1 ‖ ct2 (implicit rejection on a bad ciphertext). */
export function decaps(dk: Uint8Array, ct1: Uint8Array, ct2: Uint8Array): Uint8Array {
  const ct = new Uint8Array(CIPHERTEXT1_SIZE + CIPHERTEXT2_SIZE);
  ct.set(ct1);
  ct.set(ct2, CIPHERTEXT1_SIZE);
  return ml_kem768.decapsulate(ct, dk);
}

/** libcrux's byte form of the encapsulation state (centered int16, little-endian). */
export function serializeEncapsulationState(s: EncapsulationState): Uint8Array {
  const out = new Uint8Array(ENCAPSULATION_STATE_SIZE);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const p of [...s.rHat, s.e2]) {
    for (let i = 0; i < N; i++, off += 2) {
      const c = p[i]!;
      view.setInt16(off, c > (Q >> 1) ? c - Q : c, true);
    }
  }
  out.set(s.m, off);
  return out;
}

/** Reads libcrux's encapsulation state, also the byte-swapped form of cryspen/libcrux#1275. */
export function deserializeEncapsulationState(bytes: Uint8Array): EncapsulationState {
  if (bytes.length !== ENCAPSULATION_STATE_SIZE) throw new RangeError('ML-KEM-768 encapsulation state must be 2080 bytes');
  const littleEndian = !looksByteSwapped(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const polys: Poly[] = [];
  let off = 0;
  for (let p = 0; p < K + 1; p++) {
    const poly = new Uint16Array(N);
    for (let i = 0; i < N; i++, off += 2) poly[i] = mod(view.getInt16(off, littleEndian));
    polys.push(poly);
  }
  return { rHat: polys.slice(0, K), e2: polys[K]!, m: bytes.slice(off, off + 32) };
}

/** spqr's test for a state written with swapped bytes: the first e2 value that tells the two apart decides. */
function looksByteSwapped(es: Uint8Array): boolean {
  for (let off = 2 * N * K; off < ENCAPSULATION_STATE_SIZE - 32; off += 2) {
    const v = es[off]! | (es[off + 1]! << 8);
    if (v === 0x0000 || v === 0xffff) continue; // the same either way
    if (v === 0x0001 || v === 0x0002 || v === 0xfffe) return false;
    if (v === 0x0100 || v === 0x0200 || v === 0xfeff) return true;
    return false; // neither form: read as written
  }
  return false;
}
