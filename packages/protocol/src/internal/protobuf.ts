/**
 * A minimal protobuf codec for the protocol's own messages (wire.proto,
 * storage.proto, fingerprint.proto, sealed_sender.proto). It owns field framing
 * only; each message kind is parsed into a typed value by its own module.
 *
 * It accepts exactly what libsignal's decoder (prost 0.14) accepts, checked
 * against libsignal-client 0.90 in src/wire-strictness.interop.test.ts:
 * - every occurrence of a known field must have the field's wire type (checked
 *   by the accessor the decoder calls, over all occurrences, not only the last);
 * - a repeated scalar, string or bytes field: the last occurrence wins, and every
 *   string occurrence must be UTF-8; repeated occurrences of an embedded message
 *   merge (`message`); a oneof takes the member that occurs last (`oneof`);
 * - unknown fields of any wire type are skipped, groups (wire types 3/4) too,
 *   nested at most 100 deep (prost's recursion limit); an unbalanced group, wire
 *   type 6/7, field number 0, a tag above 2^32-1, truncated or over-long varints
 *   and lengths past the end are rejected;
 * - uint32 keeps the low 32 bits of a longer varint (prost's `as u32`).
 * Stricter than prost, on purpose: at most `maxFields` fields per message
 * (docs/LIMITS.md) and `safeUint64` refuses values above 2^53.
 */
import { InvalidArgument } from '../errors.ts';

export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
}

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

/** Nesting depth prost allows (its RECURSION_LIMIT): embedded messages and groups together. */
export const MAX_DEPTH = 100;

export interface ProtoField {
  readonly no: number;
  readonly wire: WireType;
  /** Low and high 32 bits of a varint / fixed value. */
  readonly lo: number;
  readonly hi: number;
  /** Payload of a length-delimited field (a view into the input). */
  readonly data: Uint8Array | undefined;
  /** Position among the message's fields, in wire order (for oneofs). */
  readonly seq: number;
}

const TWO32 = 4294967296;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Skips the group of field `no` whose start tag ended at `pos` (prost's skip_field):
 * returns the position after its end tag. `levels` is the recursion budget left, as
 * prost counts it; every field inside takes one more level. Only groups come here,
 * so this stays off the hot path.
 */
function skipGroup(buf: Uint8Array, pos: number, no: number, levels: number): number {
  const len = buf.length;
  const varint = (): number => {
    // Only the value's size matters here, except for tags and lengths (checked below to fit 32 bits).
    let v = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= len) throw new ProtoDecodeError('truncated varint');
      const b = buf[pos++]!;
      if (i < 5) v += (b & 0x7f) * 2 ** (7 * i);
      else if (b & 0x7f) v = Infinity;
      if ((b & 0x80) === 0) {
        if (i === 9 && b > 1) throw new ProtoDecodeError('varint overflows 64 bits');
        return v;
      }
    }
    throw new ProtoDecodeError('varint longer than 10 bytes');
  };
  const skip = (fieldNo: number, wire: number, budget: number): void => {
    if (budget === 0) throw new ProtoDecodeError('nested too deeply');
    switch (wire) {
      case WireType.Varint:
        varint();
        return;
      case WireType.Fixed64:
      case WireType.Fixed32:
        pos += wire === WireType.Fixed64 ? 8 : 4;
        if (pos > len) throw new ProtoDecodeError('truncated fixed-width field');
        return;
      case WireType.Len: {
        const l = varint();
        if (l > len - pos) throw new ProtoDecodeError('length past end of input');
        pos += l;
        return;
      }
      case WireType.StartGroup:
        for (;;) {
          const key = varint();
          if (key > 0xffffffff) throw new ProtoDecodeError('field number out of range');
          const innerNo = Math.floor(key / 8);
          const innerWire = key % 8;
          if (innerNo === 0) throw new ProtoDecodeError('field number 0');
          if (innerWire > WireType.Fixed32) throw new ProtoDecodeError(`unsupported wire type ${innerWire}`);
          if (innerWire === WireType.EndGroup) {
            if (innerNo !== fieldNo) throw new ProtoDecodeError('group ends with another field number');
            return;
          }
          skip(innerNo, innerWire, budget - 1);
        }
      default:
        throw new ProtoDecodeError('group end without a start');
    }
  };
  skip(no, WireType.StartGroup, levels);
  return pos;
}

