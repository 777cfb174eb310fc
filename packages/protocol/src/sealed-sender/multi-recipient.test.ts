// Sealed sender v2 Parley <-> Parley: sealing, the server's split, opening; argument
// checks; the strict parser on hand-made messages; property tests on the parser and on
// v2 decryption (Node and Chromium).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolAddress } from '../address.ts';
import { PrivateKey } from '../curve.ts';
import { InvalidArgument, InvalidSealedSender, InvalidState, NoSession, ProtocolError, UntrustedIdentity } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { ServiceId } from '../service-id.ts';
import { processPreKeyBundle } from '../session/session-builder.ts';
import { signalEncrypt } from '../session/session-cipher.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { SenderCertificate, ServerCertificate } from './certificates.ts';
import { sealedSenderMultiRecipientEncrypt, sealedSenderMultiRecipientSeal, type SealedSenderV2Recipient } from './multi-recipient.ts';
import { sealedSenderDecryptMessage, sealedSenderDecryptToUsmc, UnidentifiedSenderMessageContent } from './sealed-sender.ts';
import { SealedSenderMultiRecipientMessage } from './sent-message.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const DAY = 86_400_000;
const A = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const B = 'b5c6d7e8-f9a0-4b1c-9d2e-3f4a5b6c7d8e';
const P = 'PNI:c9d0e1f2-a3b4-4c5d-8e6f-7a8b9c0d1e2f';
const X = 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a';
const SENDER = '3f0c9a55-2b1e-4c7d-8e9f-a0b1c2d3e4f5';

function certFor(identity: IdentityKeyPair) {
  const root = PrivateKey.generate();
  const server = PrivateKey.generate();
  const cert = SenderCertificate.create({
    senderUuid: SENDER,
    senderDeviceId: 1,
    identityKey: identity.publicKey,
    expiration: Date.now() + DAY,
    signer: ServerCertificate.create(1, server.publicKey(), root),
    signerKey: server,
  });
  return { root: root.publicKey(), cert };
}

