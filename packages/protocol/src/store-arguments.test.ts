// The store calling convention (store-arguments.ts): every function taking stores gives
// the same bytes called as libsignal does, with one stores object, and with one
// all-in-one store; a missing or wrong store is a MissingStore naming it. Node and Chromium.
import { describe, expect, it } from 'vitest';
import { backend } from '#backend';
import { ProtocolAddress } from './address.ts';
import { PrivateKey } from './curve.ts';
import { InvalidArgument, MissingStore, type StoreName } from './errors.ts';
import { IdentityKeyPair } from './identity-key.ts';
import { SenderCertificate, ServerCertificate } from './sealed-sender/certificates.ts';
import { sealedSenderMultiRecipientEncrypt } from './sealed-sender/multi-recipient.ts';
import { sealedSenderDecryptMessage, sealedSenderDecryptToUsmc, sealedSenderEncrypt, sealedSenderEncryptMessage, UnidentifiedSenderMessageContent } from './sealed-sender/sealed-sender.ts';
import { createSenderKeyDistributionMessage, groupDecrypt, groupEncrypt, processSenderKeyDistributionMessage } from './sender-key/group-cipher.ts';
import { SenderKeyDistributionMessage } from './sender-key/messages.ts';
import { InMemorySenderKeyStore } from './sender-key/store.ts';
import { PreKeySignalMessage, SignalMessage } from './session/messages.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './session/prekeys.ts';
import { processPreKeyBundle } from './session/session-builder.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from './session/session-cipher.ts';
import { InMemoryProtocolStore } from './session/stores.ts';
import { seededRandom } from './test-support/parley-device.ts';

const enc = new TextEncoder();
const T0 = 1_767_000_000_000;
const DAY = 86_400_000;
const ALICE = new ProtocolAddress('a6f0c1de-1111-4e2a-9d3c-000000000001', 1);
const BOB = new ProtocolAddress('b6f0c1de-2222-4e2a-9d3c-000000000002', 1);
const GROUP = 'd1b2c3d4-0000-4000-8000-00000000000a';

/**
 * Runs `fn` with the backend's randomness replaced by a seeded generator (the test's
 * deterministic randomness: every random byte, key pair and signature nonce the
 * protocol draws comes through these three entries), and puts the real ones back after.
 */
async function withSeed<T>(seed: number, fn: () => Promise<T>): Promise<T> {
  const saved = { randomBytes: backend.randomBytes, x25519Generate: backend.x25519Generate, ed25519Generate: backend.ed25519Generate };
  const next = seededRandom(seed);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
  const mutable = backend as { -readonly [K in keyof typeof backend]: (typeof backend)[K] };
  mutable.randomBytes = bytes;
  mutable.x25519Generate = () => {
    const privateKey = bytes(32);
    privateKey[0]! &= 248;
    privateKey[31]! &= 127;
    privateKey[31]! |= 64;
    return { privateKey, publicKey: backend.x25519PublicFromPrivate(privateKey) };
  };
  mutable.ed25519Generate = undefined;
  try {
    return await fn();
  } finally {
    Object.assign(mutable, saved);
  }
}

type Form = 'positional' | 'stores' | 'all-in-one';

/** An all-in-one store: the in-memory store's methods, without its `...Store` properties. */
function allInOne(store: InMemoryProtocolStore): object {
  return Object.fromEntries(Object.entries(store).filter(([k]) => !k.endsWith('Store')));
}