/** Parsed message: every occurrence of every field, by number, in wire order. */
export class ProtoMessage {
  private constructor(
    private readonly fields: Map<number, ProtoField[]>,
    /** Field numbers seen with more than one wire type (always an error once the field is read). */
    private readonly mixed: Set<number> | undefined,
    private readonly count: number,
    /** Nesting levels left for embedded messages read from this one. */
    private readonly depth: number,
  ) {}

  /**
   * @param maxFields bound on fields per message (unknown ones included)
   * @param depth nesting levels left, as prost counts them: MAX_DEPTH at the top
   */
  static decode(buf: Uint8Array, maxFields = 1024, depth = MAX_DEPTH): ProtoMessage {
    const fields = new Map<number, ProtoField[]>();
    let mixed: Set<number> | undefined;
    let pos = 0;
    let count = 0;
    const len = buf.length;
    const readVarint = (): [number, number] => {
      let lo = 0;
      let hi = 0;
      let shift = 0;
      for (let i = 0; i < 10; i++) {
        if (pos >= len) throw new ProtoDecodeError('truncated varint');
        const b = buf[pos++]!;
        if (shift < 28) {
          lo |= (b & 0x7f) << shift;
        } else if (shift === 28) {
          lo |= (b & 0x0f) << 28;
          hi |= (b & 0x7f) >>> 4;
        } else {
          hi |= (b & 0x7f) << (shift - 32);
        }
        if ((b & 0x80) === 0) {
          if (i === 9 && b > 1) throw new ProtoDecodeError('varint overflows 64 bits');
          return [lo >>> 0, hi >>> 0];
        }
        shift += 7;
      }
      throw new ProtoDecodeError('varint longer than 10 bytes');
    };
    while (pos < len) {
      if (count >= maxFields) throw new ProtoDecodeError('too many fields');
      const [tagLo, tagHi] = readVarint();
      if (tagHi !== 0) throw new ProtoDecodeError('field number out of range');
      const no = tagLo >>> 3;
      const wire = tagLo & 7;
      if (no === 0) throw new ProtoDecodeError('field number 0');
      let field: ProtoField;
      switch (wire) {
        case WireType.Varint: {
          const [lo, hi] = readVarint();
          field = { no, wire, lo, hi, data: undefined, seq: count };
          break;
        }
        case WireType.Fixed64: {
          if (pos + 8 > len) throw new ProtoDecodeError('truncated fixed64');
          const dv = new DataView(buf.buffer, buf.byteOffset + pos, 8);
          field = { no, wire, lo: dv.getUint32(0, true), hi: dv.getUint32(4, true), data: undefined, seq: count };
          pos += 8;
          break;
        }
        case WireType.Fixed32: {
          if (pos + 4 > len) throw new ProtoDecodeError('truncated fixed32');
          const dv = new DataView(buf.buffer, buf.byteOffset + pos, 4);
          field = { no, wire, lo: dv.getUint32(0, true), hi: 0, data: undefined, seq: count };
          pos += 4;
          break;
        }
        case WireType.Len: {
          const [l, lh] = readVarint();
          if (lh !== 0 || l > len - pos) throw new ProtoDecodeError('length past end of input');
          field = { no, wire, lo: l, hi: 0, data: buf.subarray(pos, pos + l), seq: count };
          pos += l;
          break;
        }
        case WireType.StartGroup:
          // Skipped; kept as an occurrence so that a known field sent as a group is still refused.
          pos = skipGroup(buf, pos, no, depth);
          field = { no, wire, lo: 0, hi: 0, data: undefined, seq: count };
          break;
        case WireType.EndGroup:
          throw new ProtoDecodeError('group end without a start');
        default:
          throw new ProtoDecodeError(`unsupported wire type ${wire}`);
      }
      count++;
      const list = fields.get(no);
      if (!list) fields.set(no, [field]);
      else {
        if (list[0]!.wire !== wire) (mixed ??= new Set()).add(no);
        list.push(field);
      }
    }
    return new ProtoMessage(fields, mixed, count, depth);
  }

  has(no: number): boolean {
    return this.fields.has(no);
  }

  /** Checks that every occurrence of field `no` has wire type `wire` (see `checkKnownFields`). */
  checkWire(no: number, wire: WireType): void {
    this.all(no, wire);
  }

