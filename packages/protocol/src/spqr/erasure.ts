/**
 * SPQR's erasure code (spqr `encoding/polynomial.rs`): a message of 2-byte
 * big-endian values is spread over 16 interleaved polynomials over GF(2^16)
 * (value i goes to polynomial i mod 16 at x = i / 16). Chunk k holds, for each
 * polynomial, its value at x = k: chunks below the message's length are the
 * message itself (systematic), later ones are Lagrange parity. Any N distinct
 * chunks of an N-chunk message decode it.
 *
 * The encoder keeps the message's points until it first needs a parity chunk,
 * then keeps each polynomial's coefficients instead (spqr does the same, and the
 * choice is visible in the serialized state). The decoder keeps, per polynomial,
 * the points it was given, sorted by x, with spqr's admission rule.
 *
 * Encoders and decoders are values: operations return new ones, so a state can be
 * dropped after a failed message without undoing anything.
 */
import { gfDiv, gfMul, gfTables } from './gf16.ts';
import { CHUNK_BYTES, type Chunk } from './message.ts';

/** Polynomials per chunk: 32 bytes of 2-byte field elements. */
export const NUM_POLYS = CHUNK_BYTES / 2;
/** The longest message the code takes (spqr's bound). */
export const MAX_MESSAGE_BYTES = (1 << 16) * NUM_POLYS;

/** Bad encoder/decoder input or serialized form; callers map it to their typed error. */
export class ErasureCodeError extends Error {
  override readonly name = 'ErasureCodeError';
}

/** Evaluates coefficients (lowest degree first) at x with Horner's rule. */
function evaluate(coeffs: Uint16Array, x: number): number {
  const { exp, log } = gfTables();
  if (x === 0) return coeffs.length ? coeffs[0]! : 0;
  const lx = log[x]!;
  let acc = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) {
    // acc = acc * x + c
    acc = (acc === 0 ? 0 : exp[log[acc]! + lx]!) ^ coeffs[i]!;
  }
  return acc;
}

/**
 * Coefficients (n of them, lowest degree first) of the polynomial of degree < n
 * through (xs[j], ys[j]). Distinct xs are the caller's guarantee.
 */
export function interpolate(xs: ArrayLike<number>, ys: ArrayLike<number>): Uint16Array {
  const n = xs.length;
  const out = new Uint16Array(n);
  if (n === 0) return out;
  // full = PRODUCT (x - xs[j]), n + 1 coefficients.
  const full = new Uint16Array(n + 1);
  full[0] = 1;
  for (let j = 0; j < n; j++) {
    const xj = xs[j]!;
    for (let i = j + 1; i >= 1; i--) full[i] = full[i - 1]! ^ gfMul(full[i]!, xj);
    full[0] = gfMul(full[0]!, xj);
  }
  const q = new Uint16Array(n);
  for (let j = 0; j < n; j++) {
    const xj = xs[j]!;
    // q = full / (x - xj), by synthetic division from the top coefficient.
    let carry = full[n]!;
    q[n - 1] = carry;
    for (let i = n - 1; i >= 1; i--) {
      carry = full[i]! ^ gfMul(carry, xj);
      q[i - 1] = carry;
    }
    const scale = gfDiv(ys[j]!, evaluate(q, xj));
    if (scale === 0) continue;
    for (let i = 0; i < n; i++) out[i]! ^= gfMul(q[i]!, scale);
  }
  return out;
}

/** Lagrange basis polynomials for the points x = 0..n-1 (cached: n is one of a few sizes). */
const basisCache = new Map<number, Uint16Array[]>();
function completeBasis(n: number): Uint16Array[] {
  let b = basisCache.get(n);
  if (!b) {
    const xs = Array.from({ length: n }, (_, i) => i);
    b = xs.map((_, j) => interpolate(xs, xs.map((__, k) => (k === j ? 1 : 0))));
    basisCache.set(n, b);
  }
  return b;
}

