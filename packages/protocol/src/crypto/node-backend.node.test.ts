// The node:crypto backend passes the same vectors, and agrees with the portable
// backend on random inputs (so either can serve any peer).
import { spawnSync } from 'node:child_process';
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

describe('node backend key generation', () => {
  it('makes keys whose public halves match the portable derivation (X25519 and Ed25519)', () => {
    for (let i = 0; i < 50; i++) {
      const x = nodeBackend.x25519Generate();
      expect(x.privateKey[0]! & 7).toBe(0);
      expect(x.privateKey[31]! & 0xc0).toBe(0x40);
      expect(x.publicKey).toEqual(pureBackend.x25519PublicFromPrivate(x.privateKey));
      expect(nodeBackend.x25519PublicFromPrivate(x.privateKey)).toEqual(x.publicKey);
      const e = nodeBackend.ed25519Generate!();
      const msg = new Uint8Array([i]);
      const sig = nodeBackend.ed25519Sign!({ raw: e.seed }, msg);
      expect(pureBackend.ed25519Verify({ raw: e.edPublic }, msg, sig)).toBe(true);
    }
  });

  // Why a child process: the Node 20 deadlock this guards against (see node-backend.ts)
  // freezes the whole thread, so only a process with a kill timer can report it.
  it('generates keys in a tight loop under allocation pressure without freezing the process', () => {
    const script = `
      import { nodeBackend } from ${JSON.stringify(new URL('./node-backend.ts', import.meta.url).pathname)};
      let junk = [];
      for (let i = 0; i < 30000; i++) {
        nodeBackend.x25519Generate();
        if (i % 10 === 0) nodeBackend.ed25519Generate();
        junk.push(new Array(64).fill(i));
        if (junk.length > 500) junk = [];
      }
      console.log('generated');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 45_000 });
    expect(r.signal, 'the key-generation loop froze and was killed').toBeNull();
    expect(r.stdout).toContain('generated');
  });
});
