import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidArgument } from '../errors.ts';
import { ProtoDecodeError, ProtoMessage, ProtoWriter } from './protobuf.ts';

describe('protobuf codec', () => {
  it('round-trips every field kind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ maxLength: 300 }),
        fc.string(),
        fc.boolean(),
        (u32, u64, bytes, str, b) => {
          const enc = new ProtoWriter()
            .uint32(1, u32)
            .uint64(2, u64)
            .bytes(3, bytes)
            .string(4, str)
            .bool(5, b)
            .fixed64(6, u64)
            .bytes(7, bytes)
            .bytes(7, bytes)
            .finish();
          const m = ProtoMessage.decode(enc);
          expect(m.uint32(1)).toBe(u32);
          expect(m.uint64(2)).toBe(u64);
          expect(m.bytes(3)).toEqual(bytes);
          expect(m.string(4)).toBe(str);
          expect(m.bool(5)).toBe(b);
          expect(m.fixed64(6)).toBe(u64);
          expect(m.repeatedBytes(7).length).toBe(2);
          expect(m.has(8)).toBe(false);
        },
      ),
    );
  });

  it('decodes a known encoding (protobuf docs: field 1 = 150)', () => {
    expect(ProtoMessage.decode(new Uint8Array([0x08, 0x96, 0x01])).uint32(1)).toBe(150);
  });

  it('rejects truncation, overflow, wire-type mismatch and unterminated groups', () => {
    const bad = [
      [0x08], // tag without value
      [0x08, 0x96], // truncated varint
      [0x1a, 0x05, 0x01], // length past end
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // > 64 bits
      [0x0b], // wire type 3 (group) that never ends
      [0x0e], // wire type 6
      [0x00, 0x00], // field 0
      [0x09, 1, 2, 3], // truncated fixed64
    ];
    for (const b of bad) expect(() => ProtoMessage.decode(new Uint8Array(b))).toThrow(ProtoDecodeError);
    const m = ProtoMessage.decode(new Uint8Array([0x0a, 0x01, 0x00]));
    expect(() => m.uint32(1)).toThrow(ProtoDecodeError);
  });

  it('throws nothing but ProtoDecodeError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const m = ProtoMessage.decode(bytes);
          for (let f = 1; f < 10; f++) {
            try {
              m.uint32(f);
              m.bytes(f);
              m.string(f);
              m.repeatedMessages(f);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtoDecodeError);
            }
          }
        } catch (e) {
          expect(e).toBeInstanceOf(ProtoDecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

// What libsignal 0.90's decoder (prost 0.14) does, checked against libsignal-client in
// src/wire-strictness.interop.test.ts: every occurrence of a known field is checked
// against the field's wire type; repeated scalars and bytes: the last one wins;
// repeated embedded messages merge; strings are UTF-8 at every occurrence; unknown
// fields of any wire type, groups included, are skipped; uint32 keeps the low 32 bits.
describe('protobuf codec: repeated occurrences and libsignal parity', () => {
  const dec = (...bytes: number[]) => ProtoMessage.decode(new Uint8Array(bytes));

  it('checks the wire type of every occurrence, not only the last, for every accessor', () => {
    // Field 1 once with a wrong wire type (fixed32, then varint / length-delimited) before the real one.
    const varintAfterFixed32 = dec(0x0d, 1, 2, 3, 4, 0x08, 0x05);
    expect(() => varintAfterFixed32.uint32(1)).toThrow(/wire type/);
    expect(() => varintAfterFixed32.uint64(1)).toThrow(/wire type/);
    expect(() => varintAfterFixed32.safeUint64(1)).toThrow(/wire type/);
    expect(() => varintAfterFixed32.bool(1)).toThrow(/wire type/);
    const fixedAfterVarint = dec(0x08, 0x05, 0x09, 1, 2, 3, 4, 5, 6, 7, 8);
    expect(() => fixedAfterVarint.fixed64(1)).toThrow(/wire type/);
    const bytesAfterVarint = dec(0x08, 0x05, 0x0a, 0x01, 0x41);
    expect(() => bytesAfterVarint.bytes(1)).toThrow(/wire type/);
    expect(() => bytesAfterVarint.string(1)).toThrow(/wire type/);
    expect(() => bytesAfterVarint.message(1)).toThrow(/wire type/);
    expect(() => bytesAfterVarint.repeatedBytes(1)).toThrow(/wire type/);
    expect(() => bytesAfterVarint.repeatedMessages(1)).toThrow(/wire type/);
    // A group where a known field belongs is a wrong wire type too.
    expect(() => dec(0x0b, 0x0c, 0x08, 0x05).uint32(1)).toThrow(/wire type/);
  });

  it('takes the last occurrence of a scalar or bytes field', () => {
    expect(dec(0x08, 0x01, 0x08, 0x02).uint32(1)).toBe(2);
    expect(dec(0x0a, 0x01, 0x41, 0x0a, 0x01, 0x42).string(1)).toBe('B');
  });

  it('checks UTF-8 at every occurrence of a string', () => {
    expect(() => dec(0x0a, 0x01, 0xff, 0x0a, 0x01, 0x42).string(1)).toThrow(/UTF-8/);
  });

  it('merges repeated occurrences of an embedded message (prost merge semantics)', () => {
    // {1: "A"} then {2: 7} then {1: "B"} -> {1: "B", 2: 7}
    const m = dec(0x12, 0x03, 0x0a, 0x01, 0x41, 0x12, 0x02, 0x10, 0x07, 0x12, 0x03, 0x0a, 0x01, 0x42).message(2)!;
    expect(m.string(1)).toBe('B');
    expect(m.uint32(2)).toBe(7);
    // Each occurrence is framed on its own: a field may not run across two occurrences.
    expect(() => dec(0x12, 0x02, 0x0a, 0x01, 0x12, 0x01, 0x41).message(2)).toThrow(ProtoDecodeError);
    // A wrong wire type inside any occurrence is seen.
    expect(() => dec(0x12, 0x02, 0x08, 0x01, 0x12, 0x03, 0x0a, 0x01, 0x41).message(2)!.bytes(1)).toThrow(/wire type/);
  });

  it('skips unknown groups, nested ones too, and rejects unbalanced ones', () => {
    expect(dec(0x4b, 0x08, 0x01, 0x53, 0x54, 0x4c, 0x08, 0x05).uint32(1)).toBe(5);
    expect(() => dec(0x4b, 0x54)).toThrow(ProtoDecodeError); // ends another group
    expect(() => dec(0x4c)).toThrow(ProtoDecodeError); // end without start
    expect(() => dec(0x4b, 0x08, 0x01)).toThrow(ProtoDecodeError); // never ends
    expect(() => dec(0x4b, 0x0e)).toThrow(ProtoDecodeError); // wire type 6 inside
  });

  it('limits nesting to 100 levels, as prost', () => {
    const groups = (n: number) => new Uint8Array([...Array(n).fill(0x4b), ...Array(n).fill(0x4c)]);
    expect(() => ProtoMessage.decode(groups(100))).not.toThrow();
    expect(() => ProtoMessage.decode(groups(101))).toThrow(ProtoDecodeError);
  });

  it('keeps the low 32 bits of an over-long uint32 (prost `as u32`)', () => {
    expect(ProtoMessage.decode(new ProtoWriter().uint64(1, (1n << 32n) + 5n).finish()).uint32(1)).toBe(5);
    expect(ProtoMessage.decode(new ProtoWriter().uint64(1, (1n << 64n) - 1n).finish()).uint32(1)).toBe(0xffffffff);
  });

  it('resolves a oneof to the member that occurs last', () => {
    const m = dec(0x32, 0x01, 0x41, 0x3a, 0x01, 0x42, 0x32, 0x01, 0x43);
    expect(m.oneof([6, 7])).toBe(6);
    expect(dec(0x32, 0x01, 0x41, 0x3a, 0x01, 0x42).oneof([6, 7])).toBe(7);
    expect(dec(0x08, 0x01).oneof([6, 7])).toBeUndefined();
  });
});

describe('protobuf writer: no value is coerced', () => {
  it('rejects null and values outside the field type instead of writing 0 or a truncation', () => {
    const bad: [string, () => unknown][] = [
      ['uint32 null', () => new ProtoWriter().uint32(1, null as unknown as number)],
      ['uint32 -1', () => new ProtoWriter().uint32(1, -1)],
      ['uint32 1.5', () => new ProtoWriter().uint32(1, 1.5)],
      ['uint32 2^32', () => new ProtoWriter().uint32(1, 2 ** 32)],
      ['uint32 NaN', () => new ProtoWriter().uint32(1, NaN)],
      ['uint32 "5"', () => new ProtoWriter().uint32(1, '5' as unknown as number)],
      ['uint64 null', () => new ProtoWriter().uint64(1, null as unknown as number)],
      ['uint64 -1n', () => new ProtoWriter().uint64(1, -1n)],
      ['fixed64 null', () => new ProtoWriter().fixed64(1, null as unknown as bigint)],
      ['bool null', () => new ProtoWriter().bool(1, null as unknown as boolean)],
      ['bytes null', () => new ProtoWriter().bytes(1, null as unknown as Uint8Array)],
      ['string null', () => new ProtoWriter().string(1, null as unknown as string)],
    ];
    for (const [what, f] of bad) expect(f, what).toThrow(InvalidArgument);
  });
});