/** Every store-taking function once, called in `form`; returns every byte it produced and the stores' final state. */
async function scenario(form: Form): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const alice = new InMemoryProtocolStore(IdentityKeyPair.generate(), 1001);
  const bob = new InMemoryProtocolStore(IdentityKeyPair.generate(), 2002);
  const aliceGroups = new InMemorySenderKeyStore();
  const bobGroups = new InMemorySenderKeyStore();
  const as = (s: InMemoryProtocolStore) => (form === 'all-in-one' ? allInOne(s) : s) as InMemoryProtocolStore;
  const groups = (s: InMemorySenderKeyStore) => (form === 'positional' ? s : { senderKeyStore: s });

  const bobIdentity = await bob.getIdentityKeyPair();
  const signed = SignedPreKeyRecord.generate(7, bobIdentity, T0);
  const kyber = KyberPreKeyRecord.generate(8, bobIdentity, T0);
  const oneTime = PreKeyRecord.generate(9);
  await bob.saveSignedPreKey(7, signed);
  await bob.saveKyberPreKey(8, kyber, true);
  await bob.savePreKey(9, oneTime);
  const bundle = {
    registrationId: 2002,
    deviceId: 1,
    preKeyId: 9,
    preKey: oneTime.publicKey,
    signedPreKeyId: 7,
    signedPreKey: signed.publicKey,
    signedPreKeySignature: signed.signature,
    kyberPreKeyId: 8,
    kyberPreKey: kyber.publicKey,
    kyberPreKeySignature: kyber.signature,
    identityKey: bobIdentity.publicKey,
  };

  if (form === 'positional') await processPreKeyBundle(bundle, BOB, alice, alice, T0);
  else await processPreKeyBundle(bundle, BOB, as(alice), T0);

  const first = form === 'positional' ? await signalEncrypt(enc.encode('one'), BOB, alice, alice, T0) : await signalEncrypt(enc.encode('one'), BOB, as(alice), T0);
  out.push(first.serialize());
  const pre = PreKeySignalMessage.deserialize(first.serialize());
  out.push(form === 'positional' ? await signalDecryptPreKey(pre, ALICE, bob, bob, bob, bob, bob) : await signalDecryptPreKey(pre, ALICE, as(bob)));

  const reply = form === 'positional' ? await signalEncrypt(enc.encode('two'), ALICE, bob, bob, T0) : await signalEncrypt(enc.encode('two'), ALICE, as(bob), T0);
  out.push(reply.serialize());
  const whisper = SignalMessage.deserialize(reply.serialize());
  out.push(form === 'positional' ? await signalDecrypt(whisper, BOB, alice, alice) : await signalDecrypt(whisper, BOB, as(alice)));

  const root = PrivateKey.generate();
  const server = PrivateKey.generate();
  const cert = SenderCertificate.create({
    senderUuid: ALICE.name,
    senderDeviceId: 1,
    identityKey: (await alice.getIdentityKeyPair()).publicKey,
    expiration: T0 + DAY,
    signer: ServerCertificate.create(1, server.publicKey(), root),
    signerKey: server,
  });
  const sealed =
    form === 'positional'
      ? await sealedSenderEncryptMessage(enc.encode('three'), BOB, cert, alice, alice, T0)
      : await sealedSenderEncryptMessage(enc.encode('three'), BOB, cert, as(alice), T0);
  out.push(sealed);
  const opened =
    form === 'positional'
      ? await sealedSenderDecryptMessage(sealed, root.publicKey(), T0, null, BOB.name, 1, bob, bob, bob, bob, bob)
      : await sealedSenderDecryptMessage(sealed, root.publicKey(), T0, null, BOB.name, 1, as(bob));
  out.push(opened.plaintext, enc.encode(opened.senderUuid));

  const usmc = UnidentifiedSenderMessageContent.create('sender-key', cert, enc.encode('four'), 1);
  out.push(
    form === 'positional'
      ? await sealedSenderMultiRecipientEncrypt(usmc, [BOB], alice, alice)
      : await sealedSenderMultiRecipientEncrypt(usmc, [BOB], as(alice)),
    await sealedSenderMultiRecipientEncrypt({ content: usmc, recipients: [BOB], identityStore: alice, sessionStore: alice }),
  );

  // The key-taking sealers also take libsignal's identity store (then async); the key forms stay.
  const v1Content = UnidentifiedSenderMessageContent.create('whisper', cert, enc.encode('six'));
  const identityOf = (s: InMemoryProtocolStore) => (form === 'positional' ? s : form === 'stores' ? { identityStore: s.identityStore } : as(s));
  const v1 = await sealedSenderEncrypt(v1Content, BOB, identityOf(alice));
  out.push(v1, sealedSenderEncrypt(v1Content, bobIdentity.publicKey, await alice.getIdentityKeyPair()));
  out.push((await sealedSenderDecryptToUsmc(v1, identityOf(bob))).serialize(), sealedSenderDecryptToUsmc(v1, bobIdentity).serialize());

  const skdm = form === 'positional' ? await createSenderKeyDistributionMessage(ALICE, GROUP, aliceGroups) : await createSenderKeyDistributionMessage(ALICE, GROUP, groups(aliceGroups));
  out.push(skdm.serialize());
  const received = SenderKeyDistributionMessage.deserialize(skdm.serialize());
  if (form === 'positional') await processSenderKeyDistributionMessage(ALICE, received, bobGroups);
  else await processSenderKeyDistributionMessage(ALICE, received, groups(bobGroups));
  const group = form === 'positional' ? await groupEncrypt(ALICE, GROUP, aliceGroups, enc.encode('five')) : await groupEncrypt(ALICE, GROUP, groups(aliceGroups), enc.encode('five'));
  out.push(group.serialize());
  out.push(form === 'positional' ? await groupDecrypt(ALICE, bobGroups, group.serialize()) : await groupDecrypt(ALICE, groups(bobGroups), group.serialize()));

  out.push(alice.exportState(), bob.exportState());
  for (const [s, who] of [
    [aliceGroups, ALICE],
    [bobGroups, ALICE],
  ] as const) {
    out.push((await s.loadSenderKey(who, GROUP))!.serialize());
  }
  return out;
}

