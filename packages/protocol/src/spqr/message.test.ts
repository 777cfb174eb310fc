import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidMessage } from '../errors.ts';
import { fromHex, toHex } from '../internal/bytes.ts';
import { decodeMessage, encodeMessage, messageVersion, type Payload, type SpqrMessage } from './message.ts';

const chunkTypes = ['hdr', 'ek', 'ekCt1Ack', 'ct1', 'ct2'] as const;
const payloadArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.constantFrom<Payload>({ type: 'none' }, { type: 'ct1Ack' }),
  fc
    .record({ type: fc.constantFrom(...chunkTypes), index: fc.integer({ min: 0, max: 0xffff }), data: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
    .map(({ type, index, data }) => ({ type, chunk: { index, data } })),
);
const messageArb: fc.Arbitrary<SpqrMessage> = fc.record({
  epoch: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  index: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffffffff })),
  payload: payloadArb,
});

describe('pq_ratchet message codec', () => {
  it('writes the layout spqr writes: version, varint epoch and index, type, chunk', () => {
    // Epoch 300 (0xac 0x02, spqr's own varint test value), index 5, Ek chunk 2.
    const data = new Uint8Array(32).fill(7);
    const bytes = encodeMessage({ epoch: 300, index: 5, payload: { type: 'ek', chunk: { index: 2, data } } });
    expect(toHex(bytes)).toBe('01ac020502' + '02' + '07'.repeat(32));
    expect(toHex(encodeMessage({ epoch: 1, index: 0, payload: { type: 'ct1Ack' } }))).toBe('01010004');
    expect(toHex(encodeMessage({ epoch: 1, index: 9, payload: { type: 'none' } }))).toBe('01010900');
  });

  it('round-trips every message; trailing bytes are ignored', () => {
    fc.assert(
      fc.property(messageArb, fc.uint8Array({ maxLength: 8 }), (m, tail) => {
        const bytes = encodeMessage(m);
        expect(decodeMessage(bytes)).toEqual(m);
        const longer = new Uint8Array(bytes.length + tail.length);
        longer.set(bytes);
        longer.set(tail, bytes.length);
        expect(decodeMessage(longer)).toEqual(m);
      }),
    );
  });

  it('refuses every truncation with InvalidMessage', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = encodeMessage(m);
        for (let n = 0; n < bytes.length; n++) expect(() => decodeMessage(bytes.subarray(0, n))).toThrow(InvalidMessage);
      }),
      { numRuns: 50 },
    );
  });

  it('random bytes decode or fail only with InvalidMessage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          const m = decodeMessage(b);
          expect(m.epoch).toBeGreaterThanOrEqual(1);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidMessage);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses what spqr refuses: epoch 0, a wide index or chunk index, unknown types, unterminated varints', () => {
    const chunk = '00'.repeat(32);
    for (const hex of [
      '', // empty is V0, not a V1 message
      '02010000', // another version
      '01000000', // epoch 0
      '0101', // no index
      '010100', // no type
      '01010007', // type 7
      '010180808080100000', // index 2^32
      '0101000184800400' + chunk, // chunk index 65540
      '01ffffffffffffffffffff', // epoch varint longer than 10 bytes
      '0101000100' + chunk.slice(2), // chunk one byte short
    ]) {
      expect(() => decodeMessage(fromHex(hex)), hex).toThrow(InvalidMessage);
    }
    // Largest index that fits, and epoch 2^53 - 1.
    expect(decodeMessage(fromHex('0101ffffffff0f00')).index).toBe(0xffffffff);
    expect(decodeMessage(encodeMessage({ epoch: Number.MAX_SAFE_INTEGER, index: 0, payload: { type: 'none' } })).epoch).toBe(Number.MAX_SAFE_INTEGER);
    // Epoch 2^53 is refused here (spqr refuses it later, as out of range).
    expect(() => decodeMessage(fromHex('01808080808080801000' + '00'))).toThrow(InvalidMessage);
  });

  it('reads the version: empty is V0, 0 and 1 are themselves, others unknown', () => {
    expect(messageVersion(new Uint8Array(0))).toBe(0);
    expect(messageVersion(fromHex('00ff'))).toBe(0);
    expect(messageVersion(fromHex('01'))).toBe(1);
    expect(messageVersion(fromHex('02'))).toBeUndefined();
  });
});