/** The polynomial through (i, ys[i]) for i = 0..n-1, as spqr's `from_complete_points` builds it. */
function fromCompletePoints(ys: Uint16Array): Uint16Array {
  const n = ys.length;
  const out = new Uint16Array(n);
  const basis = completeBasis(n);
  for (let j = 0; j < n; j++) {
    const y = ys[j]!;
    if (y === 0) continue;
    const bj = basis[j]!;
    for (let i = 0; i < n; i++) out[i]! ^= gfMul(bj[i]!, y);
  }
  return out;
}

/** Either the message's points per polynomial, or (after the first parity chunk) coefficients. */
export type EncoderState = { readonly kind: 'points'; readonly values: readonly Uint16Array[] } | { readonly kind: 'polys'; readonly values: readonly Uint16Array[] };

/** Produces a message's chunks in order, systematic first. Immutable: `nextChunk` returns the next encoder. */
export class PolyEncoder {
  private constructor(
    /** Index of the next chunk (u32; the chunk index is its low 16 bits). */
    readonly idx: number,
    readonly state: EncoderState,
  ) {}

  static encode(msg: Uint8Array): PolyEncoder {
    if (msg.length % 2 !== 0) throw new ErasureCodeError('message length must be even');
    if (msg.length > MAX_MESSAGE_BYTES) throw new ErasureCodeError('message too long');
    const values = msg.length / 2;
    const pts = Array.from({ length: NUM_POLYS }, (_, p) => new Uint16Array(Math.floor(values / NUM_POLYS) + (p < values % NUM_POLYS ? 1 : 0)));
    for (let i = 0; i < values; i++) pts[i % NUM_POLYS]![Math.floor(i / NUM_POLYS)] = (msg[2 * i]! << 8) | msg[2 * i + 1]!;
    return new PolyEncoder(0, { kind: 'points', values: pts });
  }

  /** @internal rebuilt from a serialized state; the values are trusted to be copies. */
  static fromParts(idx: number, state: EncoderState): PolyEncoder {
    return new PolyEncoder(idx, state);
  }

  /** The chunk at `idx` and the encoder after it. */
  nextChunk(): { chunk: Chunk; next: PolyEncoder } {
    const { chunk, state } = chunkAt(this.state, this.idx & 0xffff);
    return { chunk, next: new PolyEncoder((this.idx + 1) >>> 0, state) };
  }

  /** The chunk with this index (the encoder's own state is not changed). */
  chunkAt(index: number): Chunk {
    return chunkAt(this.state, index).chunk;
  }
}

function chunkAt(state: EncoderState, index: number): { chunk: Chunk; state: EncoderState } {
  const data = new Uint8Array(CHUNK_BYTES);
  let s = state;
  for (let p = 0; p < NUM_POLYS; p++) {
    let y: number;
    if (s.kind === 'points' && index < s.values[p]!.length) {
      y = s.values[p]![index]!;
    } else {
      // First value beyond the message: from here on every value is computed (spqr's point_at).
      if (s.kind === 'points') s = { kind: 'polys', values: s.values.map(fromCompletePoints) };
      y = evaluate(s.values[p]!, index);
    }
    data[2 * p] = y >> 8;
    data[2 * p + 1] = y & 0xff;
  }
  return { chunk: { index, data }, state: s };
}

/** Points of one polynomial, sorted by x. */
export interface PointSet {
  readonly xs: readonly number[];
  readonly ys: readonly number[];
}

/** Collects chunks until a message of `ptsNeeded` values can be decoded. Immutable. */
export class PolyDecoder {
  private constructor(
    /** Field elements in the message (its length in bytes / 2). */
    readonly ptsNeeded: number,
    readonly pts: readonly PointSet[],
    /** Always false in spqr 1.5 (kept for the serialized form). */
    readonly isComplete: boolean,
  ) {}

