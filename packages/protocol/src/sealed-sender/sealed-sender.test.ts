// Sealed sender Parley <-> Parley and decoder robustness (Node and Chromium).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PrivateKey } from '../curve.ts';
import { InvalidArgument, InvalidCertificate, InvalidSealedSender, ProtocolError } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { processPreKeyBundle } from '../session/session-builder.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { concatBytes, lengthDelimited, rewrite, splitFields, tag, varint } from '../test-support/proto-mutation.ts';
import { SENDER_CERTIFICATE } from '../test-support/wire-kinds.ts';
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
const DAY = 86_400_000;

function certFor(identity: IdentityKeyPair, uuid: string, device = 1) {
  const root = PrivateKey.generate();
  const server = PrivateKey.generate();
  const cert = SenderCertificate.create({
    senderUuid: uuid,
    senderDeviceId: device,
    identityKey: identity.publicKey,
    expiration: Date.now() + DAY,
    signer: ServerCertificate.create(1, server.publicKey(), root),
    signerKey: server,
  });
  return { root: root.publicKey(), cert };
}

describe('sealed sender (Parley <-> Parley)', () => {
  it('delivers a message whose sender only the recipient learns; rejects self-sends and forged certificates', async () => {
    const a = new ParleyDevice('a6f0c1de-1111-4e2a-9d3c-000000000001');
    const b = new ParleyDevice('b6f0c1de-2222-4e2a-9d3c-000000000002');
    await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
    const { root, cert } = certFor(a.identity, a.address.name);
    const stores = { sessionStore: b.store, identityStore: b.store, preKeyStore: b.store, signedPreKeyStore: b.store, kyberPreKeyStore: b.store };
    const sealed = await sealedSenderEncryptMessage(enc.encode('hello, sealed'), b.address, cert, a.store, a.store);
    // The envelope names no sender in the clear.
    expect(new TextDecoder('latin1').decode(sealed)).not.toContain(a.address.name);
    const res = await sealedSenderDecryptMessage(sealed, root, Date.now(), null, b.address.name, 1, stores);
    expect(res.senderUuid).toBe(a.address.name);
    expect(dec.decode(res.plaintext)).toBe('hello, sealed');
    // Wrong trust root: refused.
    const again = await sealedSenderEncryptMessage(enc.encode('x'), b.address, cert, a.store, a.store);
    // Wrong trust root: the certificate is at fault (InvalidCertificate, still an InvalidSealedSender).
    const e1 = await sealedSenderDecryptMessage(again, PrivateKey.generate().publicKey(), Date.now(), null, b.address.name, 1, stores).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(InvalidCertificate);
    expect(e1).toBeInstanceOf(InvalidSealedSender);
    expect((e1 as InvalidCertificate).code).toBe('INVALID_CERTIFICATE');
    // Self-send: refused.
    await expect(sealedSenderDecryptMessage(again, root, Date.now(), null, a.address.name, 1, stores)).rejects.toThrow(InvalidSealedSender);
    // A damaged envelope is the envelope's fault, not a certificate's.
    const damaged = again.slice();
    damaged[damaged.length - 1]! ^= 1;
    const e2 = await sealedSenderDecryptMessage(damaged, root, Date.now(), null, b.address.name, 1, stores).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(InvalidSealedSender);
    expect(e2).not.toBeInstanceOf(InvalidCertificate);
    expect((e2 as InvalidSealedSender).code).toBe('INVALID_SEALED_SENDER');
  });

  it('refuses a self-send recognised by e164, as libsignal does, and only on the same device id', async () => {
    const a = new ParleyDevice('a6f0c1de-1111-4e2a-9d3c-000000000003');
    const b = new ParleyDevice('b6f0c1de-2222-4e2a-9d3c-000000000004');
    await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
    const root = PrivateKey.generate();
    const server = PrivateKey.generate();
    const cert = SenderCertificate.create({
      senderUuid: a.address.name,
      senderE164: '+15550001111',
      senderDeviceId: 1,
      identityKey: a.identity.publicKey,
      expiration: Date.now() + DAY,
      signer: ServerCertificate.create(1, server.publicKey(), root),
      signerKey: server,
    });
    const sealed = await sealedSenderEncryptMessage(enc.encode('e164'), b.address, cert, a.store, a.store);
    const before = b.store.exportState();
    // Another uuid, the same e164 and device id: this device's own message.
    await expect(sealedSenderDecryptMessage(sealed, root.publicKey(), Date.now(), '+15550001111', b.address.name, 1, b.store)).rejects.toThrow(InvalidSealedSender);
    expect(b.store.exportState()).toEqual(before);
    // The same e164 on another device id is another device: delivered.
    const res = await sealedSenderDecryptMessage(sealed, root.publicKey(), Date.now(), '+15550001111', b.address.name, 2, b.store);
    expect(dec.decode(res.plaintext)).toBe('e164');
  });

  it('a certificate for another identity than the envelope key is refused', () => {
    const sender = IdentityKeyPair.generate();
    const recipient = IdentityKeyPair.generate();
    const { cert } = certFor(IdentityKeyPair.generate(), 'c0ffee00-0000-4000-8000-000000000000');
    const usmc = UnidentifiedSenderMessageContent.create('whisper', cert, new Uint8Array([1]));
    expect(() => sealedSenderDecryptToUsmc(sealedSenderEncrypt(usmc, recipient.publicKey, sender), recipient)).toThrow(InvalidSealedSender);
  });

  it('bit flips, truncations and random bytes give only typed errors', () => {
    const sender = IdentityKeyPair.generate();
    const recipient = IdentityKeyPair.generate();
    const { cert } = certFor(sender, 'c0ffee00-0000-4000-8000-000000000001');
    const sealed = sealedSenderEncrypt(UnidentifiedSenderMessageContent.create('prekey', cert, enc.encode('inner')), recipient.publicKey, sender);
    expect(dec.decode(sealedSenderDecryptToUsmc(sealed, recipient).contents)).toBe('inner');
    fc.assert(
      fc.property(fc.nat(sealed.length * 8 - 1), fc.nat(sealed.length - 1), (bit, cut) => {
        const flipped = sealed.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const b of [flipped, sealed.subarray(0, cut)]) {
          try {
            // A flip in the version byte's low nibble is not authenticated (as in libsignal) and opens fine.
            expect(dec.decode(sealedSenderDecryptToUsmc(b, recipient).contents)).toBe('inner');
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const f of [
          () => sealedSenderDecryptToUsmc(bytes, recipient),
          () => sealedSenderDecryptToUsmc(new Uint8Array([0x11, ...bytes]), recipient),
          () => SenderCertificate.deserialize(bytes),
          () => ServerCertificate.deserialize(bytes),
          () => UnidentifiedSenderMessageContent.deserialize(bytes),
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

describe('sender certificate oneofs (sender uuid 6|7, signer 5|8): the member that occurs last is set, as in libsignal', () => {
  const identity = IdentityKeyPair.generate();
  const { cert } = certFor(identity, '9d0652a3-dcc3-4d11-975f-74d61598733f');
  /** The certificate with `extra` fields appended inside its signed part (deserialize does not check the signature). */
  const withInner = (...extra: Uint8Array[]) =>
    rewrite(cert.serialize(), SENDER_CERTIFICATE, [splitFields(cert.serialize()).findIndex((f) => f.no === 1)], (fields) => [...fields.map((f) => f.raw), ...extra]);
  const uuidBytes = (n: number) => lengthDelimited(7, new Uint8Array(n).fill(0xab));

  it('uuid_string then uuid_bytes: the bytes are the uuid', () => {
    expect(SenderCertificate.deserialize(withInner(uuidBytes(16))).senderUuid).toBe('abababab-abab-abab-abab-abababababab');
    // libsignal: "protobuf encoding was invalid" (Uuid::from_slice); Parley used to keep the string.
    expect(() => SenderCertificate.deserialize(withInner(uuidBytes(15)))).toThrow(InvalidSealedSender);
    expect(SenderCertificate.deserialize(withInner(uuidBytes(16), lengthDelimited(6, enc.encode('later')))).senderUuid).toBe('later');
  });

  it('an embedded signer followed by a signer id refers to the id (unknown here: rejected); the other order embeds', () => {
    expect(() => SenderCertificate.deserialize(withInner(concatBytes(tag(8, 0), varint(42))))).toThrow(/unknown server certificate id 42/);
    const inner = splitFields(splitFields(cert.serialize()).find((f) => f.no === 1)!.payload!);
    const signer = inner.find((f) => f.no === 5)!;
    const idThenEmbedded = rewrite(cert.serialize(), SENDER_CERTIFICATE, [0], (fields) => [
      ...fields.filter((f) => f.no !== 5).map((f) => f.raw),
      concatBytes(tag(8, 0), varint(42)),
      signer.raw,
    ]);
    expect(SenderCertificate.deserialize(idThenEmbedded).signer.keyId).toBe(1);
  });
});

describe('sender certificate device ids: 1..127, as libsignal\'s DeviceId', () => {
  const identity = IdentityKeyPair.generate();
  const { cert } = certFor(identity, '9d0652a3-dcc3-4d11-975f-74d61598733f');
  const withDevice = (device: bigint) =>
    rewrite(cert.serialize(), SENDER_CERTIFICATE, [0], (fields) => [...fields.map((f) => f.raw), concatBytes(tag(2, 0), varint(device))]);

  it('parsing refuses 0 and 128 and keeps the low 32 bits of a longer varint, as libsignal', () => {
    expect(SenderCertificate.deserialize(withDevice(127n)).senderDeviceId).toBe(127);
    expect(SenderCertificate.deserialize(withDevice((1n << 32n) + 5n)).senderDeviceId).toBe(5);
    expect(() => SenderCertificate.deserialize(withDevice(0n))).toThrow(InvalidCertificate);
    expect(() => SenderCertificate.deserialize(withDevice(128n))).toThrow(InvalidSealedSender);
  });

  it('creating one refuses them too', () => {
    expect(() => certFor(identity, 'u', 0)).toThrow(InvalidArgument);
    expect(() => certFor(identity, 'u', 128)).toThrow(InvalidArgument);
  });
});
