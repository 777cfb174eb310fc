// Sealed sender v1 between Parley and libsignal-client 0.90, both directions:
// certificates, envelope (USMC) level and full messages over real sessions.
import { describe, expect, it } from 'vitest';
import * as SC from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../address.ts';
import { PrivateKey, PublicKey } from '../curve.ts';
import { InvalidCertificate, InvalidSealedSender } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { ab, LibsignalPeer } from '../test-support/libsignal-peer.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { SenderCertificate, ServerCertificate } from './certificates.ts';
import {
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  sealedSenderEncryptMessage,
  UnidentifiedSenderMessageContent,
} from './sealed-sender.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = 'e80f7bbe-5b94-471e-bd8c-2173654ea3d1';
const DAY = 86_400_000;

describe('sealed sender v1 with libsignal 0.90', () => {
  it('certificates issued by each side validate on the other; expiry, wrong root and forgery are caught', () => {
    const rootSC = SC.PrivateKey.generate();
    const serverSC = SC.PrivateKey.generate();
    const senderKey = SC.PrivateKey.generate().getPublicKey();
    const serverCertSC = SC.ServerCertificate.new(7, serverSC.getPublicKey(), rootSC);
    const certSC = SC.SenderCertificate.new(ALICE, '+14155550100', 3, senderKey, Date.now() + DAY, serverCertSC, serverSC);
    const parsed = SenderCertificate.deserialize(certSC.serialize());
    const root = PublicKey.deserialize(rootSC.getPublicKey().serialize());
    expect(parsed.senderUuid).toBe(ALICE);
    expect(parsed.senderE164).toBe('+14155550100');
    expect(parsed.senderDeviceId).toBe(3);
    expect(parsed.validate(root, Date.now())).toBe(true);
    expect(parsed.validate(root, Date.now() + 2 * DAY)).toBe(false);
    expect(parsed.validate(PrivateKey.generate().publicKey(), Date.now())).toBe(false);

    const ourRoot = PrivateKey.generate();
    const ourServer = PrivateKey.generate();
    const serverCert = ServerCertificate.create(9, ourServer.publicKey(), ourRoot);
    const cert = SenderCertificate.create({ senderUuid: BOB, senderDeviceId: 1, identityKey: PublicKey.deserialize(senderKey.serialize()), expiration: Date.now() + DAY, signer: serverCert, signerKey: ourServer });
    const theirs = SC.SenderCertificate.deserialize(ab(cert.serialize()));
    expect(theirs.senderUuid()).toBe(BOB);
    expect(theirs.validate(SC.PublicKey.deserialize(ab(ourRoot.publicKey().serialize())), Date.now())).toBe(true);
    // A server certificate signed by someone else fails.
    const rogue = ServerCertificate.create(9, ourServer.publicKey(), PrivateKey.generate());
    const rogueCert = SenderCertificate.create({ senderUuid: BOB, senderDeviceId: 1, identityKey: cert.identityKey, expiration: Date.now() + DAY, signer: rogue, signerKey: ourServer });
    expect(rogueCert.validate(ourRoot.publicKey(), Date.now())).toBe(false);
    // Revoked key id.
    const revoked = ServerCertificate.create(0xdeadc357, ourServer.publicKey(), ourRoot);
    expect(revoked.validate(ourRoot.publicKey())).toBe(false);
  });

  it('full messages over sessions, libsignal -> Parley and Parley -> libsignal', async () => {
    const rootSC = SC.PrivateKey.generate();
    const serverSC = SC.PrivateKey.generate();
    const serverCertSC = SC.ServerCertificate.new(1, serverSC.getPublicKey(), rootSC);
    const root = PublicKey.deserialize(rootSC.getPublicKey().serialize());

    const alice = new LibsignalPeer(ALICE); // libsignal
    const bob = new ParleyDevice(BOB); // Parley
    const bobSC = SC.ProtocolAddress.new(BOB, 1);
    const aliceP = new ProtocolAddress(ALICE, 1);
    const b = await bob.bundle();
    await SC.processPreKeyBundle(
      SC.PreKeyBundle.new(b.registrationId, 1, b.preKeyId!, SC.PublicKey.deserialize(ab(b.preKey!.serialize())), b.signedPreKeyId, SC.PublicKey.deserialize(ab(b.signedPreKey.serialize())), ab(b.signedPreKeySignature), SC.PublicKey.deserialize(ab(b.identityKey.serialize())), b.kyberPreKeyId, SC.KEMPublicKey.deserialize(ab(b.kyberPreKey.serialize())), ab(b.kyberPreKeySignature)),
      bobSC,
      alice.sessions,
      alice.identities,
    );
    const aliceCert = SC.SenderCertificate.new(ALICE, null, 1, alice.identityKey.getPublicKey(), Date.now() + DAY, serverCertSC, serverSC);
    const stores = { sessionStore: bob.store, identityStore: bob.store, preKeyStore: bob.store, signedPreKeyStore: bob.store, kyberPreKeyStore: bob.store };
    for (let i = 0; i < 5; i++) {
      const sealed = await SC.sealedSenderEncryptMessage(ab(enc.encode(`sealed ${i}`)), bobSC, aliceCert, alice.sessions, alice.identities);
      const res = await sealedSenderDecryptMessage(new Uint8Array(sealed), root, Date.now(), null, BOB, 1, stores);
      expect(res.senderUuid).toBe(ALICE);
      expect(res.senderDeviceId).toBe(1);
      expect(dec.decode(res.plaintext)).toBe(`sealed ${i}`);
    }
    // Parley answers sealed; libsignal opens it.
    const ourServer = PrivateKey.generate();
    const ourRoot = PrivateKey.generate();
    const bobCert = SenderCertificate.create({
      senderUuid: BOB,
      senderDeviceId: 1,
      identityKey: bob.identity.publicKey,
      expiration: Date.now() + DAY,
      signer: ServerCertificate.create(2, ourServer.publicKey(), ourRoot),
      signerKey: ourServer,
    });
    for (let i = 0; i < 5; i++) {
      const sealed = await sealedSenderEncryptMessage(enc.encode(`reply ${i}`), aliceP, bobCert, bob.store, bob.store);
      const res = await SC.sealedSenderDecryptMessage(
        ab(sealed),
        SC.PublicKey.deserialize(ab(ourRoot.publicKey().serialize())),
        Date.now(),
        null,
        ALICE,
        1,
        alice.sessions,
        alice.identities,
        alice.preKeys,
        alice.signedPreKeys,
        alice.kyberPreKeys,
      );
      expect(res.senderUuid()).toBe(BOB);
      expect(dec.decode(res.message())).toBe(`reply ${i}`);
    }
    // An expired certificate is refused and nothing is decrypted.
    const sealed = await SC.sealedSenderEncryptMessage(ab(enc.encode('late')), bobSC, aliceCert, alice.sessions, alice.identities);
    await expect(sealedSenderDecryptMessage(new Uint8Array(sealed), root, Date.now() + 2 * DAY, null, BOB, 1, stores)).rejects.toThrow(InvalidCertificate);
  });

  it('envelope level: libsignal opens ours and we open theirs; tampering is caught', async () => {
    const ourIdentity = IdentityKeyPair.generate();
    const peer = new LibsignalPeer('peer');
    const peerIdentity = PublicKey.deserialize(peer.identityKey.getPublicKey().serialize());
    const root = PrivateKey.generate();
    const server = PrivateKey.generate();
    const cert = SenderCertificate.create({ senderUuid: ALICE, senderDeviceId: 2, identityKey: ourIdentity.publicKey, expiration: Date.now() + DAY, signer: ServerCertificate.create(1, server.publicKey(), root), signerKey: server });
    const usmc = UnidentifiedSenderMessageContent.create('whisper', cert, enc.encode('opaque inner'), 2, new Uint8Array([1, 2, 3]));
    const sealed = sealedSenderEncrypt(usmc, peerIdentity, ourIdentity);
    const theirs = await SC.sealedSenderDecryptToUsmc(ab(sealed), peer.identities);
    expect(dec.decode(theirs.contents())).toBe('opaque inner');
    expect(theirs.msgType()).toBe(2);
    expect(theirs.senderCertificate().senderUuid()).toBe(ALICE);

    // The other way: libsignal seals for us.
    const ourAddr = SC.ProtocolAddress.new(BOB, 1);
    await peer.identities.saveIdentity(ourAddr, SC.PublicKey.deserialize(ab(ourIdentity.publicKey.serialize())));
    const peerCert = SC.SenderCertificate.new(
      'a8d2cbb5-02a9-4f5c-b1a8-1b8e0b4e0c6f',
      null,
      1,
      peer.identityKey.getPublicKey(),
      Date.now() + DAY,
      SC.ServerCertificate.new(1, SC.PrivateKey.generate().getPublicKey(), SC.PrivateKey.generate()),
      SC.PrivateKey.generate(),
    );
    const theirUsmc = SC.UnidentifiedSenderMessageContent.new(
      SC.CiphertextMessage.from(SC.PlaintextContent.deserialize(ab(new Uint8Array([0xc0, 0x0a, 0x00, 0x80])))),
      peerCert,
      1,
      null,
    );
    const theirSealed = new Uint8Array(await SC.sealedSenderEncrypt(theirUsmc, ourAddr, peer.identities));
    const opened = sealedSenderDecryptToUsmc(theirSealed, ourIdentity);
    expect(opened.type).toBe('plaintext');
    expect(opened.contentHint).toBe(1);
    for (const pos of [1, 40, theirSealed.length - 1]) {
      const bad = theirSealed.slice();
      bad[pos]! ^= 0x01;
      expect(() => sealedSenderDecryptToUsmc(bad, ourIdentity)).toThrow(InvalidSealedSender);
    }
    // Addressed to someone else: fails to open.
    expect(() => sealedSenderDecryptToUsmc(theirSealed, IdentityKeyPair.generate())).toThrow(InvalidSealedSender);
  });
});
