import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyPair, PrivateKey, PublicKey } from './curve.ts';
import { IdentityKeyPair } from './identity-key.ts';
import { InvalidKey, ProtocolError } from './errors.ts';
import { fromHex } from './internal/bytes.ts';

describe('Curve25519 keys', () => {
  // Source: libsignal rust/core/src/curve/curve25519.rs `test_signature` (the vector first
  // published with libsignal-protocol-java): Alice's identity key signs her ephemeral key.
  it('verifies libsignal\'s published XEdDSA vector and rejects every one-bit change', () => {
    const priv = PrivateKey.deserialize(fromHex('c097248412e58bf05df487968205132794178e367637f5818f81e0e6ce73e865'));
    const pub = PublicKey.deserialize(fromHex('05ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64'));
    const message = fromHex('05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a');
    const signature = fromHex(
      '5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfbede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88',
    );
    expect(priv.publicKey().equals(pub)).toBe(true);
    expect(pub.verifySignature(message, signature)).toBe(true);
    for (let i = 0; i < signature.length; i++) {
      const bad = signature.slice();
      bad[i]! ^= 0x01;
      expect(pub.verifySignature(message, bad)).toBe(false);
    }
  });

  it('XEdDSA signatures verify and any bit flip breaks them', () => {
    const kp = KeyPair.generate();
    const msg = new Uint8Array([1, 2, 3, 4, 5]);
    const sig = kp.privateKey.sign(msg);
    expect(sig.length).toBe(64);
    expect(kp.publicKey.verifySignature(msg, sig)).toBe(true);
    for (let bit = 0; bit < 512; bit += 7) {
      const bad = sig.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(kp.publicKey.verifySignature(msg, bad)).toBe(false);
    }
    expect(kp.publicKey.verifySignature(new Uint8Array([1, 2, 3, 4, 6]), sig)).toBe(false);
    expect(KeyPair.generate().publicKey.verifySignature(msg, sig)).toBe(false);
    expect(kp.publicKey.verifySignature(msg, sig.subarray(0, 63))).toBe(false);
  });

  it('agrees symmetrically and rejects low-order keys', () => {
    const a = PrivateKey.generate();
    const b = PrivateKey.generate();
    expect(a.agree(b.publicKey())).toEqual(b.agree(a.publicKey()));
    const zero = new Uint8Array(33);
    zero[0] = 5;
    expect(() => a.agree(PublicKey.deserialize(zero))).toThrow(InvalidKey);
  });

  it('serializes as 0x05 ‖ 32 bytes and round-trips', () => {
    const k = PrivateKey.generate();
    const ser = k.publicKey().serialize();
    expect(ser.length).toBe(33);
    expect(ser[0]).toBe(5);
    expect(PublicKey.deserialize(ser).equals(k.publicKey())).toBe(true);
    expect(PrivateKey.deserialize(k.serialize()).publicKey().equals(k.publicKey())).toBe(true);
    const ikp = IdentityKeyPair.generate();
    const back = IdentityKeyPair.deserialize(ikp.serialize());
    expect(back.publicKey.equals(ikp.publicKey)).toBe(true);
  });

  it('never prints private key bytes', () => {
    const k = PrivateKey.generate();
    expect(String(k)).toBe('PrivateKey([redacted])');
    expect(JSON.stringify({ k })).not.toMatch(/[0-9a-f]{8}/);
  });

  it('decoders throw only InvalidKey on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const f of [
          () => PublicKey.deserialize(bytes),
          () => PrivateKey.deserialize(bytes),
          () => IdentityKeyPair.deserialize(bytes),
        ]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
