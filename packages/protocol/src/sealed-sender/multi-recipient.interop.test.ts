// Sealed sender v2 (multi-recipient) between Parley and libsignal-client 0.90 and 0.103,
// both directions: the sender's bytes, the server's split (libsignal's
// SealedSenderMultiRecipientMessage against Parley's parser, byte for byte), and each
// recipient device opening its part, with sender-key group content and with a 1:1
// prekey message through the full sealedSenderDecryptMessage path.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as SC from '@signalapp/libsignal-client';
import SplitV090 from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import SplitV0103 from '@signalapp/libsignal-client-0103/dist/SealedSenderMultiRecipientMessage.js';
import { ProtocolAddress } from '../address.ts';
import { PrivateKey, PublicKey } from '../curve.ts';
import { InvalidSealedSender } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { createSenderKeyDistributionMessage, groupDecrypt, groupEncrypt, processSenderKeyDistributionMessage } from '../sender-key/group-cipher.ts';
import { SenderKeyDistributionMessage } from '../sender-key/messages.ts';
import { InMemorySenderKeyStore } from '../sender-key/store.ts';
import { processPreKeyBundle } from '../session/session-builder.ts';
import { signalEncrypt } from '../session/session-cipher.ts';
import { libsignalBundleToParley, parleyBundleToLibsignal } from '../test-support/conversation.ts';
import { ab, LIB_0103, LibsignalPeer } from '../test-support/libsignal-peer.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { SenderCertificate, ServerCertificate } from './certificates.ts';
import { sealedSenderMultiRecipientEncrypt, sealedSenderMultiRecipientSeal } from './multi-recipient.ts';
import { sealedSenderDecryptMessage, sealedSenderDecryptToUsmc, UnidentifiedSenderMessageContent } from './sealed-sender.ts';
import { SealedSenderMultiRecipientMessage } from './sent-message.ts';

type Lib = typeof SC;
type Split = typeof SplitV090;
const enc = new TextEncoder();
const dec = new TextDecoder();
const DAY = 86_400_000;
const DIST = '5e1f3c2a-9b8d-4e7f-a6c5-0d1e2f3a4b5c';
const SENDER = '3f0c9a55-2b1e-4c7d-8e9f-a0b1c2d3e4f5';
/** Recipient accounts: two ACIs and a PNI, several devices (ids as Signal hands them out), plus one excluded account. */
const ACCOUNTS: ReadonlyArray<{ id: string; devices: number[] }> = [
  { id: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', devices: [1, 2, 7] },
  { id: 'b5c6d7e8-f9a0-4b1c-9d2e-3f4a5b6c7d8e', devices: [1, 3] },
  { id: 'PNI:c9d0e1f2-a3b4-4c5d-8e6f-7a8b9c0d1e2f', devices: [1] },
];
const EXCLUDED = 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a';

function senderKeyStoreClass(lib: Lib) {
  return class extends lib.SenderKeyStore {
    m = new Map<string, SC.SenderKeyRecord>();
    async saveSenderKey(s: SC.ProtocolAddress, d: string, r: SC.SenderKeyRecord) {
      this.m.set(`${s.toString()}:${d}`, r);
    }
    async getSenderKey(s: SC.ProtocolAddress, d: string) {
      return this.m.get(`${s.toString()}:${d}`) ?? null;
    }
  };
}

/** libsignal's split compared with Parley's, recipient by recipient; returns the received messages. */
function splitBoth(Split: Split, sent: Uint8Array): Map<string, Uint8Array> {
  const theirs = new Split(ab(sent));
  const ours = SealedSenderMultiRecipientMessage.parse(sent);
  expect(ours.excludedRecipients()).toEqual(theirs.excludedRecipientServiceIdStrings());
  const theirMap = theirs.recipientsByServiceIdString();
  expect([...ours.recipients().keys()]).toEqual(Object.keys(theirMap));
  const out = new Map<string, Uint8Array>();
  for (const [id, r] of ours.recipients()) {
    const t = theirMap[id]!;
    expect(r.devices.map((d) => d.deviceId)).toEqual(t.deviceIds);
    expect(r.devices.map((d) => d.registrationId)).toEqual(t.registrationIds);
    const mine = ours.messageForRecipient(id);
    expect(mine).toEqual(new Uint8Array(theirs.messageForRecipient(t)));
    out.set(id, mine);
  }
  return out;
}

/**
 * Parley's parser against libsignal's on the same bytes: whatever Parley accepts,
 * libsignal accepts with the same recipients, exclusions and split; whatever libsignal
 * refuses, Parley refuses. Parley refuses more in exactly two cases (README, "Strictness"):
 * a non-minimal recipient count (libsignal decodes it, then re-reads from the wrong
 * offset) and a shared part too short for E and the content tag (undecryptable).
 */
function compareParsers(Split: Split, b: Uint8Array): 'both' | 'neither' | 'parley-stricter' {
  let theirs: InstanceType<Split> | undefined;
  try {
    theirs = new Split(ab(b));
  } catch {
    theirs = undefined;
  }
  let ours: SealedSenderMultiRecipientMessage | undefined;
  try {
    ours = SealedSenderMultiRecipientMessage.parse(b);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidSealedSender);
  }
  if (!ours && !theirs) return 'neither';
  if (!ours) {
    const nonMinimalCount = (b[1]! & 0x80) !== 0 && b.subarray(1).findIndex((x) => (x & 0x80) === 0) > 0 && b[1 + b.subarray(1).findIndex((x) => (x & 0x80) === 0)] === 0;
    const shortShared = b.length - theirs!._offsetOfSharedData < 48;
    expect(nonMinimalCount || shortShared, 'Parley refused what libsignal accepts, for no documented reason').toBe(true);
    return 'parley-stricter';
  }
  expect(theirs, 'libsignal refused what Parley accepts').toBeDefined();
  expect(ours.excludedRecipients()).toEqual(theirs!.excludedRecipientServiceIdStrings());
  const map = theirs!.recipientsByServiceIdString();
  expect([...ours.recipients().keys()]).toEqual(Object.keys(map));
  for (const [id, r] of ours.recipients()) {
    expect(r.devices.map((d) => d.deviceId)).toEqual(map[id]!.deviceIds);
    expect(r.devices.map((d) => d.registrationId)).toEqual(map[id]!.registrationIds);
    expect(ours.messageForRecipient(id)).toEqual(new Uint8Array(theirs!.messageForRecipient(map[id]!)));
  }
  return 'both';
}

