// A group's sealed name: members with the master key read it; another key, another
// group's id, or any change to the bytes reads as "no name", never as garbage or a throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomBytes } from '../internal/random.ts';
import { openAttributes, sealAttributes } from './attributes.ts';

const G = '00112233445566778899aabbccddeeff';

describe('group attributes', () => {
  it('round-trip for the group they were sealed for, with lengths hidden to 64 bytes', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (name) => {
        expect(openAttributes(key, G, sealAttributes(key, G, { name }))).toEqual({ name });
      }),
      { numRuns: 200 },
    );
    expect(sealAttributes(key, G, { name: 'a' }).length).toBe(sealAttributes(key, G, { name: 'a longer name' }).length);
  });

  it('another key, another group, altered or random bytes give undefined', () => {
    const key = randomBytes(32);
    const sealed = sealAttributes(key, G, { name: 'Climbing' });
    expect(openAttributes(randomBytes(32), G, sealed)).toBeUndefined();
    expect(openAttributes(key, 'ffeeddccbbaa99887766554433221100', sealed)).toBeUndefined();
    fc.assert(
      fc.property(fc.nat(sealed.length * 8 - 1), fc.uint8Array({ maxLength: 300 }), (bit, random) => {
        const flipped = sealed.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(openAttributes(key, G, flipped)).toBeUndefined();
        expect(openAttributes(key, G, random)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
