import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidMessage, InvalidState } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { PreKeySignalMessage, SignalMessage } from './messages.ts';
import { processPreKeyBundle } from './session-builder.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from './session-cipher.ts';
import { runStoreCompliance } from './store-compliance.ts';
import { InMemoryProtocolStore } from './stores.ts';
import { KyberPreKeyRecord } from './prekeys.ts';
import { KeyPair } from '../curve.ts';

runStoreCompliance('InMemoryProtocolStore', async (identity, registrationId) => new InMemoryProtocolStore(identity, registrationId));
runStoreCompliance('InMemoryProtocolStore (exported and imported)', async (identity, registrationId) =>
  InMemoryProtocolStore.importState(new InMemoryProtocolStore(identity, registrationId).exportState()),
);

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('InMemoryProtocolStore export and import', () => {
  it('a device moved through export/import keeps its sessions, prekeys, trust and replay memory', async () => {
    const a = new ParleyDevice('alice');
    const b = new ParleyDevice('bob');
    await processPreKeyBundle(await b.bundle(false), b.address, a.store, a.store);
    await b.bundle(); // a spare one-time prekey stays in Bob's store
    const first = (await signalEncrypt(enc.encode('hi'), b.address, a.store, a.store)).serialize();
    await signalDecryptPreKey(PreKeySignalMessage.deserialize(first), a.address, b.store, b.store, b.store, b.store, b.store);
    for (let i = 0; i < 30; i++) {
      await signalDecrypt(SignalMessage.deserialize((await signalEncrypt(enc.encode(`b${i}`), a.address, b.store, b.store)).serialize()), b.address, a.store, a.store);
      await signalDecrypt(SignalMessage.deserialize((await signalEncrypt(enc.encode(`a${i}`), b.address, a.store, a.store)).serialize()), a.address, b.store, b.store);
    }
    await b.store.approveIdentity(a.address, a.identity.publicKey, true);
    const exported = b.store.exportState();
    const moved = InMemoryProtocolStore.importState(exported);
    // Exporting the imported store gives the same bytes.
    expect(toHex(moved.exportState())).toBe(toHex(exported));
    expect(await moved.getLocalRegistrationId()).toBe(b.registrationId);
    expect(await moved.getTrustLevel(a.address)).toBe('verified');
    expect(moved.preKeyStore.count()).toBe(1);
    // The session continues from the new store, both ways.
    const m = await signalEncrypt(enc.encode('after the move'), a.address, moved, moved);
    expect(dec.decode(await signalDecrypt(SignalMessage.deserialize(m.serialize()), b.address, a.store, a.store))).toBe('after the move');
    const r = await signalEncrypt(enc.encode('welcome'), b.address, a.store, a.store);
    expect(dec.decode(await signalDecrypt(SignalMessage.deserialize(r.serialize()), a.address, moved, moved))).toBe('welcome');
    // A last-resort Kyber prekey's used base keys come along: a replay is still refused.
    const kyber = KyberPreKeyRecord.generate(77, b.identity, Date.now());
    await moved.saveKyberPreKey(77, kyber, false);
    const baseKey = KeyPair.generate().publicKey;
    await moved.markKyberPreKeyUsed(77, 1, baseKey);
    const again = InMemoryProtocolStore.importState(moved.exportState());
    await expect(again.markKyberPreKeyUsed(77, 1, baseKey)).rejects.toThrow(InvalidMessage);
    await again.markKyberPreKeyUsed(77, 2, baseKey);
    expect((await again.getKyberPreKey(77)).serialize()).toEqual(kyber.serialize());
  });

  it('refuses anything but an export with InvalidState: random bytes, truncations, bit flips', async () => {
    const d = new ParleyDevice('d');
    await d.bundle();
    const good = d.store.exportState();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), fc.nat(7), (junk, pos, bit) => {
        const flipped = good.slice();
        flipped[pos % good.length]! ^= 1 << bit;
        for (const b of [junk, good.subarray(0, pos % good.length), flipped]) {
          try {
            InMemoryProtocolStore.importState(b);
          } catch (e) {
            expect(e, String(e)).toBeInstanceOf(InvalidState);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
