/**
 * Test helper (portable): one valid sample of every kind of bytes the protocol
 * package decodes, built and decoded through the package's public exports only,
 * each with the schema libsignal 0.90's .proto files give it (wire.proto,
 * sealed_sender.proto, fingerprint.proto, storage.proto) and the typed error its
 * decoder must throw for malformed protobuf. Used by the strictness property
 * tests and, with libsignal-client as the oracle, by the interop tests.
 */
import * as P from '../index.ts';
import { toHex } from '../internal/bytes.ts';
import { ParleyDevice } from './parley-device.ts';
import type { Nested, Schema } from './proto-mutation.ts';

// wire.proto
export const SIGNAL_MESSAGE: Nested = { schema: { 1: 2, 2: 0, 3: 0, 4: 2, 5: 2 }, head: 1, tail: 8 };
export const PREKEY_SIGNAL_MESSAGE: Nested = {
  schema: { 1: 0, 2: 2, 3: 2, 4: SIGNAL_MESSAGE, 5: 0, 6: 0, 7: 0, 8: 2 },
  head: 1,
};
export const SENDER_KEY_MESSAGE: Nested = { schema: { 1: 2, 2: 0, 3: 0, 4: 2 }, head: 1, tail: 64 };
export const SENDER_KEY_DISTRIBUTION_MESSAGE: Nested = { schema: { 1: 2, 2: 0, 3: 0, 4: 2, 5: 2 }, head: 1 };

// sealed_sender.proto
export const SERVER_CERTIFICATE: Nested = { schema: { 1: { schema: { 1: 0, 2: 2 } }, 2: 2 } };
export const SENDER_CERTIFICATE: Nested = {
  schema: {
    1: { schema: { 1: 2, 2: 0, 3: 1, 4: 2, 5: SERVER_CERTIFICATE, 6: 2, 7: 2, 8: 0 } },
    2: 2,
  },
};
export const UNIDENTIFIED_SENDER_MESSAGE_CONTENT: Nested = { schema: { 1: 0, 2: SENDER_CERTIFICATE, 3: 2, 4: 0, 5: 2 } };
export const SEALED_SENDER_V1: Nested = { schema: { 1: 2, 2: 2, 3: 2 }, head: 1 };

// fingerprint.proto
const LOGICAL_FINGERPRINT: Nested = { schema: { 1: 2 }, merge: true };
export const COMBINED_FINGERPRINTS: Nested = { schema: { 1: 0, 2: LOGICAL_FINGERPRINT, 3: LOGICAL_FINGERPRINT } };

