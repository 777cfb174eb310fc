/**
 * The `pq_ratchet` bytes of a SignalMessage (spqr v1.5 `v1/chunked/states/serialize.rs`),
 * parsed once into an immutable typed value:
 *
 *   0x01 (V1) ‖ varint epoch ‖ varint index ‖ type byte ‖ [varint chunk index ‖ 32-byte chunk]
 *
 * Types: 0 None, 1 Hdr, 2 Ek, 3 EkCt1Ack, 4 Ct1Ack, 5 Ct1, 6 Ct2; the five chunked
 * types carry a chunk. Empty bytes mean "no SPQR" (V0). Trailing bytes are ignored,
 * as in spqr (room for later versions). Varints are LEB128 of at most 10 bytes
 * (bits past 64 dropped, as spqr's decoder does); the epoch must be at least 1,
 * the index must fit 32 bits and a chunk index 16 bits.
 *
 * Stricter than spqr on purpose: an epoch above 2^53 - 1 is refused here (spqr
 * refuses it later as out of range; both fail the message). This module owns the
 * byte format only; what a message means is the state machine's business.
 */
import { InvalidMessage } from '../errors.ts';

/** The SPQR protocol versions: V0 is "no SPQR", V1 the ML-KEM-768 braid. */
export type SpqrVersion = 0 | 1;

/** Bytes of every erasure-code chunk. */
export const CHUNK_BYTES = 32;

/** One erasure-code chunk: its index (u16) and 32 bytes. */
export interface Chunk {
  readonly index: number;
  readonly data: Uint8Array;
}

/** What a V1 message carries besides its epoch and chain index. */
export type Payload =
  | { readonly type: 'none' }
  | { readonly type: 'ct1Ack' }
  | { readonly type: 'hdr' | 'ek' | 'ekCt1Ack' | 'ct1' | 'ct2'; readonly chunk: Chunk };

export type PayloadType = Payload['type'];

/** A decoded V1 `pq_ratchet` message. */
export interface SpqrMessage {
  /** Braid epoch, at least 1. */
  readonly epoch: number;
  /** Position in the epoch's key chain (0 when the sender had no chain yet). */
  readonly index: number;
  readonly payload: Payload;
}

const TYPE_BYTES: Record<PayloadType, number> = { none: 0, hdr: 1, ek: 2, ekCt1Ack: 3, ct1Ack: 4, ct1: 5, ct2: 6 };
const TYPES: readonly PayloadType[] = ['none', 'hdr', 'ek', 'ekCt1Ack', 'ct1Ack', 'ct1', 'ct2'];
export const MAX_VARINT_BYTES = 10;
/** Highest erasure-code chunk index (spqr's `Chunk::index` is a u16). */
export const MAX_CHUNK_INDEX = 0xffff;
/** Highest key index in an epoch's chain (a u32 in spqr). */
export const MAX_CHAIN_INDEX = 0xffffffff;
/** Highest braid epoch Parley takes, in a message or a stored state: 2^53 - 1 (spqr: u64; see the module header). */
export const MAX_SAFE_EPOCH = Number.MAX_SAFE_INTEGER;

/**
 * The version a `pq_ratchet` field announces: empty is V0, a first byte of 0 or 1
 * names that version, anything else is a version this implementation does not know
 * (undefined; spqr then ignores the message's SPQR part).
 */
export function messageVersion(bytes: Uint8Array): SpqrVersion | undefined {
  if (bytes.length === 0) return 0;
  const v = bytes[0];
  return v === 0 || v === 1 ? v : undefined;
}

function writeVarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/** Serializes a V1 message (the chain index is part of the message). */
export function encodeMessage(m: SpqrMessage): Uint8Array {
  const out: number[] = [1];
  writeVarint(out, m.epoch);
  writeVarint(out, m.index);
  out.push(TYPE_BYTES[m.payload.type]);
  if ('chunk' in m.payload) writeVarint(out, m.payload.chunk.index);
  const head = Uint8Array.from(out);
  if (!('chunk' in m.payload)) return head;
  const r = new Uint8Array(head.length + CHUNK_BYTES);
  r.set(head);
  r.set(m.payload.chunk.data, head.length);
  return r;
}

class Reader {
  pos = 1;
  constructor(readonly b: Uint8Array) {}

  /** LEB128, at most 10 bytes; the value's bits above 2^64 are dropped as in spqr. Returns a number or Infinity past 2^53. */
  varint(what: string): number {
    const start = this.pos;
    if (start >= this.b.length) throw bad(`${what} missing`);
    let v = 0;
    for (let i = 0; i < MAX_VARINT_BYTES && start + i < this.b.length; i++) {
      const byte = this.b[start + i]!;
      const bits = byte & 0x7f;
      // Bits at 2^64 and above fall off a u64 shift in spqr; they never make a value smaller here
      // (only values <= 2^53 - 1 are used), so they are simply ignored.
      if (i < 9) v += bits * 2 ** (7 * i);
      else if (bits & 1) v += 2 ** 63;
      if ((byte & 0x80) === 0) {
        this.pos = start + i + 1;
        return v;
      }
    }
    throw bad(`${what} is not a terminated varint of at most ${MAX_VARINT_BYTES} bytes`);
  }
}

function bad(reason: string): InvalidMessage {
  return new InvalidMessage(`post-quantum ratchet message: ${reason}`);
}

/**
 * Parses V1 `pq_ratchet` bytes. Throws InvalidMessage for anything spqr's decoder
 * refuses (and for epochs above 2^53 - 1, see the module header).
 */
export function decodeMessage(bytes: Uint8Array): SpqrMessage {
  if (!(bytes instanceof Uint8Array)) throw bad('expected bytes');
  if (bytes.length === 0 || bytes[0] !== 1) throw bad('not a version 1 message');
  const r = new Reader(bytes);
  const epoch = r.varint('epoch');
  if (epoch === 0) throw bad('epoch 0');
  if (epoch > MAX_SAFE_EPOCH) throw bad('epoch out of range');
  const index = r.varint('index');
  if (index > MAX_CHAIN_INDEX) throw bad('index does not fit 32 bits');
  if (r.pos >= bytes.length) throw bad('message type missing');
  const type = TYPES[bytes[r.pos]!];
  if (type === undefined) throw bad(`unknown message type ${bytes[r.pos]}`);
  r.pos++;
  if (type === 'none' || type === 'ct1Ack') return { epoch, index, payload: { type } };
  const chunkIndex = r.varint('chunk index');
  if (r.pos + CHUNK_BYTES > bytes.length) throw bad('chunk truncated');
  if (chunkIndex > MAX_CHUNK_INDEX) throw bad('chunk index does not fit 16 bits');
  const data = bytes.slice(r.pos, r.pos + CHUNK_BYTES);
  return { epoch, index, payload: { type, chunk: { index: chunkIndex, data } } };
}