/** Raw sent messages built from parts that are sometimes wrong: kinds, device ids, has-more bits, counts, lengths. */
const rawSentMessage = fc
  .record({
    version: fc.constantFrom(0x22, 0x23, 0x23, 0x21),
    countDelta: fc.constantFrom(0, 0, 0, 1, -1),
    countBytes: fc.constantFrom('minimal', 'minimal', 'minimal', 'padded'),
    entries: fc.array(
      fc.record({
        kind: fc.constantFrom(0, 0, 1, 2),
        uuid: fc.constantFrom(1, 2, 3, 4), // a small pool, so accounts repeat
        devices: fc.array(fc.record({ id: fc.constantFrom(0, 1, 2, 127, 128, 255), reg: fc.integer({ min: 0, max: 0x7fff }), more: fc.boolean() }), { maxLength: 3 }),
        keyLen: fc.constantFrom(48, 48, 48, 47),
      }),
      { maxLength: 5 },
    ),
    sharedLen: fc.constantFrom(0, 31, 32, 47, 48, 60),
  })
  .map((m) => {
    const out: number[] = [m.version];
    const count = Math.max(0, m.entries.length + m.countDelta);
    if (m.countBytes === 'padded') out.push(0x80 | count, 0x00);
    else out.push(count);
    for (const e of m.entries) {
      if (m.version === 0x23) out.push(e.kind);
      for (let i = 0; i < 16; i++) out.push(i === 15 ? e.uuid : 0x40 + i);
      if (e.devices.length === 0) out.push(0);
      e.devices.forEach((d, i) => {
        const more = d.more || i + 1 < e.devices.length;
        out.push(d.id, (more ? 0x80 : 0) | (d.reg >> 8), d.reg & 0xff);
      });
      for (let i = 0; i < e.keyLen; i++) out.push(e.uuid);
    }
    for (let i = 0; i < m.sharedLen; i++) out.push(0xee);
    return Uint8Array.from(out);
  });

