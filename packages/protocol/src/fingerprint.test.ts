import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyPair, PublicKey } from './curve.ts';
import { InvalidMessage, ProtocolError } from './errors.ts';
import { createFingerprint, ScannableFingerprint } from './fingerprint.ts';
import { fromHex, toHex, utf8 } from './internal/bytes.ts';

// Vectors from libsignal v0.90.0 rust/protocol/src/fingerprint.rs (fingerprint_test_v1/v2,
// "testVectorsVersion1" in libsignal-protocol-java).
const ALICE_IDENTITY = '0506863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868';
const BOB_IDENTITY = '05f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b';
const DISPLAYABLE = '300354477692869396892869876765458257569162576843440918079131';
const ALICE_SCANNABLE_V2 =
  '080212220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d';
const BOB_SCANNABLE_V2 =
  '080212220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d1a220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df';

describe('safety numbers', () => {
  const a = PublicKey.deserialize(fromHex(ALICE_IDENTITY));
  const b = PublicKey.deserialize(fromHex(BOB_IDENTITY));
  const alice = createFingerprint({ localIdentifier: utf8('+14152222222'), localKey: a, remoteIdentifier: utf8('+14153333333'), remoteKey: b });
  const bob = createFingerprint({ localIdentifier: utf8('+14153333333'), localKey: b, remoteIdentifier: utf8('+14152222222'), remoteKey: a });

  it('match libsignal\'s published vectors (displayable and scannable v2)', () => {
    expect(alice.displayable).toBe(DISPLAYABLE);
    expect(bob.displayable).toBe(DISPLAYABLE);
    expect(toHex(alice.scannable.serialize())).toBe(ALICE_SCANNABLE_V2);
    expect(toHex(bob.scannable.serialize())).toBe(BOB_SCANNABLE_V2);
  });

  it('scanning the other side matches; a different key or version does not', () => {
    expect(alice.scannable.compare(bob.scannable.serialize())).toBe(true);
    expect(bob.scannable.compare(alice.scannable.serialize())).toBe(true);
    expect(alice.scannable.compare(alice.scannable.serialize())).toBe(false);
    const mallory = createFingerprint({
      localIdentifier: utf8('+14153333333'),
      localKey: KeyPair.generate().publicKey,
      remoteIdentifier: utf8('+14152222222'),
      remoteKey: a,
    });
    expect(alice.scannable.compare(mallory.scannable.serialize())).toBe(false);
    const v1 = new ScannableFingerprint(1, bob.scannable.local, bob.scannable.remote);
    expect(() => alice.scannable.compare(v1.serialize())).toThrow(InvalidMessage);
  });

  it('deserialize reads what serialize wrote, and what libsignal requires is required', () => {
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (version, local, remote) => {
        const s = new ScannableFingerprint(version, local, remote);
        const back = ScannableFingerprint.deserialize(s.serialize());
        expect(back.version).toBe(version);
        expect(toHex(back.local)).toBe(toHex(local));
        expect(toHex(back.remote)).toBe(toHex(remote));
        expect(toHex(back.serialize())).toBe(toHex(s.serialize()));
      }),
      { numRuns: 200 },
    );
    const full = alice.scannable.serialize();
    expect(ScannableFingerprint.deserialize(full).compare(bob.scannable.serialize())).toBe(true);
    // Missing version (field 1), local (2) or remote (3): refused.
    expect(() => ScannableFingerprint.deserialize(full.subarray(2))).toThrow(/version missing/);
    expect(() => ScannableFingerprint.deserialize(Uint8Array.of(0x08, 0x02))).toThrow(/local fingerprint missing/);
    expect(() => ScannableFingerprint.deserialize(Uint8Array.of(0x08, 0x02, 0x12, 0x00))).toThrow(/local fingerprint missing/);
    expect(() => ScannableFingerprint.deserialize(new Uint8Array(513))).toThrow(InvalidMessage);
  });

  it('deserialize rejects malformed input with InvalidMessage only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(), (bytes, cut) => {
        for (const b of [bytes, alice.scannable.serialize().subarray(0, cut % 80)]) {
          try {
            ScannableFingerprint.deserialize(b);
          } catch (e) {
            expect(e).toBeInstanceOf(InvalidMessage);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('compare rejects malformed input with typed errors only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        try {
          alice.scannable.compare(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
