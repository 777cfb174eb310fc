/**
 * Known-answer tests every CryptoBackend must pass; run by pure-backend.test.ts
 * (Node and Chromium) and node-backend.node.test.ts. Sources above each vector.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoBackend } from './backend.ts';
import { fromHex, toHex, utf8 } from '../internal/bytes.ts';

export function runBackendVectors(b: CryptoBackend): void {
  describe(`${b.name} backend known answers`, () => {
    it('SHA-256 and SHA-512 of "abc" (FIPS 180-2 appendix B/C)', () => {
      expect(toHex(b.sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(toHex(b.sha512(utf8('a'), utf8('bc')))).toBe(
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
      );
    });

    it('SHA3-256 of "abc" and SHAKE256 of "" (FIPS 202; NIST CSRC example values)', () => {
      expect(toHex(b.sha3_256(utf8('a'), utf8('bc')))).toBe('3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532');
      expect(toHex(b.shake256(32))).toBe('46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f');
      expect(b.shake256(64, utf8('abc')).length).toBe(64);
    });

    it('HMAC-SHA256 (RFC 4231 test case 2)', () => {
      expect(toHex(b.hmacSha256(utf8('Jefe'), utf8('what do ya want '), utf8('for nothing?')))).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
    });

    it('HKDF-SHA256 (RFC 5869 test cases 1 and 3)', () => {
      const ikm = fromHex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b');
      expect(toHex(b.hkdfSha256(ikm, fromHex('000102030405060708090a0b0c'), fromHex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      );
      // Test case 3: no salt, empty info.
      expect(toHex(b.hkdfSha256(ikm, undefined, new Uint8Array(0), 42))).toBe(
        '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
      );
    });

    // NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt), first block; PKCS#7 adds one block.
    const key = fromHex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    const iv = fromHex('000102030405060708090a0b0c0d0e0f');
    const pt = fromHex('6bc1bee22e409f96e93d7e117393172a');
    it('AES-256-CBC (SP 800-38A F.2.5) with PKCS#7 round trip', () => {
      const ct = b.aes256CbcEncrypt(key, iv, pt);
      expect(ct.length).toBe(32);
      expect(toHex(ct.subarray(0, 16))).toBe('f58c4c04d6e5f1ba779eabfb5f7bfbd6');
      expect(b.aes256CbcDecrypt(key, iv, ct)).toEqual(pt);
      const bad = ct.slice();
      bad[31]! ^= 1; // corrupts the padding block
      expect(b.aes256CbcDecrypt(key, iv, bad)).toBeUndefined();
      expect(b.aes256CbcDecrypt(key, iv, ct.subarray(0, 31))).toBeUndefined();
      expect(b.aes256CbcDecrypt(key, iv, new Uint8Array(0))).toBeUndefined();
    });

    it('AES-256-CTR (SP 800-38A F.5.5)', () => {
      const ctrIv = fromHex('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff');
      const ct = b.aes256Ctr(key, ctrIv, fromHex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51'));
      expect(toHex(ct)).toBe('601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5');
    });

    // RFC 8452 appendix C.2 (AEAD_AES_256_GCM_SIV), the first two vectors: empty and 8-byte plaintext, no AAD.
    it('AES-256-GCM-SIV (RFC 8452 C.2) and rejection of a bad tag', () => {
      const sivKey = fromHex('0100000000000000000000000000000000000000000000000000000000000000');
      const nonce = fromHex('030000000000000000000000');
      expect(toHex(b.aes256GcmSivEncrypt(sivKey, nonce, new Uint8Array(0)))).toBe('07f5f4169bbf55a8400cd47ea6fd400f');
      const sealed = b.aes256GcmSivEncrypt(sivKey, nonce, fromHex('0100000000000000'));
      expect(toHex(sealed)).toBe('c2ef328e5c71c83b843122130f7364b761e0b97427e3df28');
      expect(toHex(b.aes256GcmSivDecrypt(sivKey, nonce, sealed)!)).toBe('0100000000000000');
      for (const pos of [0, 8, 23]) {
        const bad = sealed.slice();
        bad[pos]! ^= 0x01;
        expect(b.aes256GcmSivDecrypt(sivKey, nonce, bad)).toBeUndefined();
      }
      expect(b.aes256GcmSivDecrypt(sivKey, nonce, sealed.subarray(0, 15))).toBeUndefined();
    });

    it('X25519 (RFC 7748 section 6.1) and rejection of a low-order key', () => {
      const alicePriv = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const bobPub = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      expect(toHex(b.x25519PublicFromPrivate(alicePriv))).toBe(
        '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
      );
      const shared = b.x25519Agree({ raw: alicePriv }, { raw: bobPub });
      expect(shared && toHex(shared)).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
      expect(b.x25519Agree({ raw: alicePriv }, { raw: new Uint8Array(32) })).toBeUndefined();
      const gen = b.x25519Generate();
      expect(gen.privateKey[0]! & 7).toBe(0);
      expect(b.x25519PublicFromPrivate(gen.privateKey)).toEqual(gen.publicKey);
    });

    it('Ed25519 verification (RFC 8032 section 7.1 test 2)', () => {
      const pub = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
      const sig = fromHex(
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
      );
      expect(b.ed25519Verify({ raw: pub }, fromHex('72'), sig)).toBe(true);
      expect(b.ed25519Verify({ raw: pub }, fromHex('73'), sig)).toBe(false);
    });

    it('randomBytes gives the requested length and differs between calls', () => {
      expect(b.randomBytes(100000).length).toBe(100000);
      expect(b.randomBytes(32)).not.toEqual(b.randomBytes(32));
    });
  });
}