  static create(lenBytes: number): PolyDecoder {
    if (lenBytes % 2 !== 0) throw new ErasureCodeError('message length must be even');
    return new PolyDecoder(lenBytes / 2, Array.from({ length: NUM_POLYS }, () => ({ xs: [], ys: [] })), false);
  }

  /** @internal rebuilt from a serialized state: points are inserted as spqr's sorted set does. */
  static fromParts(ptsNeeded: number, points: readonly (readonly [number, number])[][], isComplete: boolean): PolyDecoder {
    if (points.length !== NUM_POLYS) throw new ErasureCodeError(`decoder needs ${NUM_POLYS} point sets`);
    const pts = points.map((list) => {
      // Fast path: spqr writes each set sorted and without repeats, so it is taken as is.
      let sorted = true;
      for (let i = 1; i < list.length && sorted; i++) sorted = list[i - 1]![0] < list[i]![0];
      if (sorted) return { xs: list.map((p) => p[0]), ys: list.map((p) => p[1]) };
      const set = { xs: [] as number[], ys: [] as number[] };
      for (const [x, y] of list) insertPoint(set, x, y);
      return set;
    });
    return new PolyDecoder(ptsNeeded, pts, isComplete);
  }

  private necessaryPoints(poly: number): number {
    const per = Math.floor(this.ptsNeeded / NUM_POLYS);
    return poly < this.ptsNeeded % NUM_POLYS ? per + 1 : per;
  }

  /** The decoder with `chunk`'s points added (those it does not need are left out, as in spqr). */
  addChunk(chunk: Chunk): PolyDecoder {
    const x = chunk.index;
    let pts: PointSet[] | undefined;
    for (let p = 0; p < NUM_POLYS; p++) {
      const need = this.necessaryPoints(p);
      const cur = (pts ?? this.pts)[p]!;
      // Only points that are needed, or that may spare an interpolation (small x), are kept.
      if (!(x < need || cur.xs.length < need)) continue;
      if (indexOf(cur.xs, x) >= 0) continue; // an x already present keeps its first value
      pts ??= this.pts.slice();
      const set = { xs: cur.xs.slice(), ys: cur.ys.slice() };
      insertPoint(set, x, (chunk.data[2 * p]! << 8) | chunk.data[2 * p + 1]!);
      pts[p] = set;
    }
    return pts ? new PolyDecoder(this.ptsNeeded, pts, this.isComplete) : this;
  }

  /** The message, once enough chunks arrived; undefined before. */
  decodedMessage(): Uint8Array | undefined {
    if (this.isComplete) return undefined;
    for (let p = 0; p < NUM_POLYS; p++) if (this.pts[p]!.xs.length < this.necessaryPoints(p)) return undefined;
    const polys: (Uint16Array | undefined)[] = new Array(NUM_POLYS);
    const out = new Uint8Array(this.ptsNeeded * 2);
    for (let i = 0; i < this.ptsNeeded; i++) {
      const p = i % NUM_POLYS;
      const x = Math.floor(i / NUM_POLYS);
      const set = this.pts[p]!;
      const at = indexOf(set.xs, x);
      let y: number;
      if (at >= 0) y = set.ys[at]!;
      else {
        const need = this.necessaryPoints(p);
        const poly = (polys[p] ??= interpolate(set.xs.slice(0, need), set.ys.slice(0, need)));
        y = evaluate(poly, x);
      }
      out[2 * i] = y >> 8;
      out[2 * i + 1] = y & 0xff;
    }
    return out;
  }
}

function indexOf(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = xs[mid]!;
    if (v === x) return mid;
    if (v < x) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/** Sorted insert; an x already present keeps its first y (spqr's sorted set ignores the newcomer). */
function insertPoint(set: { xs: number[]; ys: number[] }, x: number, y: number): void {
  let lo = 0;
  let hi = set.xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (set.xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (set.xs[lo] === x) return;
  set.xs.splice(lo, 0, x);
  set.ys.splice(lo, 0, y);
}
