// Prekey bundles as JSON and libsignal-style callers write them, through the
// public exports: `null` for "no one-time prekey" is absent (as libsignal-client's
// PreKeyBundle.new treats it), never prekey id 0; a half-present one-time prekey
// or an id that is not a uint32 is a typed InvalidKey. Runs in Node and Chromium.
import { describe, expect, it } from 'vitest';
import * as P from '../index.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A bundle as a JSON decoder or a libsignal-style caller hands it over. */
type LooseBundle = Omit<P.PreKeyBundle, 'preKeyId' | 'preKey'> & { preKeyId?: unknown; preKey?: unknown };

function process(bundle: LooseBundle, to: ParleyDevice, from: ParleyDevice) {
  return P.processPreKeyBundle(bundle as P.PreKeyBundle, to.address, from.store, from.store);
}

describe('processPreKeyBundle: one-time prekey absent, null or malformed', () => {
  it('null id and key mean "no one-time prekey": nothing on the wire, and the responder decrypts', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const bundle = await bob.bundle(false);
    await process({ ...bundle, preKeyId: null, preKey: null }, bob, alice);
    const first = await P.signalEncrypt(enc.encode('hi'), bob.address, alice.store, alice.store);
    expect(first.type).toBe('prekey');
    const parsed = P.PreKeySignalMessage.deserialize(first.serialize());
    expect(parsed.preKeyId).toBeUndefined();
    const plaintext = await P.signalDecryptPreKey(parsed, alice.address, bob.store, bob.store, bob.store, bob.store, bob.store);
    expect(dec.decode(plaintext)).toBe('hi');
  });

  it('the id without the key, or the key without the id, is a typed InvalidKey (null or undefined alike)', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const bundle = await bob.bundle(true);
    for (const [preKeyId, preKey] of [
      [null, bundle.preKey],
      [undefined, bundle.preKey],
      [bundle.preKeyId, null],
      [bundle.preKeyId, undefined],
    ] as const) {
      await expect(process({ ...bundle, preKeyId, preKey }, bob, alice), `${preKeyId} / ${preKey ? 'key' : preKey}`).rejects.toThrow(P.InvalidKey);
    }
    expect(await alice.store.loadSession(bob.address)).toBeUndefined();
  });

  it('ids that are not uint32s are a typed InvalidKey, never coerced onto the wire', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const bundle = await bob.bundle(true);
    const bad: unknown[] = [-1, 1.5, 2 ** 32, Number.NaN, '5', 5n, {}];
    for (const v of bad) {
      await expect(process({ ...bundle, preKeyId: v, preKey: bundle.preKey }, bob, alice), `preKeyId ${String(v)}`).rejects.toThrow(P.InvalidKey);
      for (const field of ['signedPreKeyId', 'kyberPreKeyId', 'registrationId'] as const) {
        await expect(process({ ...bundle, [field]: v } as LooseBundle, bob, alice), `${field} ${String(v)}`).rejects.toThrow(P.InvalidKey);
      }
    }
    for (const field of ['signedPreKeyId', 'kyberPreKeyId', 'registrationId'] as const) {
      await expect(process({ ...bundle, [field]: null } as LooseBundle, bob, alice), `${field} null`).rejects.toThrow(P.InvalidKey);
    }
    expect(await alice.store.loadSession(bob.address)).toBeUndefined();
  });

  it('keys and signatures of the wrong type are a typed InvalidKey, not a TypeError', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const bundle = await bob.bundle(true);
    const raw = bundle.signedPreKey.serialize();
    for (const field of ['identityKey', 'signedPreKey', 'kyberPreKey', 'signedPreKeySignature', 'kyberPreKeySignature'] as const) {
      for (const v of [null, undefined, raw, 'key', 5]) {
        if (v === raw && field.endsWith('Signature')) continue; // bytes are the right type for a signature
        await expect(process({ ...bundle, [field]: v } as unknown as LooseBundle, bob, alice), `${field} ${String(v)}`).rejects.toThrow(P.InvalidKey);
      }
    }
    await expect(process({ ...bundle, preKey: raw }, bob, alice), 'preKey as raw bytes').rejects.toThrow(P.InvalidKey);
  });

  it('prekey id 0 is a real prekey when the bundle has one (as in libsignal)', async () => {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const bundle = await bob.bundle(false);
    const zero = P.PreKeyRecord.generate(0);
    await bob.store.savePreKey(0, zero);
    await process({ ...bundle, preKeyId: 0, preKey: zero.publicKey }, bob, alice);
    const first = P.PreKeySignalMessage.deserialize((await P.signalEncrypt(enc.encode('zero'), bob.address, alice.store, alice.store)).serialize());
    expect(first.preKeyId).toBe(0);
    expect(dec.decode(await P.signalDecryptPreKey(first, alice.address, bob.store, bob.store, bob.store, bob.store, bob.store))).toBe('zero');
  });
});

