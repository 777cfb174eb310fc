// The triple ratchet against libsignal-client 0.103 (SPQR required): randomized
// conversations both ways through many braid epochs with reordering, loss and
// duplicates; records moving between the implementations mid-braid; and the refusals
// when one side has no SPQR.
import { describe, expect, it } from 'vitest';
import type * as SC from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../address.ts';
import { PrivateKey, PublicKey } from '../curve.ts';
import { SpqrRequired } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { decodeState } from '../spqr/state-codec.ts';
import {
  converse,
  dec,
  enc,
  libsignalBundleToParley,
  libsignalSide,
  parleyBundleToLibsignal,
  parleyDecrypt,
  parleyEncrypt,
  parleySide,
  type Wire,
} from '../test-support/conversation.ts';
import { ab, LibsignalPeer } from '../test-support/libsignal-peer.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { PreKeySignalMessage } from './messages.ts';
import { processPreKeyBundle } from './session-builder.ts';
import { SessionRecord } from './session-state.ts';

const MESSAGES_EACH_WAY = 2_000;

async function parleyEpoch(d: ParleyDevice, peer: ProtocolAddress): Promise<number> {
  return decodeState((await d.store.loadSession(peer))!.currentState()!.pqRatchetState).inner!.epoch;
}

function libsignalEpoch(p: LibsignalPeer, peer: SC.ProtocolAddress): number {
  return decodeState(SessionRecord.deserialize(p.record(peer)!).currentState()!.pqRatchetState).inner!.epoch;
}

/** A Parley device and a libsignal 0.103 device; `parleyFirst` says who fetched whose bundle. */
async function start(parleyFirst: boolean, parleyMode?: 'required' | 'optional' | 'off') {
  const parley = new ParleyDevice(parleyFirst ? 'alice' : 'bob');
  const lib = LibsignalPeer.v0103(parleyFirst ? 'bob' : 'alice');
  const libAddr = new ProtocolAddress(lib.address.name(), 1);
  const parleyAddrSC = lib.lib.ProtocolAddress.new(parley.address.name, 1);
  const options = parleyMode ? { spqr: parleyMode } : undefined;
  let first: Wire;
  if (parleyFirst) {
    await processPreKeyBundle(libsignalBundleToParley(lib.bundleParts()), libAddr, parley.store, parley.store, Date.now(), options);
    first = await parleyEncrypt(parley, libAddr, 'first');
  } else {
    await lib.processBundle(parleyBundleToLibsignal(await parley.bundle(), lib.lib), parleyAddrSC);
    first = await lib.encrypt(enc.encode('first'), parleyAddrSC);
  }
  return { parley, lib, libAddr, parleyAddrSC, options, first };
}