const sender = IdentityKeyPair.generate();
const { cert } = certFor(sender);
const usmc = UnidentifiedSenderMessageContent.create('sender-key', cert, enc.encode('group content'), 2, new Uint8Array([1, 2]));
const ids: Record<string, IdentityKeyPair> = { [A]: IdentityKeyPair.generate(), [B]: IdentityKeyPair.generate(), [P]: IdentityKeyPair.generate() };
const recipients: SealedSenderV2Recipient[] = [
  { serviceId: A, identityKey: ids[A]!.publicKey, devices: [{ deviceId: 1, registrationId: 0x3fff }, { deviceId: 2, registrationId: 7 }, { deviceId: 127, registrationId: 0 }] },
  { serviceId: B, identityKey: ids[B]!.publicKey, devices: [{ deviceId: 3, registrationId: 12345 }] },
  { serviceId: P, identityKey: ids[P]!.publicKey, devices: [{ deviceId: 1, registrationId: 42 }] },
];
const sent = sealedSenderMultiRecipientSeal(usmc, recipients, [X], sender);

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));
const cat = (...parts: (Uint8Array | number[])[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const sid = (s: string) => ServiceId.parse(s).fixedWidthBinary();
const keyMaterial = (fill: number) => new Uint8Array(48).fill(fill);
const shared = new Uint8Array(32 + 16 + 5).fill(0xee);

describe('sealed sender v2 (Parley <-> Parley)', () => {
  it('seals once for 3 accounts / 5 devices and 1 excluded; the split gives each account its part; only that account opens it', () => {
    expect(sent[0]).toBe(0x23);
    const parsed = SealedSenderMultiRecipientMessage.parse(sent);
    expect(parsed.version).toBe(0x23);
    expect([...parsed.recipients()]).toEqual(recipients.map((r) => [r.serviceId, { devices: r.devices }]));
    expect(parsed.excludedRecipients()).toEqual([X]);
    for (const r of recipients) {
      const mine = parsed.messageForRecipient(r.serviceId);
      expect(mine[0]).toBe(0x22);
      const opened = sealedSenderDecryptToUsmc(mine, ids[r.serviceId]!);
      expect(dec.decode(opened.contents)).toBe('group content');
      expect(opened.type).toBe('sender-key');
      expect(opened.groupId).toEqual(new Uint8Array([1, 2]));
      expect(opened.senderCertificate.senderUuid).toBe(SENDER);
      for (const other of recipients.filter((o) => o !== r)) expect(() => sealedSenderDecryptToUsmc(mine, ids[other.serviceId]!)).toThrow(InvalidSealedSender);
    }
    expect(() => parsed.messageForRecipient(X)).toThrow(InvalidArgument);
    // The sender appears nowhere in the clear, and the content is sealed once: version, count, 3 × (id ‖ C ‖ AT), 5 devices, the excluded id, E, content, tag.
    expect(new TextDecoder('latin1').decode(sent)).not.toContain(SENDER);
    expect(sent.length).toBe(1 + 1 + 3 * (17 + 48) + 5 * 3 + 18 + 32 + usmc.serialize().length + 16);
  });

  it('a certificate naming another key than the one that made AT is refused', () => {
    const { cert: other } = certFor(IdentityKeyPair.generate());
    const forged = sealedSenderMultiRecipientSeal(UnidentifiedSenderMessageContent.create('plaintext', other, new Uint8Array([1])), recipients.slice(0, 1), [], sender);
    const mine = SealedSenderMultiRecipientMessage.parse(forged).messageForRecipient(A);
    expect(() => sealedSenderDecryptToUsmc(mine, ids[A]!)).toThrow(/authentication tag/);
  });

  it('from the stores: registration ids from the sessions; full decrypt of a v2 prekey message; missing session, untrusted identity and bad ids are typed errors', async () => {
    const alice = new ParleyDevice(SENDER);
    const bobKeys = IdentityKeyPair.generate();
    const bob1 = new ParleyDevice(A, 1, { keyPair: bobKeys, registrationId: 111 });
    const bob2 = new ParleyDevice(A, 2, { keyPair: bobKeys, registrationId: 222 });
    const carol = new ParleyDevice(B, 5);
    for (const d of [bob1, bob2, carol]) await processPreKeyBundle(await d.bundle(), d.address, alice.store, alice.store);
    const { root, cert: aliceCert } = certFor(alice.identity);
    const inner = await signalEncrypt(enc.encode('only for bob 2'), bob2.address, alice.store, alice.store);
    const content = UnidentifiedSenderMessageContent.create(inner.type, aliceCert, inner.serialize());
    const addresses = [bob1.address, bob2.address, carol.address];
    const sentFromStores = await sealedSenderMultiRecipientEncrypt({ content, recipients: addresses, excludedRecipients: [X], identityStore: alice.store, sessionStore: alice.store });
    const parsed = SealedSenderMultiRecipientMessage.parse(sentFromStores);
    expect(parsed.recipients().get(A)!.devices).toEqual([{ deviceId: 1, registrationId: 111 }, { deviceId: 2, registrationId: 222 }]);
    expect(parsed.recipients().get(B)!.devices).toEqual([{ deviceId: 5, registrationId: carol.registrationId }]);
    const stores = { sessionStore: bob2.store, identityStore: bob2.store, preKeyStore: bob2.store, signedPreKeyStore: bob2.store, kyberPreKeyStore: bob2.store };
    const res = await sealedSenderDecryptMessage(parsed.messageForRecipient(A), root, Date.now(), null, A, 2, stores);
    expect(dec.decode(res.plaintext)).toBe('only for bob 2');
    expect(res.senderUuid).toBe(SENDER);

    const encrypt = (recipientsList: ProtocolAddress[], excluded: string[] = []) =>
      sealedSenderMultiRecipientEncrypt({ content, recipients: recipientsList, excludedRecipients: excluded, identityStore: alice.store, sessionStore: alice.store });
    await expect(encrypt([new ProtocolAddress(B, 6)])).rejects.toThrow(NoSession);
    await expect(encrypt([bob1.address], [A])).rejects.toThrow(InvalidArgument);
    await expect(encrypt([bob1.address], [X, X])).rejects.toThrow(InvalidArgument);
    await expect(encrypt([bob1.address], ['not-a-service-id'])).rejects.toThrow(InvalidArgument);
    // A changed identity, not approved yet, is not sealed for.
    await alice.store.saveIdentity(carol.address, IdentityKeyPair.generate().publicKey);
    await expect(encrypt([carol.address])).rejects.toThrow(UntrustedIdentity);
    // Address names must be service ids; device ids must fit 1..127.
    const named = new ParleyDevice('bob', 1);
    await processPreKeyBundle(await named.bundle(), named.address, alice.store, alice.store);
    await expect(encrypt([named.address])).rejects.toThrow(InvalidArgument);
    const big = new ParleyDevice(B, 128);
    await processPreKeyBundle(await big.bundle(), big.address, alice.store, alice.store);
    await expect(encrypt([big.address])).rejects.toThrow(InvalidArgument);
    // A session whose registration id needs more than 14 bits (libsignal: InvalidRegistrationId).
    const wide = new ParleyDevice(X, 1, { keyPair: IdentityKeyPair.generate(), registrationId: 0x4000 });
    await processPreKeyBundle(await wide.bundle(), wide.address, alice.store, alice.store);
    await expect(encrypt([wide.address])).rejects.toThrow(InvalidState);
  });

  it('seal refuses what the server would refuse', () => {
    const one = recipients[1]!;
    const seal = (r: SealedSenderV2Recipient[], x: string[] = []) => () => sealedSenderMultiRecipientSeal(usmc, r, x, sender);
    expect(seal([{ ...one, devices: [] }])).toThrow(InvalidArgument);
    expect(seal([{ ...one, devices: [{ deviceId: 0, registrationId: 1 }] }])).toThrow(InvalidArgument);
    expect(seal([{ ...one, devices: [{ deviceId: 1, registrationId: 0x4000 }] }])).toThrow(InvalidArgument);
    expect(seal([{ ...one, devices: [{ deviceId: 1, registrationId: -1 }] }])).toThrow(InvalidArgument);
    expect(seal([one], [B.toUpperCase()])).toThrow(InvalidArgument);
    // Zero recipients is a valid (if useless) message, as in libsignal.
    expect(SealedSenderMultiRecipientMessage.parse(seal([], [X])()).excludedRecipients()).toEqual([X]);
  });
});

describe('sealed sender v2 sent-message parser (hand-made messages)', () => {
  const dev = (id: number, reg: number, more: boolean) => [id, ((more ? 0x80 : 0) | (reg >> 8)) & 0xff, reg & 0xff];
  const parse = (...parts: (Uint8Array | number[])[]) => SealedSenderMultiRecipientMessage.parse(cat(...parts));

  it('reads 0x23 and the original ACI-only 0x22; the split is 0x22 ‖ C ‖ AT ‖ shared', () => {
    const m = parse([0x23, 2], sid(A), dev(1, 5, true), dev(9, 0x3fff, false), keyMaterial(1), sid(P), [0], shared);
    expect(m.recipients().get(A)!.devices).toEqual([{ deviceId: 1, registrationId: 5 }, { deviceId: 9, registrationId: 0x3fff }]);
    expect(m.excludedRecipients()).toEqual([P]);
    expect(m.messageForRecipient(A)).toEqual(cat([0x22], keyMaterial(1), shared));
    const uuidOnly = parse([0x22, 1], sid(B).subarray(1), dev(2, 3, false), keyMaterial(2), shared);
    expect([...uuidOnly.recipients().keys()]).toEqual([B]);
    expect(uuidOnly.messageForRecipient(B)).toEqual(cat([0x22], keyMaterial(2), shared));
  });

  it('a recipient in two entries gets its devices merged and keeps the first C ‖ AT; the unused bit is ignored, as libsignal', () => {
    const m = parse([0x23, 2], sid(A), dev(1, 5, false), keyMaterial(1), sid(A), [2, 0x40, 7], keyMaterial(2), shared);
    expect(m.recipients().get(A)!.devices).toEqual([{ deviceId: 1, registrationId: 5 }, { deviceId: 2, registrationId: 7 }]);
    expect(m.messageForRecipient(A)).toEqual(cat([0x22], keyMaterial(1), shared));
  });

  it('refuses each malformation with InvalidSealedSender', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['v1 version byte', cat([0x11, 0], shared)],
      ['0x24', cat([0x24, 0], shared)],
      ['truncated count', cat([0x23, 0x80])],
      ['non-minimal count', cat([0x23, 0x80, 0x00], shared)],
      ['count above 2^32 - 1', cat([0x23, 0x80, 0x80, 0x80, 0x80, 0x10], shared)],
      ['count that cannot fit', cat([0x23, 0x7f], shared)],
      ['unknown service id kind', cat([0x23, 1], [2], sid(A).subarray(1), dev(1, 1, false), keyMaterial(1), shared)],
      ['device 0 after devices', cat([0x23, 1], sid(A), dev(1, 1, true), [0], keyMaterial(1), shared)],
      ['device 128', cat([0x23, 1], sid(A), dev(128, 1, false), keyMaterial(1), shared)],
      ['truncated key material', cat([0x23, 1], sid(A), dev(1, 1, false), keyMaterial(1).subarray(0, 40))],
      ['excluded, then present', cat([0x23, 2], sid(A), [0], sid(A), dev(1, 1, false), keyMaterial(1), shared)],
      ['present, then excluded', cat([0x23, 2], sid(A), dev(1, 1, false), keyMaterial(1), sid(A), [0], shared)],
      ['excluded twice', cat([0x23, 2], sid(A), [0], sid(A), [0], shared)],
      ['no room for E and the tag', cat([0x23, 0], new Uint8Array(47))],
      ['shared part above the received-message limit', cat([0x23, 0], new Uint8Array(256 * 1024))],
    ];
    for (const [what, bytes] of cases) expect(() => SealedSenderMultiRecipientMessage.parse(bytes), what).toThrow(InvalidSealedSender);
    expect(() => SealedSenderMultiRecipientMessage.parse(cat([0x23, 0], shared), 10)).toThrow(/above the limit/);
    // A count of 2^32 - 1 with a few bytes is refused before any loop runs.
    expect(() => SealedSenderMultiRecipientMessage.parse(cat([0x23, 0xff, 0xff, 0xff, 0xff, 0x0f], shared))).toThrow(/more than its/);
  });
});

