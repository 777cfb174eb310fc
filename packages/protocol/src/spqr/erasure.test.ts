import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { utf8 } from '../internal/bytes.ts';
import { seededRandom } from '../test-support/parley-device.ts';
import { ErasureCodeError, interpolate, PolyDecoder, PolyEncoder } from './erasure.ts';
import { gfDiv, gfMul, gfMulSlow } from './gf16.ts';

describe('GF(2^16) mod 0x1100b', () => {
  it('table multiplication equals carry-less multiply and reduce; division inverts it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (a, b) => {
        const p = gfMul(a, b);
        expect(p).toBe(gfMulSlow(a, b));
        expect(gfMul(b, a)).toBe(p);
        if (b !== 0) expect(gfDiv(p, b)).toBe(a);
      }),
      { numRuns: 5000 },
    );
    // x^16 = x^12 + x^3 + x + 1: the reduction polynomial itself.
    expect(gfMul(0x8000, 2)).toBe(0x100b);
    expect(gfDiv(5, 0)).toBe(0);
  });

  it('interpolates: the polynomial through n points takes their values', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }), fc.integer(), (xs, seed) => {
        const rnd = seededRandom(seed);
        const ys = xs.map(() => Math.floor(rnd() * 0x10000));
        const c = interpolate(xs, ys);
        expect(c.length).toBe(xs.length);
        xs.forEach((x, i) => {
          let acc = 0;
          for (let k = c.length - 1; k >= 0; k--) acc = gfMul(acc, x) ^ c[k]!;
          expect(acc).toBe(ys[i]);
        });
      }),
      { numRuns: 100 },
    );
  });
});

describe('erasure code', () => {
  it('decodes spqr’s small example from chunks 1 and 2 (no systematic chunk)', () => {
    const enc = PolyEncoder.encode(utf8('abcdefghij'));
    const dec = PolyDecoder.create(10).addChunk(enc.chunkAt(1)).addChunk(enc.chunkAt(2));
    expect(dec.decodedMessage()).toEqual(utf8('abcdefghij'));
  });

  it('sends the message itself first (systematic chunks), in order', () => {
    const msg = Uint8Array.from({ length: 96 }, (_, i) => i);
    let enc = PolyEncoder.encode(msg);
    for (let k = 0; k < 3; k++) {
      const { chunk, next } = enc.nextChunk();
      expect(chunk.index).toBe(k);
      expect(chunk.data).toEqual(msg.subarray(32 * k, 32 * k + 32));
      enc = next;
    }
    expect(enc.state.kind).toBe('points');
    const { next } = enc.nextChunk();
    expect(next.state.kind).toBe('polys'); // the first parity chunk switches to coefficients
  });

  // The sizes SPQR codes: header ‖ MAC, ct1, ct2 ‖ MAC, ek; plus odd shapes.
  for (const len of [96, 960, 160, 1152, 10, 34, 1088]) {
    it(`any ${Math.ceil(len / 32)} distinct chunks of a ${len}-byte message decode it, in any order`, () => {
      const need = Math.ceil(len / 32);
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: len, maxLength: len }),
          fc.uniqueArray(fc.integer({ min: 0, max: 3 * need + 5 }), { minLength: need, maxLength: need }),
          fc.array(fc.integer({ min: 0, max: 3 * need + 5 }), { maxLength: 4 }),
          (msg, picks, dupes) => {
            const enc = PolyEncoder.encode(msg);
            let dec = PolyDecoder.create(len);
            // Duplicates of chunks already given never hurt.
            for (const i of [...picks.slice(0, -1), ...dupes.filter((d) => picks.slice(0, -1).includes(d))]) {
              dec = dec.addChunk(enc.chunkAt(i));
            }
            expect(dec.decodedMessage()).toBeUndefined();
            dec = dec.addChunk(enc.chunkAt(picks[picks.length - 1]!));
            expect(dec.decodedMessage()).toEqual(msg);
          },
        ),
        { numRuns: len > 500 ? 8 : 30 },
      );
    });
  }

  it('is a value: adding a chunk or taking the next one leaves the original unchanged', () => {
    const msg = Uint8Array.from({ length: 96 }, (_, i) => i * 3);
    const enc = PolyEncoder.encode(msg);
    const a = enc.nextChunk();
    expect(enc.idx).toBe(0);
    expect(a.next.idx).toBe(1);
    const dec = PolyDecoder.create(96);
    const d2 = dec.addChunk(a.chunk);
    expect(dec.pts.every((p) => p.xs.length === 0)).toBe(true);
    expect(d2.pts.every((p) => p.xs.length === 1)).toBe(true);
  });

  it('refuses odd lengths', () => {
    expect(() => PolyEncoder.encode(new Uint8Array(3))).toThrow(ErasureCodeError);
    expect(() => PolyDecoder.create(3)).toThrow(ErasureCodeError);
  });
});
