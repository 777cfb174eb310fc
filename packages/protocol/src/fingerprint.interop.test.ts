// Safety numbers equal libsignal-client's for the same random inputs.
import { describe, expect, it } from 'vitest';
import * as SC from '@signalapp/libsignal-client';
import { PublicKey } from './curve.ts';
import { createFingerprint, ScannableFingerprint } from './fingerprint.ts';
import { utf8 } from './internal/bytes.ts';
import { ab } from './test-support/libsignal-peer.ts';

describe('safety numbers vs libsignal', () => {
  it('displayable and scannable forms are identical, and each side accepts the other\'s scan', () => {
    for (let i = 0; i < 5; i++) {
      const ka = SC.PrivateKey.generate().getPublicKey();
      const kb = SC.PrivateKey.generate().getPublicKey();
      const ida = utf8(`alice-${i}`);
      const idb = utf8(`bob-${i}`);
      const theirs = SC.Fingerprint.new(5200, 2, ab(ida), ka, ab(idb), kb);
      const ours = createFingerprint({ localIdentifier: ida, localKey: PublicKey.deserialize(ka.serialize()), remoteIdentifier: idb, remoteKey: PublicKey.deserialize(kb.serialize()) });
      expect(ours.displayable).toBe(theirs.displayableFingerprint().toString());
      expect(ours.scannable.serialize()).toEqual(new Uint8Array(theirs.scannableFingerprint().toBuffer()));
      const bobSide = SC.Fingerprint.new(5200, 2, ab(idb), kb, ab(ida), ka);
      expect(ours.scannable.compare(new Uint8Array(bobSide.scannableFingerprint().toBuffer()))).toBe(true);
      expect(bobSide.scannableFingerprint().compare(SC.ScannableFingerprint._fromBuffer(ab(ours.scannable.serialize())))).toBe(true);
      // libsignal's bytes deserialize to the same values.
      const parsed = ScannableFingerprint.deserialize(new Uint8Array(theirs.scannableFingerprint().toBuffer()));
      expect(parsed.serialize()).toEqual(ours.scannable.serialize());
    }
  });
});