// storage.proto
const CHAIN: Nested = {
  schema: { 1: 2, 2: 2, 3: { schema: { 1: 0, 2: 2 }, merge: true }, 4: { schema: { 1: 0, 2: 2, 3: 2, 4: 2, 5: 2 } } },
};
const SESSION_STRUCTURE: Schema = {
  1: 0,
  2: 2,
  3: 2,
  4: 2,
  5: 0,
  6: { ...CHAIN, merge: true },
  7: CHAIN,
  9: { schema: { 1: 0, 2: 2, 3: 0, 4: 0 }, merge: true },
  10: 0,
  11: 0,
  13: 2,
  14: { schema: { 1: 0, 2: 2 }, merge: true },
  15: 2,
};
/** previous_sessions (2) are bytes in storage.proto: decoded only when used, by libsignal too. */
export const RECORD_STRUCTURE: Nested = { schema: { 1: { schema: SESSION_STRUCTURE, merge: true }, 2: 2 } };
// spqr 1.5.3 pq_ratchet.proto (the SPQR state in field 15 of SessionStructure), written out
// from the .proto independently of the codec's own table: every message a stored state can
// hold, so every field of every one is probed whatever the state's kind.
const PQ_AUTH: Nested = { schema: { 1: 2, 2: 2 }, merge: true };
const PQ_ENC: Nested = { schema: { 1: 0, 2: 2, 3: 2 }, merge: true };
const PQ_DEC: Nested = { schema: { 1: 0, 2: 0, 3: 2, 4: 0 }, merge: true };
const PQ_UC0: Nested = { schema: { 1: 0, 2: PQ_AUTH }, merge: true };
const PQ_UC1: Nested = { schema: { 1: 0, 2: PQ_AUTH, 3: 2 }, merge: true };
const PQ_UC2: Nested = { schema: { 1: 0, 2: PQ_AUTH, 3: 2, 4: 2 }, merge: true };
const PQ_UC3: Nested = { schema: { 1: 0, 2: PQ_AUTH, 3: 2, 4: 2, 5: 2 }, merge: true };
const PQ_V1: Nested = {
  schema: {
    1: { schema: { 1: PQ_UC0 }, merge: true },
    2: { schema: { 1: PQ_UC2, 2: PQ_ENC }, merge: true },
    3: { schema: { 1: PQ_UC1, 2: PQ_ENC, 3: PQ_DEC }, merge: true },
    4: { schema: { 1: PQ_UC2, 2: PQ_ENC }, merge: true },
    5: { schema: { 1: PQ_UC2, 3: PQ_DEC }, merge: true },
    6: { schema: { 1: PQ_UC0, 2: PQ_DEC }, merge: true },
    7: { schema: { 1: PQ_UC1, 2: PQ_DEC }, merge: true },
    8: { schema: { 1: PQ_UC3, 2: PQ_ENC, 3: PQ_DEC }, merge: true },
    9: { schema: { 1: PQ_UC3, 2: PQ_ENC }, merge: true },
    10: { schema: { 1: PQ_UC3, 2: PQ_DEC }, merge: true },
    11: { schema: { 1: PQ_UC0, 2: PQ_ENC }, merge: true },
  },
  merge: true,
};
const PQ_PARAMS: Nested = { schema: { 1: 0, 2: 0 }, merge: true };
const PQ_DIRECTION: Nested = { schema: { 1: 0, 2: 2, 3: 2 }, merge: true };
const PQ_CHAIN: Nested = { schema: { 1: 0, 2: 0, 3: { schema: { 1: PQ_DIRECTION, 2: PQ_DIRECTION } }, 4: 2, 5: 0, 6: PQ_PARAMS }, merge: true };
export const PQ_RATCHET_STATE: Nested = { schema: { 1: { schema: { 1: 2, 2: 0, 3: 0, 4: PQ_PARAMS }, merge: true }, 2: PQ_CHAIN, 3: PQ_V1 } };
export const PRE_KEY_RECORD: Nested = { schema: { 1: 0, 2: 2, 3: 2 } };
export const SIGNED_PRE_KEY_RECORD: Nested = { schema: { 1: 0, 2: 2, 3: 2, 4: 2, 5: 1 } };
export const IDENTITY_KEY_PAIR: Nested = { schema: { 1: 2, 2: 2 } };
/** SenderSigningKey field 3 is Parley's extension, unknown to libsignal, so not listed. */
export const SENDER_KEY_RECORD: Nested = {
  schema: {
    1: {
      schema: { 1: 0, 2: { schema: { 1: 0, 2: 2 }, merge: true }, 3: { schema: { 1: 2, 2: 2 }, merge: true }, 4: { schema: { 1: 0, 2: 2 } }, 5: 0 },
    },
  },
};

export type KindName =
  | 'SignalMessage'
  | 'PreKeySignalMessage'
  | 'SenderKeyMessage'
  | 'SenderKeyDistributionMessage'
  | 'sealed sender v1'
  | 'UnidentifiedSenderMessageContent'
  | 'SenderCertificate'
  | 'ServerCertificate'
  | 'ScannableFingerprint'
  | 'SessionRecord (new session)'
  | 'SessionRecord (skipped keys)'
  | 'SenderKeyRecord (own)'
  | 'SenderKeyRecord (received)'
  | 'PreKeyRecord'
  | 'SignedPreKeyRecord'
  | 'KyberPreKeyRecord'
  | 'IdentityKeyPair';