describe('other public constructors: null is absent or refused, never written as a value', () => {
  const root = P.PrivateKey.generate();
  const server = P.PrivateKey.generate();
  const serverCert = P.ServerCertificate.create(1, server.publicKey(), root);
  const identity = P.IdentityKeyPair.generate();
  const cert = (senderE164: unknown) =>
    P.SenderCertificate.create({
      senderUuid: '9d0652a3-dcc3-4d11-975f-74d61598733f',
      senderE164: senderE164 as string,
      senderDeviceId: 1,
      identityKey: identity.publicKey,
      expiration: 1_900_000_000_000,
      signer: serverCert,
      signerKey: server,
    });

  it('SenderCertificate: a null e164 is no e164 (libsignal-client: `senderE164: string | null`), not the text "null"', () => {
    expect(P.SenderCertificate.deserialize(cert(null).serialize()).senderE164).toBeUndefined();
    expect(P.SenderCertificate.deserialize(cert('+14155550100').serialize()).senderE164).toBe('+14155550100');
  });

  it('UnidentifiedSenderMessageContent: a null group id is no group id, a null content hint is the default', () => {
    const c = P.UnidentifiedSenderMessageContent.create('whisper', cert(undefined), new Uint8Array([1]), null as unknown as number, null as unknown as Uint8Array);
    const back = P.UnidentifiedSenderMessageContent.deserialize(c.serialize());
    expect(back.groupId).toBeUndefined();
    expect(back.contentHint).toBe(0);
    expect(c.contentHint).toBe(0);
    expect(c.groupId).toBeUndefined();
  });

  it('a message version that is not 0..15 is a typed InvalidArgument, not masked into the version byte', () => {
    const k = identity.publicKey;
    for (const v of [null, -1, 16, 4.5]) {
      expect(() => P.SignalMessage.create(v as number, new Uint8Array(32), k, 0, 0, new Uint8Array(16), k, k), String(v)).toThrow(P.InvalidArgument);
    }
  });

  it('numbers that are not uint32s are a typed InvalidArgument, not written as 0 or truncated', () => {
    const bad: unknown[] = [null, -1, 1.5, 2 ** 32, Number.NaN];
    for (const v of bad) {
      const n = v as number;
      expect(() => P.ServerCertificate.create(n, server.publicKey(), root), `server key id ${String(v)}`).toThrow(P.InvalidArgument);
      expect(() => P.SenderKeyDistributionMessage.create('b1f0a6d2-8c1e-4e39-9a47-0e7d5c3b2a19', n, 0, new Uint8Array(32), identity.publicKey), `chain id ${String(v)}`).toThrow(
        P.InvalidArgument,
      );
      expect(
        () =>
          P.SenderCertificate.create({
            senderUuid: 'u',
            senderDeviceId: n,
            identityKey: identity.publicKey,
            expiration: 1,
            signer: serverCert,
            signerKey: server,
          }),
        `device id ${String(v)}`,
      ).toThrow(P.InvalidArgument);
      if (v === 2 ** 32) continue; // a fine expiry (milliseconds)
      expect(
        () =>
          P.SenderCertificate.create({
            senderUuid: 'u',
            senderDeviceId: 1,
            identityKey: identity.publicKey,
            expiration: n,
            signer: serverCert,
            signerKey: server,
          }),
        `expiration ${String(v)}`,
      ).toThrow(P.InvalidArgument);
    }
  });
});
