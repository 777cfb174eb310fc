import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KemKeyPair, KemPublicKey, KemSecretKey } from './kem.ts';
import { InvalidKey, InvalidMessage, ProtocolError } from './errors.ts';
import { fromHex, toHex } from './internal/bytes.ts';
// Source: test/vectors/README.md (Wycheproof ML-KEM-1024, valid cases).
import vectors from '../test/vectors/mlkem1024-wycheproof.json' with { type: 'json' };

describe('KEM keys', () => {
  it('ML-KEM-1024 (0x0A) matches Wycheproof known answers', () => {
    expect(vectors.length).toBe(3);
    for (const v of vectors) {
      const kp = KemKeyPair.generate('mlkem1024', fromHex(v.seed));
      expect(toHex(kp.publicKey.raw)).toBe(v.ek);
      const ct = new Uint8Array(1569);
      ct[0] = 0x0a;
      ct.set(fromHex(v.c), 1);
      expect(toHex(kp.secretKey.decapsulate(ct))).toBe(v.K);
      const enc = kp.publicKey.encapsulate();
      expect(kp.secretKey.decapsulate(enc.ciphertext)).toEqual(enc.sharedSecret);
    }
  });

  it('Kyber1024 (0x08) round-trips and differs from ML-KEM for the same inputs', () => {
    const seed = fromHex(vectors[0]!.seed);
    const kyber = KemKeyPair.generate('kyber1024', seed);
    const m = new Uint8Array(32).fill(9);
    const enc = kyber.publicKey.encapsulate(m);
    expect(enc.ciphertext[0]).toBe(0x08);
    expect(enc.ciphertext.length).toBe(1569);
    expect(kyber.secretKey.decapsulate(enc.ciphertext)).toEqual(enc.sharedSecret);
    const ml = KemKeyPair.generate('mlkem1024', seed).publicKey.encapsulate(m);
    expect(toHex(enc.sharedSecret)).not.toBe(toHex(ml.sharedSecret));
  });

  it('serializes with the type byte and rejects bad encodings with InvalidKey', () => {
    const kp = KemKeyPair.generate();
    const pub = kp.publicKey.serialize();
    expect(pub.length).toBe(1569);
    expect(pub[0]).toBe(0x08);
    expect(KemPublicKey.deserialize(pub).equals(kp.publicKey)).toBe(true);
    expect(KemSecretKey.deserialize(kp.secretKey.serialize()).serialize()).toEqual(kp.secretKey.serialize());
    expect(() => KemPublicKey.deserialize(pub.subarray(0, 1568))).toThrow(InvalidKey);
    expect(() => KemPublicKey.deserialize(new Uint8Array(0))).toThrow(InvalidKey);
    const wrongType = pub.slice();
    wrongType[0] = 0x05;
    expect(() => KemPublicKey.deserialize(wrongType)).toThrow(InvalidKey);
    expect(String(kp.secretKey)).not.toMatch(/[0-9a-f]{16}/);
  });

  it('rejects ciphertexts of the wrong type or length with InvalidMessage', () => {
    const kp = KemKeyPair.generate();
    const { ciphertext } = kp.publicKey.encapsulate();
    const wrong = ciphertext.slice();
    wrong[0] = 0x0a;
    expect(() => kp.secretKey.decapsulate(wrong)).toThrow(InvalidMessage);
    expect(() => kp.secretKey.decapsulate(ciphertext.subarray(0, 100))).toThrow(InvalidMessage);
    // A corrupted ciphertext decapsulates (implicit rejection) to a different secret.
    const flipped = ciphertext.slice();
    flipped[500]! ^= 1;
    expect(kp.secretKey.decapsulate(flipped)).not.toEqual(kp.secretKey.decapsulate(ciphertext));
  });

  it('decoders throw only ProtocolErrors on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1600 }), (bytes) => {
        for (const f of [() => KemPublicKey.deserialize(bytes), () => KemSecretKey.deserialize(bytes)]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