describe('store arguments: one calling convention', () => {
  it('gives the same bytes called as libsignal does, with one stores object, and with one all-in-one store', async () => {
    for (const seed of [1, 0x5eed]) {
      const positional = await withSeed(seed, () => scenario('positional'));
      const stores = await withSeed(seed, () => scenario('stores'));
      const allInOneStore = await withSeed(seed, () => scenario('all-in-one'));
      expect(stores).toEqual(positional);
      expect(allInOneStore).toEqual(positional);
      // The seed really decides the bytes (the comparison above could not pass by chance).
      const other = await withSeed(seed + 1, () => scenario('positional'));
      expect(other[0]).not.toEqual(positional[0]);
    }
  });

  it('names a missing or wrong store in a MissingStore (an InvalidArgument) and touches no store', async () => {
    const alice = new InMemoryProtocolStore(IdentityKeyPair.generate(), 1);
    const sessionOnly = { loadSession: alice.loadSession, storeSession: alice.storeSession };
    const plaintext = enc.encode('x');
    const cases: [StoreName, () => Promise<unknown>][] = [
      ['identityStore', () => signalEncrypt(plaintext, BOB, { sessionStore: alice.sessionStore } as never, T0)],
      ['identityStore', () => signalEncrypt(plaintext, BOB, sessionOnly as never, undefined as never, T0)],
      ['sessionStore', () => signalEncrypt(plaintext, BOB, undefined as never, alice, T0)],
      ['sessionStore', () => signalEncrypt(plaintext, BOB, { sessionStore: {} } as never, T0)],
      ['identityStore', () => signalDecrypt({} as SignalMessage, BOB, { sessionStore: alice.sessionStore } as never)],
      ['kyberPreKeyStore', () => signalDecryptPreKey({} as PreKeySignalMessage, BOB, alice, alice, alice, alice, {} as never)],
      ['preKeyStore', () => signalDecryptPreKey({} as PreKeySignalMessage, BOB, { sessionStore: alice, identityStore: alice } as never)],
      ['identityStore', () => processPreKeyBundle({} as never, BOB, { sessionStore: alice } as never)],
      ['sessionStore', () => sealedSenderEncryptMessage(plaintext, BOB, {} as SenderCertificate, { identityStore: alice } as never)],
      ['signedPreKeyStore', () => sealedSenderDecryptMessage(new Uint8Array(), PrivateKey.generate().publicKey(), T0, null, 'u', 1, { ...allInOne(alice), getSignedPreKey: undefined } as never)],
      ['sessionStore', () => sealedSenderMultiRecipientEncrypt({ content: {} as never, recipients: [], identityStore: alice } as never)],
      ['sessionStore', () => sealedSenderMultiRecipientEncrypt({} as never, [], { identityStore: alice } as never)],
      ['identityStore', () => sealedSenderEncrypt({} as UnidentifiedSenderMessageContent, BOB, { sessionStore: alice } as never)],
      ['identityStore', async () => sealedSenderDecryptToUsmc(plaintext, {} as never)],
      ['senderKeyStore', () => groupEncrypt(ALICE, GROUP, alice as never, plaintext)],
      ['senderKeyStore', () => groupDecrypt(ALICE, undefined as never, plaintext)],
      ['senderKeyStore', () => createSenderKeyDistributionMessage(ALICE, GROUP, { senderKeyStore: alice } as never)],
      ['senderKeyStore', () => processSenderKeyDistributionMessage(ALICE, {} as SenderKeyDistributionMessage, {} as never)],
    ];
    const before = alice.exportState();
    for (const [store, call] of cases) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, store).toBeInstanceOf(MissingStore);
      expect(error).toBeInstanceOf(InvalidArgument);
      expect((error as MissingStore).store).toBe(store);
      expect((error as MissingStore).message).toContain(store);
      // The message says how to call it: both forms.
      expect((error as MissingStore).message).toMatch(/pass the stores as .* or /);
    }
    expect(alice.exportState()).toEqual(before);
  });

  it('refuses a clock that is not a time, and takes a Date as libsignal does', async () => {
    const alice = new InMemoryProtocolStore(IdentityKeyPair.generate(), 1);
    await expect(signalEncrypt(enc.encode('x'), BOB, alice, '2026' as never)).rejects.toBeInstanceOf(InvalidArgument);
    // A Date passes the clock check; the call then fails for the want of a session, as it should.
    await expect(signalEncrypt(enc.encode('x'), BOB, alice, new Date(T0) as never)).rejects.toMatchObject({ name: 'NoSession' });
  });
});
