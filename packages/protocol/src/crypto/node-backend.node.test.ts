// The node:crypto backend passes the same vectors, and agrees with the portable
// backend on random inputs (so either can serve any peer).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runBackendVectors } from './backend-vectors.ts';
import { nodeBackend } from './node-backend.ts';
import { pureBackend } from './pure-backend.ts';

runBackendVectors(nodeBackend);

describe('node and pure backends agree', () => {
  it('on HKDF, HMAC, AES-CBC, AES-CTR and X25519 for random inputs', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 255 }),
        (key, iv, data, len) => {
          expect(nodeBackend.hkdfSha256(data, key, iv, len)).toEqual(pureBackend.hkdfSha256(data, key, iv, len));
          expect(nodeBackend.hmacSha256(key, data)).toEqual(pureBackend.hmacSha256(key, data));
          const ct = nodeBackend.aes256CbcEncrypt(key, iv, data);
          expect(ct).toEqual(pureBackend.aes256CbcEncrypt(key, iv, data));
          expect(pureBackend.aes256CbcDecrypt(key, iv, ct)).toEqual(data);
          expect(nodeBackend.aes256Ctr(key, iv, data)).toEqual(pureBackend.aes256Ctr(key, iv, data));
          const a = nodeBackend.x25519Generate();
          const bPair = pureBackend.x25519Generate();
          expect(nodeBackend.x25519Agree({ raw: a.privateKey }, { raw: bPair.publicKey })).toEqual(
            pureBackend.x25519Agree({ raw: bPair.privateKey }, { raw: a.publicKey }),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