  /** All occurrences of field `no`, after checking that every one has wire type `wire`. */
  private all(no: number, wire: WireType): ProtoField[] | undefined {
    const list = this.fields.get(no);
    if (!list) return undefined;
    if (list[0]!.wire !== wire || this.mixed?.has(no)) {
      const other = list.find((f) => f.wire !== wire)!;
      throw new ProtoDecodeError(`field ${no} has wire type ${other.wire}, expected ${wire}`);
    }
    return list;
  }

  private last(no: number, wire: WireType): ProtoField | undefined {
    const list = this.all(no, wire);
    return list && list[list.length - 1];
  }

  /** uint32 field (also int32 and enums): the low 32 bits of the varint, as prost's `as u32`. */
  uint32(no: number): number | undefined {
    return this.last(no, WireType.Varint)?.lo;
  }

  uint64(no: number): bigint | undefined {
    const f = this.last(no, WireType.Varint);
    if (!f) return undefined;
    return (BigInt(f.hi) << 32n) | BigInt(f.lo);
  }

  /** uint64 that must fit in a JS safe integer (timestamps, ids). */
  safeUint64(no: number): number | undefined {
    const f = this.last(no, WireType.Varint);
    if (!f) return undefined;
    if (f.hi >= 0x200000) throw new ProtoDecodeError(`field ${no} exceeds 2^53`);
    return f.hi * TWO32 + f.lo;
  }

  fixed64(no: number): bigint | undefined {
    const f = this.last(no, WireType.Fixed64);
    if (!f) return undefined;
    return (BigInt(f.hi) << 32n) | BigInt(f.lo);
  }

  bool(no: number): boolean | undefined {
    const f = this.last(no, WireType.Varint);
    if (!f) return undefined;
    return f.lo !== 0 || f.hi !== 0;
  }

  bytes(no: number): Uint8Array | undefined {
    return this.last(no, WireType.Len)?.data;
  }

  /** The last occurrence, after checking that every occurrence is UTF-8 (prost checks each as it merges). */
  string(no: number): string | undefined {
    const list = this.all(no, WireType.Len);
    if (!list) return undefined;
    let s = '';
    for (const f of list) {
      try {
        s = UTF8.decode(f.data!);
      } catch {
        throw new ProtoDecodeError(`field ${no} is not valid UTF-8`);
      }
    }
    return s;
  }

  repeatedBytes(no: number): Uint8Array[] {
    return (this.all(no, WireType.Len) ?? []).map((f) => f.data!);
  }

  /**
   * An embedded message. Repeated occurrences merge into one, as in every protobuf
   * implementation: later scalars win, repeated fields append, embedded messages merge.
   */
  message(no: number, maxFields?: number): ProtoMessage | undefined {
    const list = this.all(no, WireType.Len);
    if (!list) return undefined;
    // Each occurrence is framed on its own: a field cannot run across two of them.
    const parts = list.map((f) => this.nested(f.data!, maxFields));
    return parts.length === 1 ? parts[0] : ProtoMessage.merge(parts);
  }

  /** A repeated embedded message: one value per occurrence. */
  repeatedMessages(no: number, maxFields?: number): ProtoMessage[] {
    return (this.all(no, WireType.Len) ?? []).map((f) => this.nested(f.data!, maxFields));
  }

  /** Which member of a oneof is set: the one whose last occurrence comes last on the wire. */
  oneof(members: readonly number[]): number | undefined {
    let best: number | undefined;
    let bestSeq = -1;
    for (const no of members) {
      const list = this.fields.get(no);
      const seq = list ? list[list.length - 1]!.seq : -1;
      if (seq > bestSeq) {
        best = no;
        bestSeq = seq;
      }
    }
    return best;
  }

  private nested(data: Uint8Array, maxFields: number | undefined): ProtoMessage {
    if (this.depth === 0) throw new ProtoDecodeError('nested too deeply');
    return ProtoMessage.decode(data, maxFields, this.depth - 1);
  }

  private static merge(parts: ProtoMessage[]): ProtoMessage {
    const fields = new Map<number, ProtoField[]>();
    let mixed: Set<number> | undefined;
    let offset = 0;
    for (const part of parts) {
      for (const [no, list] of part.fields) {
        const moved = list.map((f) => ({ ...f, seq: f.seq + offset }));
        const existing = fields.get(no);
        if (!existing) fields.set(no, moved);
        else {
          if (existing[0]!.wire !== moved[0]!.wire) (mixed ??= new Set()).add(no);
          existing.push(...moved);
        }
      }
      for (const no of part.mixed ?? []) (mixed ??= new Set()).add(no);
      offset += part.count;
    }
    return new ProtoMessage(fields, mixed, offset, parts[0]!.depth);
  }
}

