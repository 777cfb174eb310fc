// 1:1 sessions between Parley and libsignal-client 0.90 (the reference), both
// directions: randomized conversations with reordering, loss and duplicates.
import { describe, expect, it } from 'vitest';
import * as SC from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../address.ts';
import { PrivateKey, PublicKey } from '../curve.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { DuplicateMessage, InvalidSignature, UntrustedIdentity } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
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
import { PreKeySignalMessage, SignalMessage } from './messages.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord, type PreKeyBundle } from './prekeys.ts';
import { decodeState } from '../spqr/state-codec.ts';
import { SessionRecord } from './session-state.ts';
import { processPreKeyBundle } from './session-builder.ts';

describe('1:1 sessions with libsignal 0.90', () => {
  it('Parley initiates: 1,000+ messages each way with reordering, loss and duplicates', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const bobAddr = new ProtocolAddress('bob', 1);
    const aliceAddrSC = SC.ProtocolAddress.new('alice', 1);
    await processPreKeyBundle(libsignalBundleToParley(bob.bundleParts()), bobAddr, alice.store, alice.store);
    const first = await parleyEncrypt(alice, bobAddr, 'hello from parley');
    expect(first.type).toBe('prekey');
    const seed = 0x5eed01;
    const stats = await converse(parleySide(alice, bobAddr), libsignalSide(bob, aliceAddrSC), seed, 1000, first, 'hello from parley');
    expect(stats.delivered).toBeGreaterThan(1800);
    expect(stats.dups).toBeGreaterThan(50);
    // libsignal consumed the one-time prekey and marked the Kyber prekey used.
    expect(bob.preKeys.m.size).toBe(0);
    expect(bob.kyberPreKeys.used).toEqual([1]);
  });

  it('libsignal initiates: 1,000+ messages each way with reordering, loss and duplicates', async () => {
    const alice = new LibsignalPeer('alice');
    const bob = new ParleyDevice('bob');
    const bobAddrSC = SC.ProtocolAddress.new('bob', 1);
    const aliceAddr = new ProtocolAddress('alice', 1);
    await SC.processPreKeyBundle(parleyBundleToLibsignal(await bob.bundle()), bobAddrSC, alice.sessions, alice.identities);
    const first = await alice.encrypt(enc.encode('hello from libsignal'), bobAddrSC);
    expect(first.type).toBe('prekey');
    // libsignal 0.90 offers SPQR V1 (minimum V0); Parley speaks it, so the session stays V1.
    expect(PreKeySignalMessage.deserialize(first.body).message.pqRatchet.length).toBeGreaterThan(0);
    expect(bob.store.preKeyStore.count()).toBe(1);
    const stats = await converse(libsignalSide(alice, bobAddrSC), parleySide(bob, aliceAddr), 0x5eed02, 1000, first, 'hello from libsignal');
    expect(stats.delivered).toBeGreaterThan(1800);
    expect(bob.store.preKeyStore.count()).toBe(0);
    const pq = decodeState((await bob.store.loadSession(aliceAddr))!.currentState()!.pqRatchetState);
    expect(pq.inner!.epoch).toBeGreaterThan(5);
    expect(decodeState(SessionRecord.deserialize(alice.sessions.m.get(bobAddrSC.toString())!).currentState()!.pqRatchetState).inner!.epoch).toBeGreaterThan(5);
  });

  it('a Parley session without SPQR (mode off) and 0.90 fall back to none, both ways', async () => {
    for (const parleyFirst of [true, false]) {
      const p = new ParleyDevice('alice');
      const l = new LibsignalPeer('bob');
      const lAddr = new ProtocolAddress('bob', 1);
      const pAddrSC = SC.ProtocolAddress.new('alice', 1);
      let first: Wire;
      let sides: [ReturnType<typeof parleySide>, ReturnType<typeof libsignalSide>];
      if (parleyFirst) {
        await processPreKeyBundle(libsignalBundleToParley(l.bundleParts()), lAddr, p.store, p.store, Date.now(), { spqr: 'off' });
        first = await parleyEncrypt(p, lAddr, 'first');
        sides = [parleySide(p, lAddr), libsignalSide(l, pAddrSC)];
      } else {
        await SC.processPreKeyBundle(parleyBundleToLibsignal(await p.bundle()), pAddrSC, l.sessions, l.identities);
        first = await l.encrypt(enc.encode('first'), pAddrSC);
        sides = [parleySide(p, lAddr, { spqr: 'off' }), libsignalSide(l, pAddrSC)];
      }
      const stats = parleyFirst
        ? await converse(sides[0], sides[1], 0x5eed07, 150, first, 'first')
        : await converse(sides[1], sides[0], 0x5eed08, 150, first, 'first');
      expect(stats.delivered).toBeGreaterThan(250);
      expect((await p.store.loadSession(lAddr))!.currentState()!.pqRatchetState.length).toBe(0);
      const theirs = SessionRecord.deserialize(l.sessions.m.get(pAddrSC.toString())!).currentState()!.pqRatchetState;
      expect(theirs.length, 'libsignal 0.90 downgraded to no SPQR').toBe(0);
    }
  });

  it('session without a one-time prekey works both ways', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const bobAddr = new ProtocolAddress('bob', 1);
    await processPreKeyBundle(libsignalBundleToParley(bob.bundleParts(false)), bobAddr, alice.store, alice.store);
    const w = await parleyEncrypt(alice, bobAddr, 'no opk');
    expect(dec.decode(await bob.decrypt(SC.ProtocolAddress.new('alice', 1), w))).toBe('no opk');
    const back = await bob.encrypt(enc.encode('reply'), SC.ProtocolAddress.new('alice', 1));
    expect(back.type).toBe('whisper');
    expect(dec.decode(await parleyDecrypt(alice, bobAddr, back))).toBe('reply');
    // After the reply, Parley's messages are plain whisper messages.
    expect((await parleyEncrypt(alice, bobAddr, 'x')).type).toBe('whisper');
  });

  it('a bundle with null for "no one-time prekey" (as libsignal-client writes it) sends no prekey id; libsignal answers', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const bobAddr = new ProtocolAddress('bob', 1);
    const parts = bob.bundleParts(false);
    const nullBundle = { ...libsignalBundleToParley(parts), preKeyId: null, preKey: null };
    // libsignal-client takes the same nulls: no one-time prekey.
    expect(SC.PreKeyBundle.new(parts.registrationId, 1, null, null, parts.signedPreKeyId, parts.signedPreKey, parts.signedPreKeySignature, parts.identityKey, parts.kyberPreKeyId, parts.kyberPreKey, parts.kyberPreKeySignature).preKeyId()).toBeNull();
    await processPreKeyBundle(nullBundle, bobAddr, alice.store, alice.store);
    const w = await parleyEncrypt(alice, bobAddr, 'null opk');
    // Before: prekey id 0 on the wire, and libsignal failed looking up prekey 0.
    expect(SC.PreKeySignalMessage.deserialize(ab(w.body)).preKeyId()).toBeNull();
    expect(dec.decode(await bob.decrypt(SC.ProtocolAddress.new('alice', 1), w))).toBe('null opk');
  });

  it('libsignal\'s record with a signed prekey id >= 2^31 (an int32 stored as a 10-byte varint) loads in Parley and keeps the id', async () => {
    const bob = new ParleyDevice('bob');
    const id = 0x80000001;
    const signed = SignedPreKeyRecord.generate(id, bob.identity, Date.now());
    const kyber = KyberPreKeyRecord.generate(id + 1, bob.identity, Date.now());
    await bob.store.saveSignedPreKey(id, signed);
    await bob.store.saveKyberPreKey(id + 1, kyber, true);
    const bundle: PreKeyBundle = {
      ...(await bob.bundle(false)),
      signedPreKeyId: id,
      signedPreKey: signed.publicKey,
      signedPreKeySignature: signed.signature,
      kyberPreKeyId: id + 1,
      kyberPreKey: kyber.publicKey,
      kyberPreKeySignature: kyber.signature,
    };
    const aliceL = new LibsignalPeer('alice');
    const bobSC = SC.ProtocolAddress.new('bob', 1);
    await SC.processPreKeyBundle(parleyBundleToLibsignal(bundle), bobSC, aliceL.sessions, aliceL.identities);
    const libsignalRecord = aliceL.sessions.m.get(bobSC.toString())!;
    // PendingPreKey.signed_pre_key_id (field 3, int32) = -2147483647: ten bytes.
    expect(toHex(libsignalRecord)).toContain('18' + '81808080f8ffffffff01');
    const record = SessionRecord.deserialize(libsignalRecord);
    const alice = new ParleyDevice('alice', 1, {
      keyPair: new IdentityKeyPair(PublicKey.deserialize(aliceL.identityKey.getPublicKey().serialize()), PrivateKey.deserialize(aliceL.identityKey.serialize())),
      registrationId: aliceL.regId,
    });
    const bobAddr = new ProtocolAddress('bob', 1);
    await alice.store.saveIdentity(bobAddr, bob.identity.publicKey);
    await alice.store.storeSession(bobAddr, record);
    const w = await parleyEncrypt(alice, bobAddr, 'high id');
    expect(PreKeySignalMessage.deserialize(w.body).signedPreKeyId).toBe(id);
    expect(dec.decode(await parleyDecrypt(bob, new ProtocolAddress('alice', 1), w))).toBe('high id');
  });

  it('rejects a bundle whose signed prekey or Kyber prekey signature is forged', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const good = libsignalBundleToParley(bob.bundleParts());
    const forged = good.signedPreKeySignature.slice();
    forged[5]! ^= 0x40;
    const addr = new ProtocolAddress('bob', 1);
    await expect(processPreKeyBundle({ ...good, signedPreKeySignature: forged }, addr, alice.store, alice.store)).rejects.toThrow(InvalidSignature);
    const forgedKyber = good.kyberPreKeySignature.slice();
    forgedKyber[9]! ^= 1;
    await expect(processPreKeyBundle({ ...good, kyberPreKeySignature: forgedKyber }, addr, alice.store, alice.store)).rejects.toThrow(InvalidSignature);
    // A signature by another identity key is forged too.
    const mallory = SC.PrivateKey.generate();
    const sigByMallory = new Uint8Array(mallory.sign(ab(good.signedPreKey.serialize())));
    await expect(processPreKeyBundle({ ...good, signedPreKeySignature: sigByMallory }, addr, alice.store, alice.store)).rejects.toThrow(InvalidSignature);
    expect(await alice.store.loadSession(addr)).toBeUndefined();
  });

  it('a changed identity key is refused for sending until approved', async () => {
    const alice = new ParleyDevice('alice');
    const addr = new ProtocolAddress('bob', 1);
    const bob1 = new LibsignalPeer('bob');
    await processPreKeyBundle(libsignalBundleToParley(bob1.bundleParts()), addr, alice.store, alice.store);
    const bob2 = new LibsignalPeer('bob'); // reinstalled: new identity
    const bundle2 = libsignalBundleToParley(bob2.bundleParts());
    await expect(processPreKeyBundle(bundle2, addr, alice.store, alice.store)).rejects.toThrow(UntrustedIdentity);
    await alice.store.approveIdentity(addr, bundle2.identityKey);
    await processPreKeyBundle(bundle2, addr, alice.store, alice.store);
    const w = await parleyEncrypt(alice, addr, 'after approval');
    expect(dec.decode(await bob2.decrypt(SC.ProtocolAddress.new('alice', 1), w))).toBe('after approval');
  });

  it('records are interchangeable with libsignal', async () => {
    const ours = new ParleyDevice('alice');
    const b = await ours.bundle();
    const spk = await ours.store.getSignedPreKey(b.signedPreKeyId);
    const theirSpk = SC.SignedPreKeyRecord.deserialize(ab(spk.serialize()));
    expect(new Uint8Array(theirSpk.signature())).toEqual(spk.signature);
    expect(new Uint8Array(theirSpk.publicKey().serialize())).toEqual(spk.publicKey.serialize());
    const kyber = await ours.store.getKyberPreKey(b.kyberPreKeyId);
    const theirKyber = SC.KyberPreKeyRecord.deserialize(ab(kyber.serialize()));
    expect(new Uint8Array(theirKyber.publicKey().serialize())).toEqual(kyber.publicKey.serialize());
    const opk = await ours.store.getPreKey(b.preKeyId!);
    expect(new Uint8Array(SC.PreKeyRecord.deserialize(ab(opk.serialize())).publicKey().serialize())).toEqual(opk.publicKey.serialize());
    // And back: libsignal's records parse as ours.
    const peer = new LibsignalPeer('bob');
    peer.bundleParts();
    expect(SignedPreKeyRecord.deserialize(peer.signedPreKeys.m.get(1)!.serialize()).id).toBe(1);
    expect(KyberPreKeyRecord.deserialize(peer.kyberPreKeys.m.get(1)!.serialize()).id).toBe(1);
    expect(PreKeyRecord.deserialize(peer.preKeys.m.get(1)!.serialize()).id).toBe(1);

    // Session records: a session libsignal built decrypts on our side after a
    // record round trip, and ours continues in libsignal.
    const alice = new LibsignalPeer('alice');
    const bob = new ParleyDevice('bob');
    const bobSC = SC.ProtocolAddress.new('bob', 1);
    const aliceP = new ProtocolAddress('alice', 1);
    await SC.processPreKeyBundle(parleyBundleToLibsignal(await bob.bundle()), bobSC, alice.sessions, alice.identities);
    const m1 = await alice.encrypt(enc.encode('m1'), bobSC);
    expect(dec.decode(await parleyDecrypt(bob, aliceP, m1))).toBe('m1');
    const r = await parleyEncrypt(bob, aliceP, 'r1');
    expect(dec.decode(await alice.decrypt(SC.ProtocolAddress.new('bob', 1), r))).toBe('r1');
    // Move alice's libsignal record into a Parley device and keep talking.
    const aliceRecord = SessionRecord.deserialize(alice.sessions.m.get(bobSC.toString())!);
    const roundTrip = SC.SessionRecord.deserialize(ab(aliceRecord.serialize()));
    expect(roundTrip.hasCurrentState()).toBe(true);
    const bobRecord = (await bob.store.loadSession(aliceP))!;
    const theirView = SC.SessionRecord.deserialize(ab(bobRecord.serialize()));
    expect(theirView.hasCurrentState()).toBe(true);
  });

  it('SignalMessage bytes are identical to libsignal\'s for the same inputs; MACs verify both ways; SPQR bytes stay MAC\'d', () => {
    const macKey = crypto.getRandomValues(new Uint8Array(32));
    const ratchet = SC.PrivateKey.generate().getPublicKey();
    const sender = SC.PrivateKey.generate().getPublicKey();
    const receiver = SC.PrivateKey.generate().getPublicKey();
    const P = (k: SC.PublicKey) => PublicKey.deserialize(k.serialize());
    for (const [counter, previous] of [[0, 0], [7, 3], [70_000, 65_535]] as const) {
      const ct = crypto.getRandomValues(new Uint8Array(48));
      const ours = SignalMessage.create(4, macKey, P(ratchet), counter, previous, ct, P(sender), P(receiver));
      const theirs = SC.SignalMessage._new(4, ab(macKey), ratchet, counter, previous, ab(ct), sender, receiver, new Uint8Array(0));
      expect(toHex(ours.serialize())).toBe(toHex(theirs.serialize()));
      expect(SC.SignalMessage.deserialize(ab(ours.serialize())).verifyMac(sender, receiver, ab(macKey))).toBe(true);
    }
    // libsignal's message with SPQR bytes: parsed, MAC verified over them, bytes exposed.
    const pq = crypto.getRandomValues(new Uint8Array(40));
    const withPq = SC.SignalMessage._new(4, ab(macKey), ratchet, 1, 0, ab(new Uint8Array(32)), sender, receiver, ab(pq));
    const parsed = SignalMessage.deserialize(withPq.serialize());
    expect(parsed.pqRatchet).toEqual(pq);
    expect(parsed.verifyMac(P(sender), P(receiver), macKey)).toBe(true);
    expect(parsed.verifyMac(P(receiver), P(sender), macKey)).toBe(false);
  });

  it('libsignal parses Parley\'s PreKeySignalMessage fields as sent', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const bundle = libsignalBundleToParley(bob.bundleParts());
    await processPreKeyBundle(bundle, new ProtocolAddress('bob', 1), alice.store, alice.store);
    const w = await parleyEncrypt(alice, new ProtocolAddress('bob', 1), 'x');
    const theirs = SC.PreKeySignalMessage.deserialize(ab(w.body));
    expect(theirs.version()).toBe(4);
    expect(theirs.registrationId()).toBe(alice.registrationId);
    expect(theirs.preKeyId()).toBe(bundle.preKeyId);
    expect(theirs.signedPreKeyId()).toBe(bundle.signedPreKeyId);
    // SPQR (mode 'required' by default): epoch 1, chain index 1, the first header chunk.
    const pq = SC.SignalMessage.deserialize(ab(PreKeySignalMessage.deserialize(w.body).message.serialize())).pqRatchet();
    expect(toHex(pq.subarray(0, 5))).toBe('0101010100');
    expect(pq.length).toBe(5 + 32);
    // Without SPQR no pq_ratchet bytes at all.
    const carol = new ParleyDevice('carol');
    await processPreKeyBundle(libsignalBundleToParley(bob.bundleParts()), new ProtocolAddress('bob', 1), carol.store, carol.store, Date.now(), { spqr: 'off' });
    const w2 = await parleyEncrypt(carol, new ProtocolAddress('bob', 1), 'x');
    expect(SC.SignalMessage.deserialize(ab(PreKeySignalMessage.deserialize(w2.body).message.serialize())).pqRatchet().length).toBe(0);
  });

  it('a peer that reinstalled (new identity) is received, then blocked for sending until approved', async () => {
    const alice = new ParleyDevice('alice');
    const addr = new ProtocolAddress('bob', 1);
    const aliceSC = SC.ProtocolAddress.new('alice', 1);
    const bobSC = SC.ProtocolAddress.new('bob', 1);
    const bob1 = new LibsignalPeer('bob');
    await processPreKeyBundle(libsignalBundleToParley(bob1.bundleParts()), addr, alice.store, alice.store);
    expect(dec.decode(await bob1.decrypt(aliceSC, await parleyEncrypt(alice, addr, 'to bob1')))).toBe('to bob1');
    const bob2 = new LibsignalPeer('bob');
    await SC.processPreKeyBundle(parleyBundleToLibsignal(await alice.bundle()), aliceSC, bob2.sessions, bob2.identities);
    expect(dec.decode(await parleyDecrypt(alice, addr, await bob2.encrypt(enc.encode('new phone'), aliceSC)))).toBe('new phone');
    expect(await alice.store.getTrustLevel(addr)).toBe('changed');
    const before = toHex((await alice.store.loadSession(addr))!.serialize());
    await expect(parleyEncrypt(alice, addr, 'blocked')).rejects.toThrow(UntrustedIdentity);
    expect(toHex((await alice.store.loadSession(addr))!.serialize()), 'a refused send changes no state').toBe(before);
    await alice.store.approveIdentity(addr, PublicKey.deserialize(bob2.identityKey.getPublicKey().serialize()));
    expect(dec.decode(await bob2.decrypt(aliceSC, await parleyEncrypt(alice, addr, 'approved')))).toBe('approved');
    void bobSC;
  });

  it('session records move between implementations mid-conversation, skipped keys included', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new LibsignalPeer('bob');
    const bobP = new ProtocolAddress('bob', 1);
    const aliceSC = SC.ProtocolAddress.new('alice', 1);
    await processPreKeyBundle(libsignalBundleToParley(bob.bundleParts()), bobP, alice.store, alice.store);
    await bob.decrypt(aliceSC, await parleyEncrypt(alice, bobP, 'hi'));
    await parleyDecrypt(alice, bobP, await bob.encrypt(enc.encode('ack'), aliceSC));
    // More skipped keys than fit ProtoMessage's default field budget, on both sides.
    const n = 1100;
    const toAlice: Wire[] = [];
    for (let i = 0; i < n; i++) toAlice.push(await bob.encrypt(enc.encode(`b${i}`), aliceSC));
    expect(dec.decode(await parleyDecrypt(alice, bobP, toAlice[n - 1]!))).toBe(`b${n - 1}`);
    const toBob: Wire[] = [];
    for (let i = 0; i < n; i++) toBob.push(await parleyEncrypt(alice, bobP, `a${i}`));
    expect(dec.decode(await bob.decrypt(aliceSC, toBob[n - 1]!))).toBe(`a${n - 1}`);

    // Alice's Parley record goes to libsignal; Bob's libsignal record goes to Parley.
    const aliceL = new LibsignalPeer('alice', 1, {
      privateKey: SC.PrivateKey.deserialize(ab(alice.identity.privateKey.serialize())),
      registrationId: alice.registrationId,
    });
    aliceL.sessions.m.set(SC.ProtocolAddress.new('bob', 1).toString(), ab((await alice.store.loadSession(bobP))!.serialize()));
    const bobKeys = new IdentityKeyPair(
      PublicKey.deserialize(bob.identityKey.getPublicKey().serialize()),
      PrivateKey.deserialize(bob.identityKey.serialize()),
    );
    const bobNowParley = new ParleyDevice('bob', 1, { keyPair: bobKeys, registrationId: bob.regId });
    const aliceP = new ProtocolAddress('alice', 1);
    await bobNowParley.store.storeSession(aliceP, SessionRecord.deserialize(bob.sessions.m.get(aliceSC.toString())!));

    expect(dec.decode(await aliceL.decrypt(SC.ProtocolAddress.new('bob', 1), toAlice[5]!))).toBe('b5');
    expect(dec.decode(await parleyDecrypt(bobNowParley, aliceP, toBob[7]!))).toBe('a7');
    await expect(parleyDecrypt(bobNowParley, aliceP, toBob[n - 1]!)).rejects.toThrow(DuplicateMessage);
    const w = await aliceL.encrypt(enc.encode('from libsignal with a Parley record'), SC.ProtocolAddress.new('bob', 1));
    expect(dec.decode(await parleyDecrypt(bobNowParley, aliceP, w))).toBe('from libsignal with a Parley record');
    const back = await parleyEncrypt(bobNowParley, aliceP, 'from Parley with a libsignal record');
    expect(dec.decode(await aliceL.decrypt(SC.ProtocolAddress.new('bob', 1), back))).toBe('from Parley with a libsignal record');
  });
});