describe.each([
  ['0.90', SplitV090],
  ['0.103', SplitV0103 as unknown as Split],
] as const)('sealed sender v2 parser against libsignal %s', (_, Split) => {
  it('random structured messages: same verdict and same split, except the two documented strictnesses', () => {
    const seen = { both: 0, neither: 0, 'parley-stricter': 0 };
    fc.assert(
      fc.property(rawSentMessage, (b) => {
        seen[compareParsers(Split, b)]++;
      }),
      { numRuns: 3000 },
    );
    // The generator reaches all three outcomes (a check that the comparison is not vacuous).
    expect(seen.both).toBeGreaterThan(50);
    expect(seen.neither).toBeGreaterThan(50);
    expect(seen['parley-stricter']).toBeGreaterThan(0);
  });

  it('bit flips, truncations and extensions of real messages: same verdict and same split', () => {
    const ids = ACCOUNTS.map((a) => ({ serviceId: a.id, identityKey: IdentityKeyPair.generate().publicKey, devices: a.devices.map((deviceId) => ({ deviceId, registrationId: deviceId * 1000 + 1 })) }));
    const me = IdentityKeyPair.generate();
    const server = PrivateKey.generate();
    const signer = ServerCertificate.create(1, server.publicKey(), PrivateKey.generate());
    const cert = SenderCertificate.create({ senderUuid: SENDER, senderDeviceId: 1, identityKey: me.publicKey, expiration: Date.now() + DAY, signer, signerKey: server });
    const real = sealedSenderMultiRecipientSeal(UnidentifiedSenderMessageContent.create('plaintext', cert, new Uint8Array([1, 2, 3])), ids, [EXCLUDED], me);
    expect(compareParsers(Split, real)).toBe('both');
    fc.assert(
      fc.property(fc.nat(real.length * 8 - 1), fc.nat(real.length), fc.uint8Array({ minLength: 1, maxLength: 8 }), (bit, cut, extra) => {
        const flipped = real.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        compareParsers(Split, flipped);
        compareParsers(Split, real.subarray(0, cut));
        const extended = new Uint8Array(real.length + extra.length);
        extended.set(real);
        extended.set(extra, real.length);
        expect(compareParsers(Split, extended)).toBe('both');
      }),
      { numRuns: 200 },
    );
  });
});

