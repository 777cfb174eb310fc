import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

  it('rejects truncation, overflow, wire-type mismatch and groups', () => {
    const bad = [
      [0x08], // tag without value
      [0x08, 0x96], // truncated varint
      [0x1a, 0x05, 0x01], // length past end
      [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // > 64 bits
      [0x0b], // wire type 3 (group)
      [0x00, 0x00], // field 0
      [0x09, 1, 2, 3], // truncated fixed64
    ];
    for (const b of bad) expect(() => ProtoMessage.decode(new Uint8Array(b))).toThrow(ProtoDecodeError);
    const m = ProtoMessage.decode(new Uint8Array([0x0a, 0x01, 0x00]));
    expect(() => m.uint32(1)).toThrow(ProtoDecodeError);
    const big = ProtoMessage.decode(new ProtoWriter().uint64(1, 1n << 40n).finish());
    expect(() => big.uint32(1)).toThrow(ProtoDecodeError);
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
