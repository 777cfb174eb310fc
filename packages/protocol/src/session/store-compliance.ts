/**
 * The compliance suite every ProtocolStore adapter runs (in-memory here; SQLite in
 * the client; IndexedDB with the web app): records round-trip, missing keys raise
 * the typed errors, trust decisions follow the documented model.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolAddress } from '../address.ts';
import { KeyPair } from '../curve.ts';
import { InvalidKyberPreKeyId, InvalidMessage, InvalidPreKeyId, InvalidSignedPreKeyId } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.ts';
import { SessionRecord } from './session-state.ts';
import type { ProtocolStore, TrustLevel } from './stores.ts';

export interface ComplianceStore extends ProtocolStore {
  approveIdentity(address: ProtocolAddress, key: ReturnType<typeof KeyPair.generate>['publicKey']): Promise<void>;
  getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined>;
}

export function runStoreCompliance(name: string, make: (identity: IdentityKeyPair, registrationId: number) => Promise<ComplianceStore>): void {
  describe(`${name}: protocol store compliance`, () => {
    const identity = IdentityKeyPair.generate();
    const addr = new ProtocolAddress('peer', 3);

    it('returns its identity and registration id', async () => {
      const s = await make(identity, 1234);
      expect((await s.getIdentityKeyPair()).publicKey.equals(identity.publicKey)).toBe(true);
      expect(await s.getLocalRegistrationId()).toBe(1234);
    });

    it('trusts on first use, flags a changed key for sending until approved, never blocks receiving', async () => {
      const s = await make(identity, 1);
      const k1 = KeyPair.generate().publicKey;
      const k2 = KeyPair.generate().publicKey;
      expect(await s.isTrustedIdentity(addr, k1, 'sending')).toBe(true);
      expect(await s.saveIdentity(addr, k1)).toBe(false);
      expect((await s.getIdentity(addr))?.equals(k1)).toBe(true);
      expect(await s.isTrustedIdentity(addr, k2, 'sending')).toBe(false);
      expect(await s.isTrustedIdentity(addr, k2, 'receiving')).toBe(true);
      expect(await s.saveIdentity(addr, k2)).toBe(true);
      expect(await s.getTrustLevel(addr)).toBe('changed');
      expect(await s.isTrustedIdentity(addr, k2, 'sending')).toBe(false);
      await s.approveIdentity(addr, k2);
      expect(await s.isTrustedIdentity(addr, k2, 'sending')).toBe(true);
    });

    it('stores sessions and prekeys; missing ones raise typed errors; used one-time keys go', async () => {
      const s = await make(identity, 1);
      expect(await s.loadSession(addr)).toBeUndefined();
      const rec = SessionRecord.newFresh();
      await s.storeSession(addr, rec);
      expect((await s.loadSession(addr))?.serialize()).toEqual(rec.serialize());
      await expect(s.getPreKey(7)).rejects.toThrow(InvalidPreKeyId);
      await expect(s.getSignedPreKey(7)).rejects.toThrow(InvalidSignedPreKeyId);
      await expect(s.getKyberPreKey(7)).rejects.toThrow(InvalidKyberPreKeyId);
      const pk = PreKeyRecord.generate(7);
      await s.savePreKey(7, pk);
      expect((await s.getPreKey(7)).publicKey.equals(pk.publicKey)).toBe(true);
      await s.removePreKey(7);
      await expect(s.getPreKey(7)).rejects.toThrow(InvalidPreKeyId);
      const spk = SignedPreKeyRecord.generate(7, identity, 1000);
      await s.saveSignedPreKey(7, spk);
      expect((await s.getSignedPreKey(7)).serialize()).toEqual(spk.serialize());
      const lastResort = KyberPreKeyRecord.generate(1, identity, 1000);
      const oneTime = KyberPreKeyRecord.generate(2, identity, 1000);
      await s.saveKyberPreKey(1, lastResort);
      await s.saveKyberPreKey(2, oneTime, true);
      await s.markKyberPreKeyUsed(1, 7, KeyPair.generate().publicKey);
      await s.markKyberPreKeyUsed(2, 7, KeyPair.generate().publicKey);
      expect((await s.getKyberPreKey(1)).serialize()).toEqual(lastResort.serialize());
      await expect(s.getKyberPreKey(2)).rejects.toThrow(InvalidKyberPreKeyId);
    });

    it('a last-resort Kyber prekey refuses a base key it has seen with the same signed prekey (replay)', async () => {
      const s = await make(identity, 1);
      await s.saveKyberPreKey(1, KyberPreKeyRecord.generate(1, identity, 1000));
      const base = KeyPair.generate().publicKey;
      await s.markKyberPreKeyUsed(1, 7, base);
      await expect(s.markKyberPreKeyUsed(1, 7, base)).rejects.toThrow(InvalidMessage);
      // Another base key, or the same one with another signed prekey, is a different session.
      await s.markKyberPreKeyUsed(1, 7, KeyPair.generate().publicKey);
      await s.markKyberPreKeyUsed(1, 8, base);
      expect((await s.getKyberPreKey(1)).id).toBe(1);
    });
  });
}
