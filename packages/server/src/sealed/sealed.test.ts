// Sealed sender on the server, through the real endpoints (SQLite, and PostgreSQL in
// the node-postgres project): sender certificates, the access-key check, sealed
// envelopes stored and delivered with no source, and the limits that hold without one.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyPair, PrivateKey, PublicKey, SenderCertificate } from '@parley/protocol';
import { base64Encode, deliveryCertificateResponse } from '@parley/wire';
import { credsFor, deviceSocket, listeningApp, makeApp, registerBody, V, type Creds, type TestApp } from '../testing.ts';
import { issueServerKeys, loadOrCreateServerKeys, parseServerKeys, serializeServerKeys, SERVER_KEYS_FILE, TRUST_ROOT_FILE } from './keys.ts';
import { SENDER_CERTIFICATE_TTL_MS } from './certificates.ts';

/** Registers with a real identity key (certificates carry it). */
async function registerReal(t: TestApp, username: string, registrationId = 42): Promise<Creds & { identityKey: Uint8Array }> {
  const password = new Uint8Array(randomBytes(32));
  const identityKey = KeyPair.generate().publicKey.serialize();
  const res = await t.req('POST', '/v1/accounts', {}, { ...registerBody(username, password, registrationId), identityKey: base64Encode(identityKey) });
  expect(res.statusCode).toBe(201);
  return { ...credsFor(res.json().accountId as string, 1, password, username, registrationId), identityKey };
}

/** Gives the account an access key, as `PUT /v1/profile` does. */
async function setAccessKey(t: TestApp, accountId: string, key = new Uint8Array(randomBytes(16))): Promise<Uint8Array> {
  await t.storage.setProfile({ accountId, version: 'v'.repeat(64), name: new Uint8Array(81), avatar: undefined, accessKey: key, updatedAt: 1 });
  return key;
}

function sealedBody(deviceId = 1, registrationId = 42, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ timestamp: 5, messages: [{ deviceId, registrationId, content: base64Encode(new Uint8Array([0x11, 7, 7, 7])) }], ...extra });
}

const sealedHeaders = (key: Uint8Array) => ({ ...V, 'unidentified-access-key': base64Encode(key) });