describe.each([
  ['0.90', SC, SplitV090],
  ['0.103', LIB_0103, SplitV0103 as unknown as Split],
] as const)('sealed sender v2 with libsignal %s', (version, lib, Split) => {
  const trustRoot = lib.PrivateKey.generate();
  const serverKey = lib.PrivateKey.generate();
  const serverCert = lib.ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
  const root = PublicKey.deserialize(trustRoot.getPublicKey().serialize());

  it('libsignal seals a group message for 3 accounts / 6 devices (one excluded); both splits agree; every Parley device opens its part', async () => {
    const alice = new LibsignalPeer(SENDER, 1, undefined, lib);
    const aliceAddr = alice.address;
    const accounts = ACCOUNTS.map((a) => {
      const keyPair = IdentityKeyPair.generate();
      return { ...a, keyPair, devices: a.devices.map((d) => new ParleyDevice(a.id, d, { keyPair, registrationId: 1 + ((d * 977 + a.id.length * 31) % 16000) })) };
    });
    const addresses: SC.ProtocolAddress[] = [];
    for (const a of accounts) {
      for (const d of a.devices) {
        const address = lib.ProtocolAddress.new(a.id, d.address.deviceId);
        await alice.processBundle(parleyBundleToLibsignal(await d.bundle(), lib), address);
        addresses.push(address);
      }
    }
    // Sender key: libsignal creates it, every Parley device takes it.
    const aliceKeys = new (senderKeyStoreClass(lib))();
    const skdm = await lib.SenderKeyDistributionMessage.create(aliceAddr, DIST, aliceKeys);
    const deviceKeys = new Map<ParleyDevice, InMemorySenderKeyStore>();
    for (const a of accounts) {
      for (const d of a.devices) {
        const store = new InMemorySenderKeyStore();
        await processSenderKeyDistributionMessage(new ProtocolAddress(SENDER, 1), SenderKeyDistributionMessage.deserialize(skdm.serialize()), store);
        deviceKeys.set(d, store);
      }
    }
    const cert = lib.SenderCertificate.new(SENDER, null, 1, alice.identityKey.getPublicKey(), Date.now() + DAY, serverCert, serverKey);
    const groupId = ab(new Uint8Array([7, 7, 7, 7]));
    for (let i = 0; i < 3; i++) {
      const inner = await lib.groupEncrypt(aliceAddr, DIST, aliceKeys, ab(enc.encode(`group ${version} ${i}`)));
      const usmc = lib.UnidentifiedSenderMessageContent.new(inner, cert, lib.ContentHint.Resendable, groupId);
      const sent = await lib.sealedSenderMultiRecipientEncrypt({
        content: usmc,
        recipients: addresses,
        excludedRecipients: [lib.ServiceId.parseFromServiceIdString(EXCLUDED)],
        identityStore: alice.identities,
        sessionStore: alice.sessions,
      });
      expect(sent[0]).toBe(0x23);
      const received = splitBoth(Split, new Uint8Array(sent));
      expect([...received.keys()]).toEqual(ACCOUNTS.map((a) => a.id));
      const parsed = SealedSenderMultiRecipientMessage.parse(new Uint8Array(sent));
      expect(parsed.excludedRecipients()).toEqual([EXCLUDED]);
      for (const a of accounts) {
        expect(parsed.recipients().get(a.id)!.devices).toEqual(a.devices.map((d) => ({ deviceId: d.address.deviceId, registrationId: d.registrationId })));
        for (const d of a.devices) {
          const opened = sealedSenderDecryptToUsmc(received.get(a.id)!, d.identity);
          expect(opened.type).toBe('sender-key');
          expect(opened.contentHint).toBe(1);
          expect(opened.groupId).toEqual(new Uint8Array(groupId));
          expect(opened.senderCertificate.validate(root, Date.now())).toBe(true);
          const text = await groupDecrypt(new ProtocolAddress(SENDER, 1), deviceKeys.get(d)!, opened.contents);
          expect(dec.decode(text)).toBe(`group ${version} ${i}`);
        }
      }
      // Another account's part does not open with this account's identity.
      expect(() => sealedSenderDecryptToUsmc(received.get(ACCOUNTS[1]!.id)!, accounts[0]!.keyPair)).toThrow(InvalidSealedSender);
    }
  });

  it('Parley seals a group message for 3 libsignal accounts / 6 devices (one excluded); both splits agree; libsignal opens every part', async () => {
    const sender = new ParleyDevice(SENDER);
    const senderAddr = new ProtocolAddress(SENDER, 1);
    const peers: Array<{ account: string; peer: LibsignalPeer }> = [];
    for (const a of ACCOUNTS) {
      const privateKey = lib.PrivateKey.generate();
      for (const deviceId of a.devices) {
        const peer = new LibsignalPeer(a.id, deviceId, { privateKey, registrationId: 100 + deviceId * 131 + peers.length }, lib);
        await processPreKeyBundle(libsignalBundleToParley(peer.bundleParts()), new ProtocolAddress(a.id, deviceId), sender.store, sender.store);
        peers.push({ account: a.id, peer });
      }
    }
    const ourKeys = new InMemorySenderKeyStore();
    const skdm = await createSenderKeyDistributionMessage(senderAddr, DIST, ourKeys);
    const peerKeys = new Map<LibsignalPeer, InstanceType<ReturnType<typeof senderKeyStoreClass>>>();
    const libSender = lib.ProtocolAddress.new(SENDER, 1);
    for (const { peer } of peers) {
      const store = new (senderKeyStoreClass(lib))();
      await lib.processSenderKeyDistributionMessage(libSender, lib.SenderKeyDistributionMessage.deserialize(ab(skdm.serialize())), store);
      peerKeys.set(peer, store);
    }
    const ourRoot = PrivateKey.generate();
    const ourServer = PrivateKey.generate();
    const cert = SenderCertificate.create({
      senderUuid: SENDER,
      senderDeviceId: 1,
      identityKey: sender.identity.publicKey,
      expiration: Date.now() + DAY,
      signer: ServerCertificate.create(3, ourServer.publicKey(), ourRoot),
      signerKey: ourServer,
    });
    for (let i = 0; i < 3; i++) {
      const inner = await groupEncrypt(senderAddr, DIST, ourKeys, enc.encode(`to libsignal ${version} ${i}`));
      const usmc = UnidentifiedSenderMessageContent.create('sender-key', cert, inner.serialize(), 2, new Uint8Array([9, 9]));
      const sent = await sealedSenderMultiRecipientEncrypt({
        content: usmc,
        recipients: peers.map(({ peer }) => new ProtocolAddress(peer.address.name(), peer.address.deviceId())),
        excludedRecipients: [EXCLUDED],
        identityStore: sender.store,
        sessionStore: sender.store,
      });
      const received = splitBoth(Split, sent);
      const theirs = new Split(ab(sent)).recipientsByServiceIdString();
      for (const { account, peer } of peers) {
        const t = theirs[account]!;
        const k = t.deviceIds.indexOf(peer.address.deviceId());
        expect(t.registrationIds[k]).toBe(peer.regId);
        const usmcTheirs = await lib.sealedSenderDecryptToUsmc(ab(received.get(account)!), peer.identities);
        expect(usmcTheirs.msgType()).toBe(lib.CiphertextMessageType.SenderKey);
        expect(usmcTheirs.contentHint()).toBe(2);
        expect(usmcTheirs.senderCertificate().senderUuid()).toBe(SENDER);
        const text = await lib.groupDecrypt(libSender, peerKeys.get(peer)!, usmcTheirs.contents());
        expect(dec.decode(text)).toBe(`to libsignal ${version} ${i}`);
      }
    }
  });

  it('a 1:1 prekey message sealed with v2 goes through the full sealedSenderDecryptMessage path, both ways', async () => {
    // libsignal -> Parley.
    const alice = new LibsignalPeer(SENDER, 1, undefined, lib);
    const bobId = ACCOUNTS[0]!.id;
    const bob = new ParleyDevice(bobId, 2);
    const bobAddr = lib.ProtocolAddress.new(bobId, 2);
    await alice.processBundle(parleyBundleToLibsignal(await bob.bundle(), lib), bobAddr);
    const cert = lib.SenderCertificate.new(SENDER, null, 1, alice.identityKey.getPublicKey(), Date.now() + DAY, serverCert, serverKey);
    const encrypt = lib.signalEncrypt as (...a: unknown[]) => Promise<SC.CiphertextMessage>;
    const inner = await encrypt(ab(enc.encode('hello over v2')), bobAddr, ...(alice.modern ? [alice.address] : []), alice.sessions, alice.identities);
    expect(inner.type()).toBe(lib.CiphertextMessageType.PreKey);
    const usmc = lib.UnidentifiedSenderMessageContent.new(inner, cert, 0, null);
    const sent = await lib.sealedSenderMultiRecipientEncrypt(usmc, [bobAddr], alice.identities, alice.sessions);
    const single = new Uint8Array(lib.sealedSenderMultiRecipientMessageForSingleRecipient(sent));
    expect(SealedSenderMultiRecipientMessage.parse(new Uint8Array(sent)).messageForRecipient(bobId)).toEqual(single);
    const stores = { sessionStore: bob.store, identityStore: bob.store, preKeyStore: bob.store, signedPreKeyStore: bob.store, kyberPreKeyStore: bob.store };
    const res = await sealedSenderDecryptMessage(single, root, Date.now(), null, bobId, 2, stores);
    expect(res.senderUuid).toBe(SENDER);
    expect(dec.decode(res.plaintext)).toBe('hello over v2');

    // Parley -> libsignal.
    const carol = new ParleyDevice(SENDER, 1);
    const dave = new LibsignalPeer(ACCOUNTS[1]!.id, 3, undefined, lib);
    const daveAddr = new ProtocolAddress(ACCOUNTS[1]!.id, 3);
    await processPreKeyBundle(libsignalBundleToParley(dave.bundleParts()), daveAddr, carol.store, carol.store);
    const ourRoot = PrivateKey.generate();
    const ourServer = PrivateKey.generate();
    const carolCert = SenderCertificate.create({
      senderUuid: SENDER,
      senderDeviceId: 1,
      identityKey: carol.identity.publicKey,
      expiration: Date.now() + DAY,
      signer: ServerCertificate.create(4, ourServer.publicKey(), ourRoot),
      signerKey: ourServer,
    });
    const m = await signalEncrypt(enc.encode('and back'), daveAddr, carol.store, carol.store);
    const ours = await sealedSenderMultiRecipientEncrypt({
      content: UnidentifiedSenderMessageContent.create(m.type, carolCert, m.serialize()),
      recipients: [daveAddr],
      identityStore: carol.store,
      sessionStore: carol.store,
    });
    const forDave = SealedSenderMultiRecipientMessage.parse(ours).messageForRecipient(ACCOUNTS[1]!.id);
    expect(forDave).toEqual(new Uint8Array(lib.sealedSenderMultiRecipientMessageForSingleRecipient(ab(ours))));
    const theirs = await lib.sealedSenderDecryptMessage(
      ab(forDave),
      lib.PublicKey.deserialize(ab(ourRoot.publicKey().serialize())),
      Date.now(),
      null,
      ACCOUNTS[1]!.id,
      3,
      dave.sessions,
      dave.identities,
      dave.preKeys,
      dave.signedPreKeys,
      dave.kyberPreKeys,
    );
    expect(theirs.senderUuid()).toBe(SENDER);
    expect(dec.decode(theirs.message())).toBe('and back');
  });
});