/** What decoding these bytes needs besides the bytes (for the libsignal oracle too). */
export interface KindContext {
  /** Sealed sender: the recipient's identity. */
  readonly recipient: P.IdentityKeyPair;
  /** Fingerprints: the two sides, compared from the recipient's view. */
  readonly fingerprint: {
    readonly localIdentifier: Uint8Array;
    readonly localKey: P.PublicKey;
    readonly remoteIdentifier: Uint8Array;
    readonly remoteKey: P.PublicKey;
  };
}

export interface Kind {
  readonly name: KindName;
  /** A valid sample, as it travels or is stored. */
  readonly bytes: Uint8Array;
  readonly spec: Nested;
  /** Decodes through the public API; returns a summary of what was read. */
  readonly decode: (bytes: Uint8Array) => unknown;
  /** The typed error for malformed protobuf. */
  readonly error: new (...args: never[]) => P.ProtocolError;
}

const enc = new TextEncoder();

/** libsignal's CiphertextMessageType numbers for the sealed content types. */
const CONTENT_TYPE_NUMBER = { whisper: 2, prekey: 3, 'sender-key': 7, plaintext: 8 } as const;

/** What both implementations show of a sealed sender's content. */
export function usmcSummary(m: P.UnidentifiedSenderMessageContent) {
  return {
    type: CONTENT_TYPE_NUMBER[m.type],
    contentHint: m.contentHint,
    groupId: m.groupId ? toHex(m.groupId) : null,
    contents: toHex(m.contents),
    sender: m.senderCertificate.senderUuid,
  };
}
const DISTRIBUTION = 'b1f0a6d2-8c1e-4e39-9a47-0e7d5c3b2a19';
const SENDER = '9d0652a3-dcc3-4d11-975f-74d61598733f';