describe('1:1 sessions with libsignal-client 0.103 (SPQR)', () => {
  for (const parleyFirst of [true, false]) {
    it(`${parleyFirst ? 'Parley' : 'libsignal'} initiates: ${MESSAGES_EACH_WAY} messages each way through more than five braid epochs, with reordering, loss and duplicates`, async () => {
      const s = await start(parleyFirst);
      expect(s.first.type).toBe('prekey');
      const p = parleySide(s.parley, s.libAddr);
      const l = libsignalSide(s.lib, s.parleyAddrSC);
      const seed = parleyFirst ? 0x5b9a01 : 0x5b9a02;
      const stats = parleyFirst
        ? await converse(p, l, seed, MESSAGES_EACH_WAY, s.first, 'first')
        : await converse(l, p, seed, MESSAGES_EACH_WAY, s.first, 'first');
      expect(stats.delivered).toBeGreaterThan(2 * MESSAGES_EACH_WAY * 0.9);
      expect(stats.lost).toBeGreaterThan(20);
      expect(stats.dups).toBeGreaterThan(50);
      const epochs = [await parleyEpoch(s.parley, s.libAddr), libsignalEpoch(s.lib, s.parleyAddrSC)];
      expect(Math.min(...epochs)).toBeGreaterThan(5);
      console.log(`0.103 interop (${parleyFirst ? 'Parley' : 'libsignal'} first): ${stats.delivered} delivered, ${stats.lost} lost, ${stats.dups} duplicates refused, braid epochs ${epochs.join('/')}`);
    });
  }

  it('session records, SPQR state included, move between Parley and 0.103 mid-braid and both keep talking', async () => {
    const s = await start(true);
    const stats = await converse(parleySide(s.parley, s.libAddr), libsignalSide(s.lib, s.parleyAddrSC), 0x5b9a03, 300, s.first, 'first');
    expect(stats.delivered).toBeGreaterThan(500);
    expect(await parleyEpoch(s.parley, s.libAddr)).toBeGreaterThan(2);
    // Messages in flight across the move, both ways.
    const toLib: Wire[] = [];
    const toParley: Wire[] = [];
    for (let i = 0; i < 40; i++) toLib.push(await parleyEncrypt(s.parley, s.libAddr, `p${i}`));
    for (let i = 0; i < 40; i++) toParley.push(await s.lib.encrypt(enc.encode(`l${i}`), s.parleyAddrSC));

    // Parley's record goes to a libsignal 0.103 device, libsignal's to a Parley device.
    const parleyAsLib = new LibsignalPeer(
      s.parley.address.name,
      1,
      { privateKey: s.lib.lib.PrivateKey.deserialize(ab(s.parley.identity.privateKey.serialize())), registrationId: s.parley.registrationId },
      s.lib.lib,
    );
    const libAddrSC = s.lib.lib.ProtocolAddress.new(s.libAddr.name, 1);
    parleyAsLib.sessions.m.set(libAddrSC.toString(), ab((await s.parley.store.loadSession(s.libAddr))!.serialize()));
    await parleyAsLib.identities.saveIdentity(libAddrSC, s.lib.identityKey.getPublicKey());
    const libKeys = new IdentityKeyPair(PublicKey.deserialize(s.lib.identityKey.getPublicKey().serialize()), PrivateKey.deserialize(s.lib.identityKey.serialize()));
    const libAsParley = new ParleyDevice(s.libAddr.name, 1, { keyPair: libKeys, registrationId: s.lib.regId });
    const parleyAddr = new ProtocolAddress(s.parley.address.name, 1);
    await libAsParley.store.storeSession(parleyAddr, SessionRecord.deserialize(s.lib.record(s.parleyAddrSC)!));

    // In-flight messages, in reverse order, to the new implementations.
    for (let i = 39; i >= 0; i--) {
      expect(dec.decode(await parleyAsLib.decrypt(libAddrSC, toParley[i]!))).toBe(`l${i}`);
      expect(dec.decode(await parleyDecrypt(libAsParley, parleyAddr, toLib[i]!))).toBe(`p${i}`);
    }
    const more = await converse(
      libsignalSide(parleyAsLib, libAddrSC),
      parleySide(libAsParley, parleyAddr),
      0x5b9a04,
      300,
      await parleyAsLib.encrypt(enc.encode('after the move'), libAddrSC),
      'after the move',
    );
    expect(more.delivered).toBeGreaterThan(500);
    expect(await parleyEpoch(libAsParley, parleyAddr)).toBeGreaterThan(await parleyEpoch(s.parley, s.libAddr));
  });

  it('mode optional (as 0.90) speaks V1 with 0.103; mode off is refused both ways, Parley saying the peer requires SPQR', async () => {
    {
      const s = await start(true, 'optional');
      const stats = await converse(parleySide(s.parley, s.libAddr), libsignalSide(s.lib, s.parleyAddrSC), 0x5b9a05, 150, s.first, 'first');
      expect(stats.delivered).toBeGreaterThan(250);
      expect(await parleyEpoch(s.parley, s.libAddr)).toBeGreaterThan(1);
    }
    {
      // Parley without SPQR initiates: 0.103 cannot decrypt (it requires SPQR).
      const s = await start(true, 'off');
      expect(PreKeySignalMessage.deserialize(s.first.body).message.pqRatchet.length).toBe(0);
      await expect(s.lib.decrypt(s.parleyAddrSC, s.first)).rejects.toThrow(/decryption failed|post-quantum/i);
    }
    {
      // 0.103 initiates, Parley answers without SPQR: SpqrRequired, the peer requires it; nothing stored.
      const s = await start(false);
      const err = await parleyDecrypt(s.parley, s.libAddr, s.first, s.options ?? { spqr: 'off' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpqrRequired);
      expect((err as SpqrRequired).requiredBy).toBe('peer');
      expect(await s.parley.store.loadSession(s.libAddr)).toBeUndefined();
    }
  });
});