describe('sender certificates', () => {
  it('issues a certificate for the calling device, valid for a day, chained to the trust root it answers', async () => {
    let now = 1_800_000_000_000;
    const t = await makeApp({ now: () => now });
    const a = await registerReal(t, 'alice');
    const r = await t.req('GET', '/v1/certificate/delivery', a.headers);
    expect(r.statusCode).toBe(200);
    const body = deliveryCertificateResponse(r.json(), '');
    const cert = SenderCertificate.deserialize(body.certificate);
    const root = PublicKey.deserialize(body.trustRoot);
    expect(cert.validate(root, now)).toBe(true);
    expect(cert).toMatchObject({ senderUuid: a.accountId, senderE164: 'alice', senderDeviceId: 1, expiration: now + SENDER_CERTIFICATE_TTL_MS });
    expect(cert.identityKey.serialize()).toEqual(a.identityKey);
    now += SENDER_CERTIFICATE_TTL_MS + 1;
    expect(cert.validate(root, now)).toBe(false);
    // Another trust root does not vouch for it.
    expect(cert.validate(PrivateKey.generate().publicKey(), 1_800_000_000_000)).toBe(false);
  });

  it('needs credentials, is rate limited per account, and is FEATURE_DISABLED without keys', async () => {
    const t = await makeApp({ abuse: { certificatesPerAccountPerMinute: 2 } });
    const a = await registerReal(t, 'alice');
    expect((await t.req('GET', '/v1/certificate/delivery')).json().error.code).toBe('UNAUTHORIZED');
    expect((await t.req('GET', '/v1/certificate/delivery', a.headers)).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/certificate/delivery', a.headers)).statusCode).toBe(200);
    expect((await t.req('GET', '/v1/certificate/delivery', a.headers)).json().error.code).toBe('RATE_LIMITED');
  });
});

describe('sealed-sender key files', () => {
  it('are made once in the data dir with mode 0600, read back as they are, and refused when they do not chain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-sealed-keys-'));
    try {
      const first = loadOrCreateServerKeys(dir);
      for (const f of [SERVER_KEYS_FILE, TRUST_ROOT_FILE]) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      const again = loadOrCreateServerKeys(dir);
      expect(again.serverCertificate.serialize()).toEqual(first.serverCertificate.serialize());
      expect(again.trustRoot.equals(first.trustRoot)).toBe(true);
      // A certificate from another root, under this file's root: refused with what to do.
      const other = issueServerKeys(PrivateKey.generate());
      const forged = JSON.parse(serializeServerKeys(other)) as Record<string, string>;
      forged.trustRoot = base64Encode(first.trustRoot.serialize());
      expect(() => parseServerKeys(JSON.stringify(forged), 'forged.json')).toThrow(/not signed by its trust root/);
      expect(() => parseServerKeys('{"trustRoot": 1}', 'bad.json')).toThrow(/not a sealed-sender key file/);
      // A revoked key id is never issued.
      expect(() => issueServerKeys(PrivateKey.generate(), 0xdeadc357)).toThrow(/revoked/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sealed sends', () => {
  it('stores a sealed message with no source and delivers it so', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob', 77);
    const key = await setAccessKey(t, bob.accountId);
    const ok = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), sealedBody(1, 77));
    expect(ok.statusCode).toBe(200);
    const [stored] = await t.storage.pending(bob.accountId, 1, 0, 10);
    expect(stored).toMatchObject({ messageType: 'sealed', timestamp: 5 });
    expect(Object.keys(stored!).filter((k) => k.startsWith('source'))).toEqual([]);
    const s = await deviceSocket(t.port, bob);
    const env = await s.next((f) => f.type === 'envelope', 'the sealed envelope');
    expect(env).toEqual({ type: 'envelope', id: stored!.id, timestamp: 5, serverTimestamp: expect.any(Number), messageType: 'sealed', content: base64Encode(new Uint8Array([0x11, 7, 7, 7])), ephemeral: false });
    s.ws.close();
  });

  it('refuses a wrong, malformed or missing key and an unknown user alike, and stores nothing', async () => {
    const t = await makeApp();
    const bob = await registerReal(t, 'bob');
    const carol = await registerReal(t, 'carol');
    const key = await setAccessKey(t, bob.accountId);
    const refusals = [
      await t.req('PUT', '/v1/messages/bob', sealedHeaders(new Uint8Array(16).fill(1)), sealedBody()),
      await t.req('PUT', '/v1/messages/bob', { ...V, 'unidentified-access-key': 'not base64' }, sealedBody()),
      await t.req('PUT', '/v1/messages/bob', { ...V, 'unidentified-access-key': base64Encode(key.subarray(0, 15)) }, sealedBody()),
      // carol has no profile (no access key) yet: refused, even with bob's key or all zeros.
      await t.req('PUT', '/v1/messages/carol', sealedHeaders(key), sealedBody()),
      await t.req('PUT', '/v1/messages/carol', sealedHeaders(new Uint8Array(16)), sealedBody()),
      await t.req('PUT', '/v1/messages/nobody', sealedHeaders(key), sealedBody()),
      await t.req('PUT', '/v1/messages/NOT-A-NAME', sealedHeaders(key), sealedBody()),
    ];
    for (const r of refusals) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual(refusals[0]!.json());
    }
    expect(refusals[0]!.json().error.code).toBe('ACCESS_KEY_REFUSED');
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
    expect(await t.storage.queueLength(carol.accountId, 1)).toBe(0);
    // Credentials and an access key together: BAD_REQUEST, nothing stored.
    const both = await t.req('PUT', '/v1/messages/bob', { ...bob.headers, 'unidentified-access-key': base64Encode(key) }, sealedBody());
    expect(both.json().error.code).toBe('BAD_REQUEST');
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
  });

  it('checks devices like an identified send, after the key', async () => {
    const t = await makeApp();
    const bob = await registerReal(t, 'bob', 77);
    const key = await setAccessKey(t, bob.accountId);
    const extra = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), sealedBody(2, 77));
    expect(extra.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [1], extraDevices: [2] });
    const stale = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), sealedBody(1, 78));
    expect(stale.json().error).toMatchObject({ code: 'STALE_DEVICES', staleDevices: [1] });
    // A sealed body that names a sender or a message type is malformed.
    const named = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), sealedBody(1, 77, { sender: 'alice' }));
    expect(named.json().error.code).toBe('BAD_REQUEST');
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
  });

  it('malformed bodies get typed errors, store nothing, and the server keeps serving', async () => {
    const t = await makeApp();
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), async (payload) => {
        const r = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), payload);
        expect([400, 409, 410, 413]).toContain(r.statusCode);
        expect(typeof r.json().error.code).toBe('string');
      }),
      { numRuns: 150 },
    );
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
    expect((await t.req('GET', '/healthz')).statusCode).toBe(200);
  });

  it('limits sealed sends per address, and sealed envelopes per queue in their own bucket', async () => {
    const t = await makeApp({ abuse: { sealedSendsPerAddressPerMinute: 4 }, hardening: { maxQueuedSealedPerDevice: 2 } });
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    const codes: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.req('PUT', '/v1/messages/bob', sealedHeaders(key), sealedBody());
      codes.push(r.statusCode === 200 ? 200 : `${r.json().error.code}: ${/address/.test(r.json().error.message) ? 'address' : 'queue'}`);
    }
    // Two fit the sealed bucket; the third and fourth are over it; the fifth is over the address's allowance.
    expect(codes).toEqual([200, 200, 'RATE_LIMITED: queue', 'RATE_LIMITED: queue', 'RATE_LIMITED: address']);
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(2);
    // Identified senders are not crowded out by the sealed bucket.
    const alice = await registerReal(t, 'alice');
    const body = JSON.stringify({ timestamp: 1, messages: [{ deviceId: 1, registrationId: 42, type: 'whisper', content: base64Encode(new Uint8Array([1])) }] });
    expect((await t.req('PUT', '/v1/messages/bob', alice.headers, body)).statusCode).toBe(200);
  });
});