/** Builds one valid sample of every kind (a few sessions; about a second in Node). */
export async function buildKinds(): Promise<{ kinds: Kind[]; context: KindContext }> {
  const alice = new ParleyDevice('alice');
  const bob = new ParleyDevice('bob');
  await P.processPreKeyBundle(await bob.bundle(), bob.address, alice.store, alice.store);
  const pendingRecord = (await alice.store.loadSession(bob.address))!.serialize();
  const first = await P.signalEncrypt(enc.encode('hello'), bob.address, alice.store, alice.store);
  if (first.type !== 'prekey') throw new Error('expected a prekey message');
  const prekeyBytes = first.serialize();
  await P.signalDecryptPreKey(P.PreKeySignalMessage.deserialize(prekeyBytes), alice.address, bob.store, bob.store, bob.store, bob.store, bob.store);
  // Bob answers three times; Alice reads only the last, so her chain keeps two skipped keys.
  let last: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 3; i++) last = (await P.signalEncrypt(enc.encode(`r${i}`), alice.address, bob.store, bob.store)).serialize();
  await P.signalDecrypt(P.SignalMessage.deserialize(last), bob.address, alice.store, alice.store);
  const skippedRecord = (await alice.store.loadSession(bob.address))!.serialize();

  const groupStore = new P.InMemorySenderKeyStore();
  const skdm = await P.createSenderKeyDistributionMessage(alice.address, DISTRIBUTION, groupStore);
  const ownSenderKey = (await groupStore.loadSenderKey(alice.address, DISTRIBUTION))!.serialize();
  const bobGroup = new P.InMemorySenderKeyStore();
  await P.processSenderKeyDistributionMessage(alice.address, P.SenderKeyDistributionMessage.deserialize(skdm.serialize()), bobGroup);
  let skm: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < 3; i++) skm = (await P.groupEncrypt(alice.address, DISTRIBUTION, groupStore, enc.encode(`g${i}`))).serialize();
  await P.groupDecrypt(alice.address, bobGroup, skm);
  const receivedSenderKey = (await bobGroup.loadSenderKey(alice.address, DISTRIBUTION))!.serialize();

  const root = P.PrivateKey.generate();
  const server = P.PrivateKey.generate();
  const serverCert = P.ServerCertificate.create(7, server.publicKey(), root);
  const senderCert = P.SenderCertificate.create({
    senderUuid: SENDER,
    senderE164: '+14155550100',
    senderDeviceId: 1,
    identityKey: alice.identity.publicKey,
    expiration: 1_900_000_000_000,
    signer: serverCert,
    signerKey: server,
  });
  const usmc = P.UnidentifiedSenderMessageContent.create('whisper', senderCert, enc.encode('content'), 1, new Uint8Array([1, 2, 3]));
  const sealed = P.sealedSenderEncrypt(usmc, bob.identity.publicKey, alice.identity);

  const context: KindContext = {
    recipient: bob.identity,
    fingerprint: {
      localIdentifier: enc.encode('bob'),
      localKey: bob.identity.publicKey,
      remoteIdentifier: enc.encode('alice'),
      remoteKey: alice.identity.publicKey,
    },
  };
  const ours = P.createFingerprint({ iterations: 2, ...context.fingerprint });
  const theirs = P.createFingerprint({
    iterations: 2,
    localIdentifier: context.fingerprint.remoteIdentifier,
    localKey: context.fingerprint.remoteKey,
    remoteIdentifier: context.fingerprint.localIdentifier,
    remoteKey: context.fingerprint.localKey,
  });

  const preKey = P.PreKeyRecord.generate(5);
  const signedPreKey = P.SignedPreKeyRecord.generate(6, bob.identity, 1_700_000_000_000);
  const kyberPreKey = P.KyberPreKeyRecord.generate(7, bob.identity, 1_700_000_000_000);

  const record = (b: Uint8Array) => {
    const r = P.SessionRecord.deserialize(b);
    return { remoteRegistrationId: r.remoteRegistrationId() };
  };
  // libsignal-client shows nothing of a sender-key record: the summary is only "accepted".
  const senderKeyRecord = (b: Uint8Array) => P.SenderKeyRecord.deserialize(b) !== undefined;
  const kinds: Kind[] = [
    {
      name: 'SignalMessage',
      bytes: last,
      spec: SIGNAL_MESSAGE,
      decode: (b) => {
        const m = P.SignalMessage.deserialize(b);
        return { counter: m.counter, body: toHex(m.ciphertext) };
      },
      error: P.InvalidMessage,
    },
    {
      name: 'PreKeySignalMessage',
      bytes: prekeyBytes,
      spec: PREKEY_SIGNAL_MESSAGE,
      decode: (b) => {
        const m = P.PreKeySignalMessage.deserialize(b);
        return { version: m.messageVersion, preKeyId: m.preKeyId ?? null, signedPreKeyId: m.signedPreKeyId, registrationId: m.registrationId };
      },
      error: P.InvalidMessage,
    },
    {
      name: 'SenderKeyMessage',
      bytes: skm,
      spec: SENDER_KEY_MESSAGE,
      decode: (b) => {
        const m = P.SenderKeyMessage.deserialize(b);
        return { distributionId: m.distributionId, chainId: m.chainId, iteration: m.iteration, ciphertext: toHex(m.ciphertext) };
      },
      error: P.InvalidMessage,
    },
    {
      name: 'SenderKeyDistributionMessage',
      bytes: skdm.serialize(),
      spec: SENDER_KEY_DISTRIBUTION_MESSAGE,
      decode: (b) => {
        const m = P.SenderKeyDistributionMessage.deserialize(b);
        return { distributionId: m.distributionId, chainId: m.chainId, iteration: m.iteration, chainKey: toHex(m.chainKey) };
      },
      error: P.InvalidMessage,
    },
    {
      name: 'sealed sender v1',
      bytes: sealed,
      spec: SEALED_SENDER_V1,
      decode: (b) => {
        return usmcSummary(P.sealedSenderDecryptToUsmc(b, context.recipient));
      },
      error: P.InvalidSealedSender,
    },
    {
      name: 'UnidentifiedSenderMessageContent',
      bytes: usmc.serialize(),
      spec: UNIDENTIFIED_SENDER_MESSAGE_CONTENT,
      decode: (b) => {
        return usmcSummary(P.UnidentifiedSenderMessageContent.deserialize(b));
      },
      error: P.InvalidSealedSender,
    },
    {
      name: 'SenderCertificate',
      bytes: senderCert.serialize(),
      spec: SENDER_CERTIFICATE,
      decode: (b) => {
        const c = P.SenderCertificate.deserialize(b);
        return { uuid: c.senderUuid, e164: c.senderE164 ?? null, device: c.senderDeviceId, expiration: c.expiration, signer: c.signer.keyId };
      },
      error: P.InvalidSealedSender,
    },
    {
      name: 'ServerCertificate',
      bytes: serverCert.serialize(),
      spec: SERVER_CERTIFICATE,
      decode: (b) => {
        const c = P.ServerCertificate.deserialize(b);
        return { keyId: c.keyId, key: toHex(c.key.serialize()) };
      },
      error: P.InvalidSealedSender,
    },
    {
      name: 'ScannableFingerprint',
      bytes: theirs.scannable.serialize(),
      spec: COMBINED_FINGERPRINTS,
      decode: (b) => ours.scannable.compare(b),
      error: P.InvalidMessage,
    },
    { name: 'SessionRecord (new session)', bytes: pendingRecord, spec: RECORD_STRUCTURE, decode: record, error: P.InvalidState },
    { name: 'SessionRecord (skipped keys)', bytes: skippedRecord, spec: RECORD_STRUCTURE, decode: record, error: P.InvalidState },
    { name: 'SenderKeyRecord (own)', bytes: ownSenderKey, spec: SENDER_KEY_RECORD, decode: senderKeyRecord, error: P.InvalidState },
    { name: 'SenderKeyRecord (received)', bytes: receivedSenderKey, spec: SENDER_KEY_RECORD, decode: senderKeyRecord, error: P.InvalidState },
    {
      name: 'PreKeyRecord',
      bytes: preKey.serialize(),
      spec: PRE_KEY_RECORD,
      decode: (b) => {
        const r = P.PreKeyRecord.deserialize(b);
        return { id: r.id, publicKey: toHex(r.publicKey.serialize()) };
      },
      error: P.InvalidState,
    },
    {
      name: 'SignedPreKeyRecord',
      bytes: signedPreKey.serialize(),
      spec: SIGNED_PRE_KEY_RECORD,
      decode: (b) => {
        const r = P.SignedPreKeyRecord.deserialize(b);
        return { id: r.id, timestamp: r.timestamp, publicKey: toHex(r.publicKey.serialize()), signature: toHex(r.signature) };
      },
      error: P.InvalidState,
    },
    {
      name: 'KyberPreKeyRecord',
      bytes: kyberPreKey.serialize(),
      spec: SIGNED_PRE_KEY_RECORD,
      decode: (b) => {
        const r = P.KyberPreKeyRecord.deserialize(b);
        return { id: r.id, timestamp: r.timestamp, signature: toHex(r.signature) };
      },
      error: P.InvalidState,
    },
    {
      name: 'IdentityKeyPair',
      bytes: bob.identity.serialize(),
      spec: IDENTITY_KEY_PAIR,
      decode: (b) => toHex(P.IdentityKeyPair.deserialize(b).publicKey.serialize()),
      error: P.InvalidKey,
    },
  ];
  return { kinds, context };
}
