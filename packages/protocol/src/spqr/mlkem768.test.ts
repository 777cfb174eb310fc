import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { fromHex, toHex } from '../internal/bytes.ts';
import * as kem from './mlkem768.ts';
// Source: test/vectors/README.md (libcrux's ML-KEM-768 NIST known answers, 100 cases).
import kats from '../../test/vectors/mlkem768-libcrux-nistkats.json' with { type: 'json' };

describe('incremental ML-KEM-768', () => {
  it('matches libcrux’s 100 ML-KEM-768 known answers through the split encapsulation', () => {
    expect(kats.length).toBe(100);
    for (const v of kats) {
      const keys = kem.generate(fromHex(v.key_generation_seed));
      const ek = new Uint8Array(1184);
      ek.set(keys.encapsulationKey);
      ek.set(keys.header.subarray(0, 32), 1152);
      expect(toHex(sha3_256(ek))).toBe(v.sha3_256_hash_of_public_key);
      expect(toHex(keys.header.subarray(32))).toBe(v.sha3_256_hash_of_public_key);
      expect(toHex(sha3_256(keys.decapsulationKey))).toBe(v.sha3_256_hash_of_secret_key);

      const one = kem.encaps1(keys.header, fromHex(v.encapsulation_seed));
      const ct2 = kem.encaps2(keys.encapsulationKey, one.state);
      const ct = new Uint8Array(1088);
      ct.set(one.ct1);
      ct.set(ct2, 960);
      expect(toHex(sha3_256(ct))).toBe(v.sha3_256_hash_of_ciphertext);
      expect(toHex(one.sharedSecret)).toBe(v.shared_secret);
      expect(toHex(kem.decaps(keys.decapsulationKey, one.ct1, ct2))).toBe(v.shared_secret);
    }
  });

  it('equals one-shot ML-KEM-768 for random keys and randomness, also through a stored state', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed, m) => {
        const keys = kem.generate(seed);
        const { publicKey } = ml_kem768.keygen(seed);
        const ref = ml_kem768.encapsulate(publicKey, m);
        const one = kem.encaps1(keys.header, m);
        const stored = kem.deserializeEncapsulationState(kem.serializeEncapsulationState(one.state));
        const ct2 = kem.encaps2(keys.encapsulationKey, stored);
        expect(toHex(one.ct1) + toHex(ct2)).toBe(toHex(ref.cipherText));
        expect(one.sharedSecret).toEqual(ref.sharedSecret);
      }),
      { numRuns: 10 },
    );
  });

  it('stores the state as libcrux does (centered int16, little-endian) and reads libcrux#1275’s byte-swapped form', () => {
    const keys = kem.generate(new Uint8Array(64).fill(1));
    const one = kem.encaps1(keys.header, new Uint8Array(32).fill(2));
    const es = kem.serializeEncapsulationState(one.state);
    expect(es.length).toBe(2080);
    const view = new DataView(es.buffer);
    for (let off = 0; off < 2048; off += 2) expect(Math.abs(view.getInt16(off, true))).toBeLessThanOrEqual(1664);
    for (let off = 1536; off < 2048; off += 2) expect(Math.abs(view.getInt16(off, true))).toBeLessThanOrEqual(2);
    expect(es.subarray(2048)).toEqual(new Uint8Array(32).fill(2));
    const swapped = es.slice();
    for (let i = 0; i < 2048; i += 2) [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    const ct2 = kem.encaps2(keys.encapsulationKey, one.state);
    expect(kem.encaps2(keys.encapsulationKey, kem.deserializeEncapsulationState(swapped))).toEqual(ct2);
  });

  it('accepts an encapsulation key only with its header and with every coefficient below q', () => {
    const a = kem.generate(new Uint8Array(64).fill(3));
    const b = kem.generate(new Uint8Array(64).fill(4));
    expect(kem.encapsulationKeyMatchesHeader(a.encapsulationKey, a.header)).toBe(true);
    expect(kem.encapsulationKeyMatchesHeader(b.encapsulationKey, a.header)).toBe(false);
    expect(kem.encapsulationKeyMatchesHeader(a.encapsulationKey.subarray(1), a.header)).toBe(false);
    // A coefficient of 4095 with a header hashed to match: only the modulus check catches it.
    const bad = a.encapsulationKey.slice();
    bad[0] = 0xff;
    bad[1]! |= 0x0f;
    const full = new Uint8Array(1184);
    full.set(bad);
    full.set(a.header.subarray(0, 32), 1152);
    const header = a.header.slice();
    header.set(sha3_256(full), 32);
    expect(kem.encapsulationKeyMatchesHeader(bad, header)).toBe(false);
  });
});
