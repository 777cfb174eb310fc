// deriveAccessKey against an independent computation with node:crypto (Signal's
// UnidentifiedAccess.deriveAccessKeyFrom: AES-256-GCM, key = profile key, 12 zero
// bytes of nonce, over 16 zero bytes, the first 16 bytes of the output).
import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveAccessKey } from './access-key.ts';

function reference(profileKey: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', profileKey, Buffer.alloc(12));
  return new Uint8Array(Buffer.concat([c.update(Buffer.alloc(16)), c.final()]).subarray(0, 16));
}

describe('deriveAccessKey', () => {
  it('matches the derivation computed with node:crypto for a fixed key', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const expected = reference(key);
    expect(deriveAccessKey(key)).toEqual(expected);
    expect(deriveAccessKey(key)).toHaveLength(16);
  });

  it('matches it for any key, and different keys give different access keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        expect(deriveAccessKey(a)).toEqual(reference(a));
        if (Buffer.compare(a, b) !== 0) expect(deriveAccessKey(a)).not.toEqual(deriveAccessKey(b));
      }),
    );
    expect(deriveAccessKey(randomBytes(32))).not.toEqual(deriveAccessKey(randomBytes(32)));
  });

  it('refuses a key that is not 32 bytes, naming what arrived', () => {
    expect(() => deriveAccessKey(new Uint8Array(16))).toThrow('a profile key is 32 bytes, got 16 bytes');
  });
});
