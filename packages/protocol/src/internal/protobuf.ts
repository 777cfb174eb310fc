/**
 * A minimal, strict protobuf codec for the protocol's own messages (wire.proto,
 * storage.proto, fingerprint.proto, sealed_sender.proto). It owns field framing
 * only; each message kind is parsed into a typed value by its own module.
 *
 * Strictness: truncated or over-long varints, lengths past the end, wire-type 3/4
 * (groups), field number 0 and a wire type that disagrees with the caller's
 * expectation are all rejected. Unknown fields are skipped, as protobuf requires,
 * so newer peers can add fields.
 */

export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
}

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Len = 2,
  Fixed32 = 5,
}

export interface ProtoField {
  readonly no: number;
  readonly wire: WireType;
  /** Low and high 32 bits of a varint / fixed value. */
  readonly lo: number;
  readonly hi: number;
  /** Payload of a length-delimited field (a view into the input). */
  readonly data: Uint8Array | undefined;
}

const TWO32 = 4294967296;

/** Parsed message: fields by number, in wire order. */
export class ProtoMessage {
  private constructor(private readonly fields: Map<number, ProtoField[]>) {}

  static decode(buf: Uint8Array, maxFields = 1024): ProtoMessage {
    const fields = new Map<number, ProtoField[]>();
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
      if (++count > maxFields) throw new ProtoDecodeError('too many fields');
      const [tagLo, tagHi] = readVarint();
      if (tagHi !== 0) throw new ProtoDecodeError('field number out of range');
      const no = tagLo >>> 3;
      const wire = tagLo & 7;
      if (no === 0) throw new ProtoDecodeError('field number 0');
      let field: ProtoField;
      switch (wire) {
        case WireType.Varint: {
          const [lo, hi] = readVarint();
          field = { no, wire, lo, hi, data: undefined };
          break;
        }
        case WireType.Fixed64: {
          if (pos + 8 > len) throw new ProtoDecodeError('truncated fixed64');
          const dv = new DataView(buf.buffer, buf.byteOffset + pos, 8);
          field = { no, wire, lo: dv.getUint32(0, true), hi: dv.getUint32(4, true), data: undefined };
          pos += 8;
          break;
        }
        case WireType.Fixed32: {
          if (pos + 4 > len) throw new ProtoDecodeError('truncated fixed32');
          const dv = new DataView(buf.buffer, buf.byteOffset + pos, 4);
          field = { no, wire, lo: dv.getUint32(0, true), hi: 0, data: undefined };
          pos += 4;
          break;
        }
        case WireType.Len: {
          const [l, lh] = readVarint();
          if (lh !== 0 || l > len - pos) throw new ProtoDecodeError('length past end of input');
          field = { no, wire, lo: l, hi: 0, data: buf.subarray(pos, pos + l) };
          pos += l;
          break;
        }
        default:
          throw new ProtoDecodeError(`unsupported wire type ${wire}`);
      }
      const list = fields.get(no);
      if (list) list.push(field);
      else fields.set(no, [field]);
    }
    return new ProtoMessage(fields);
  }

  has(no: number): boolean {
    return this.fields.has(no);
  }

  private last(no: number, wire: WireType): ProtoField | undefined {
    const list = this.fields.get(no);
    if (!list) return undefined;
    const f = list[list.length - 1]!;
    if (f.wire !== wire) throw new ProtoDecodeError(`field ${no} has wire type ${f.wire}, expected ${wire}`);
    return f;
  }

  /** uint32 field; values above 2^32-1 are rejected rather than truncated. */
  uint32(no: number): number | undefined {
    const f = this.last(no, WireType.Varint);
    if (!f) return undefined;
    if (f.hi !== 0) throw new ProtoDecodeError(`field ${no} exceeds uint32`);
    return f.lo;
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

  string(no: number): string | undefined {
    const b = this.bytes(no);
    if (b === undefined) return undefined;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw new ProtoDecodeError(`field ${no} is not valid UTF-8`);
    }
  }

  repeatedBytes(no: number): Uint8Array[] {
    const list = this.fields.get(no);
    if (!list) return [];
    return list.map((f) => {
      if (f.wire !== WireType.Len) throw new ProtoDecodeError(`field ${no} has wire type ${f.wire}, expected 2`);
      return f.data!;
    });
  }

  message(no: number): ProtoMessage | undefined {
    const b = this.bytes(no);
    return b === undefined ? undefined : ProtoMessage.decode(b);
  }

  repeatedMessages(no: number): ProtoMessage[] {
    return this.repeatedBytes(no).map((b) => ProtoMessage.decode(b));
  }
}

/** Writes fields in the order called (callers follow field-number order, as prost does). */
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

  private varint(v: number): void {
    this.ensure(10);
    if (v < 0 || !Number.isInteger(v) || v > Number.MAX_SAFE_INTEGER) throw new RangeError(`varint out of range: ${v}`);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  private varintBig(v: bigint): void {
    this.ensure(10);
    v = BigInt.asUintN(64, v);
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
    this.tag(no, WireType.Varint);
    this.varint(v >>> 0);
    return this;
  }

  uint64(no: number, v: number | bigint | undefined): this {
    if (v === undefined) return this;
    this.tag(no, WireType.Varint);
    if (typeof v === 'bigint') this.varintBig(v);
    else this.varint(v);
    return this;
  }

  bool(no: number, v: boolean | undefined): this {
    if (v === undefined) return this;
    this.tag(no, WireType.Varint);
    this.varint(v ? 1 : 0);
    return this;
  }

  fixed64(no: number, v: bigint | undefined): this {
    if (v === undefined) return this;
    this.tag(no, WireType.Fixed64);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }

  bytes(no: number, v: Uint8Array | undefined): this {
    if (v === undefined) return this;
    this.tag(no, WireType.Len);
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  string(no: number, v: string | undefined): this {
    if (v === undefined) return this;
    return this.bytes(no, new TextEncoder().encode(v));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
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
