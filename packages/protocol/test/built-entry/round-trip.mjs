// Run by built-entry.test.ts with plain Node (no TypeScript loader) against the built
// package: a PQXDH session both ways, then a sealed-sender message, through the
// public entry only. Prints one JSON line with what arrived.
import {
  IdentityKeyPair,
  InMemoryProtocolStore,
  KyberPreKeyRecord,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  processPreKeyBundle,
  ProtocolAddress,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
  SenderCertificate,
  ServerCertificate,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  SignalMessage,
  SignedPreKeyRecord,
} from '@parley/protocol';

const enc = new TextEncoder();
const dec = new TextDecoder();
const now = Date.now();
const aliceAddress = new ProtocolAddress('a6f0c1de-1111-4e2a-9d3c-000000000001', 1);
const bobAddress = new ProtocolAddress('b6f0c1de-2222-4e2a-9d3c-000000000002', 1);
const alice = new InMemoryProtocolStore(IdentityKeyPair.generate(), 101);
const bobIdentity = IdentityKeyPair.generate();
const bob = new InMemoryProtocolStore(bobIdentity, 202);

const signed = SignedPreKeyRecord.generate(1, bobIdentity, now);
const kyber = KyberPreKeyRecord.generate(1, bobIdentity, now);
const oneTime = PreKeyRecord.generate(1);
await bob.saveSignedPreKey(1, signed);
await bob.saveKyberPreKey(1, kyber, true);
await bob.savePreKey(1, oneTime);
await processPreKeyBundle(
  {
    registrationId: 202,
    deviceId: 1,
    preKeyId: 1,
    preKey: oneTime.publicKey,
    signedPreKeyId: 1,
    signedPreKey: signed.publicKey,
    signedPreKeySignature: signed.signature,
    kyberPreKeyId: 1,
    kyberPreKey: kyber.publicKey,
    kyberPreKeySignature: kyber.signature,
    identityKey: bobIdentity.publicKey,
  },
  bobAddress,
  alice,
  alice,
  now,
);

const first = await signalEncrypt(enc.encode('hello bob'), bobAddress, alice, alice, now);
const atBob = await signalDecryptPreKey(PreKeySignalMessage.deserialize(first.serialize()), aliceAddress, bob, bob, bob, bob, bob);
// The stores-object form, as the README's rule says.
const reply = await signalEncrypt(enc.encode('hello alice'), aliceAddress, bob, now);
const atAlice = await signalDecrypt(SignalMessage.deserialize(reply.serialize()), bobAddress, alice);

const root = PrivateKey.generate();
const server = PrivateKey.generate();
const certificate = SenderCertificate.create({
  senderUuid: aliceAddress.name,
  senderDeviceId: 1,
  identityKey: alice.identityStore.identity.publicKey,
  expiration: now + 86_400_000,
  signer: ServerCertificate.create(1, server.publicKey(), root),
  signerKey: server,
});
const sealed = await sealedSenderEncryptMessage(enc.encode('sealed hello'), bobAddress, certificate, alice, now);
const opened = await sealedSenderDecryptMessage(sealed, root.publicKey(), now, null, bobAddress.name, 1, bob);

console.log(
  JSON.stringify({
    types: [first.type, reply.type],
    atBob: dec.decode(atBob),
    atAlice: dec.decode(atAlice),
    sealedFrom: opened.senderUuid,
    sealed: dec.decode(opened.plaintext),
  }),
);