/** The fields a message kind defines: each one's wire type, or the fields of the message it embeds. */
export interface KnownFields {
  readonly [no: number]: WireType.Varint | WireType.Fixed64 | WireType.Len | WireType.Fixed32 | KnownFields;
}

/**
 * Checks every occurrence of every field `known` defines, at every depth, as prost does
 * when it decodes a whole message: its wire type, and the framing of each embedded
 * message (the members of a oneof that lose to a later one included). The accessors
 * check only the fields a decoder reads; a decoder that reads some fields only in some
 * states calls this first, so that it refuses what prost refuses whatever the state.
 */
export function checkKnownFields(m: ProtoMessage, known: KnownFields): void {
  for (const key of Object.keys(known)) {
    const no = Number(key);
    const t = known[no]!;
    if (typeof t === 'number') m.checkWire(no, t);
    else for (const inner of m.repeatedMessages(no)) checkKnownFields(inner, t);
  }
}

/**
 * Writes fields in the order called (callers follow field-number order, as prost
 * does). `undefined` means "absent"; anything that is not a value of the field's
 * type (null, -1, 1.5, NaN, 2^32 for a uint32) is refused with InvalidArgument,
 * never coerced: a null id must not reach the wire as 0.
 */
export class ProtoWriter {
  private buf = new Uint8Array(128);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** `v` is a non-negative safe integer (callers check). */
  private varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  private varintBig(v: bigint): void {
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  private tag(no: number, wire: WireType): void {
    this.varint(no * 8 + wire);
  }

  uint32(no: number, v: number | undefined): this {
    if (v === undefined) return this;
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid(no, 'a uint32', v);
    this.tag(no, WireType.Varint);
    this.varint(v);
    return this;
  }

  uint64(no: number, v: number | bigint | undefined): this {
    if (v === undefined) return this;
    if (typeof v === 'bigint') {
      if (v < 0n || v >= 1n << 64n) throw invalid(no, 'a uint64', v);
      this.tag(no, WireType.Varint);
      this.varintBig(v);
    } else {
      if (!Number.isSafeInteger(v) || v < 0) throw invalid(no, 'a uint64', v);
      this.tag(no, WireType.Varint);
      this.varint(v);
    }
    return this;
  }

  bool(no: number, v: boolean | undefined): this {
    if (v === undefined) return this;
    if (typeof v !== 'boolean') throw invalid(no, 'a boolean', v);
    this.tag(no, WireType.Varint);
    this.varint(v ? 1 : 0);
    return this;
  }

  fixed64(no: number, v: bigint | undefined): this {
    if (v === undefined) return this;
    if (typeof v !== 'bigint' || v < 0n || v >= 1n << 64n) throw invalid(no, 'a fixed64', v);
    this.tag(no, WireType.Fixed64);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setBigUint64(0, v, true);
    this.pos += 8;
    return this;
  }

  bytes(no: number, v: Uint8Array | undefined): this {
    if (v === undefined) return this;
    if (!(v instanceof Uint8Array)) throw invalid(no, 'bytes', v);
    this.tag(no, WireType.Len);
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  string(no: number, v: string | undefined): this {
    if (v === undefined) return this;
    if (typeof v !== 'string') throw invalid(no, 'a string', v);
    return this.bytes(no, new TextEncoder().encode(v));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function invalid(no: number, type: string, v: unknown): InvalidArgument {
  const shown = v === null ? 'null' : typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v;
  return new InvalidArgument(`protobuf field ${no}: expected ${type}, got ${shown}`);
}

/**
 * Runs `parse` over a decoded message and maps every framing error to the
 * caller's typed error, so decoders can't leak ProtoDecodeError.
 */
export function parseProto<T>(
  bytes: Uint8Array,
  parse: (m: ProtoMessage) => T,
  toError: (reason: string) => Error,
): T {
  let m: ProtoMessage;
  try {
    m = ProtoMessage.decode(bytes);
    return parse(m);
  } catch (e) {
    if (e instanceof ProtoDecodeError) throw toError(e.message);
    throw e;
  }
}