describe('sealed sender v2 property tests', () => {
  it('random, truncated, extended and bit-flipped sent messages: the parser answers or throws InvalidSealedSender, nothing else', () => {
    const check = (b: Uint8Array) => {
      try {
        const m = SealedSenderMultiRecipientMessage.parse(b);
        for (const id of m.recipients().keys()) {
          const mine = m.messageForRecipient(id);
          expect(mine[0]).toBe(0x22);
          expect(mine.length).toBeGreaterThanOrEqual(1 + 48 + 32 + 16);
        }
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidSealedSender);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(0x22, 0x23), fc.nat(sent.length), fc.nat(sent.length * 8 - 1), (random, version, cut, bit) => {
        check(random);
        check(cat([version], random));
        check(sent.subarray(0, cut));
        check(cat(sent, random));
        const flipped = sent.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        check(flipped);
      }),
      { numRuns: 500 },
    );
  });

  it('any set of recipients and exclusions survives seal -> parse unchanged', () => {
    const uuid = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
      const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    });
    const serviceId = fc.tuple(fc.boolean(), uuid).map(([pni, u]) => (pni ? `PNI:${u}` : u));
    const device = fc.record({ deviceId: fc.integer({ min: 1, max: 127 }), registrationId: fc.integer({ min: 0, max: 0x3fff }) });
    const key = IdentityKeyPair.generate().publicKey;
    fc.assert(
      fc.property(fc.uniqueArray(serviceId, { maxLength: 12 }), fc.array(fc.array(device, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (accounts, deviceLists) => {
        const n = Math.min(accounts.length, deviceLists.length);
        const rs = accounts.slice(0, n).map((s, i) => ({ serviceId: s, identityKey: key, devices: deviceLists[i]! }));
        const excluded = accounts.slice(n);
        const m = SealedSenderMultiRecipientMessage.parse(sealedSenderMultiRecipientSeal(usmc, rs, excluded, sender));
        expect([...m.recipients()]).toEqual(rs.map((r) => [r.serviceId, { devices: r.devices }]));
        expect(m.excludedRecipients()).toEqual(excluded);
      }),
      { numRuns: 40 },
    );
  });

  it('random and mutated received messages: decryption throws only typed errors and changes no state', async () => {
    const alice = new ParleyDevice(SENDER);
    const bob = new ParleyDevice(A, 1);
    await processPreKeyBundle(await bob.bundle(), bob.address, alice.store, alice.store);
    const { root, cert: aliceCert } = certFor(alice.identity);
    const inner = await signalEncrypt(enc.encode('once'), bob.address, alice.store, alice.store);
    const content = UnidentifiedSenderMessageContent.create(inner.type, aliceCert, inner.serialize());
    const valid = SealedSenderMultiRecipientMessage.parse(
      await sealedSenderMultiRecipientEncrypt({ content, recipients: [bob.address], identityStore: alice.store, sessionStore: alice.store }),
    ).messageForRecipient(A);
    const stores = { sessionStore: bob.store, identityStore: bob.store, preKeyStore: bob.store, signedPreKeyStore: bob.store, kyberPreKeyStore: bob.store };
    const before = bob.store.exportState();
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0x20, max: 0x2f }), fc.nat(valid.length * 8 - 1), fc.nat(valid.length - 1), async (random, version, bit, cut) => {
        const flipped = valid.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const lowNibbleOnly = bit < 4; // the version byte's low nibble is not authenticated (as libsignal)
        for (const b of [random, cat([version], random), valid.subarray(0, cut), cat(valid, [random.length & 0xff], random.subarray(0, random.length >> 4)), flipped]) {
          if (b === flipped && lowNibbleOnly) continue;
          expect(() => sealedSenderDecryptToUsmc(b, bob.identity)).toThrow(ProtocolError);
          await expect(sealedSenderDecryptMessage(b, root, Date.now(), null, A, 1, stores)).rejects.toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 150 },
    );
    expect(bob.store.exportState()).toEqual(before);
    // The untouched message still opens afterwards.
    expect(dec.decode((await sealedSenderDecryptMessage(valid, root, Date.now(), null, A, 1, stores)).plaintext)).toBe('once');
  });
});

describe('service ids', () => {
  it('parse and print as libsignal (lower-case UUID; PNI: prefix; UUID case-insensitive)', () => {
    expect(ServiceId.parse(A.toUpperCase()).toString()).toBe(A);
    expect(ServiceId.parse(P).fixedWidthBinary()).toEqual(cat([1], hex(P.slice(4).replaceAll('-', ''))));
    expect(ServiceId.fromFixedWidthBinary(sid(A))!.toString()).toBe(A);
    for (const bad of ['', 'pni:' + A, 'ACI:' + A, A.replaceAll('-', ''), `{${A}}`, A + ' ']) expect(ServiceId.tryParse(bad)).toBeUndefined();
    expect(ServiceId.fromFixedWidthBinary(cat([2], sid(A).subarray(1)))).toBeUndefined();
  });
});
