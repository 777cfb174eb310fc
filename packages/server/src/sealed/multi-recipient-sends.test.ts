// Sealed group sends (sealed sender v2) through the real endpoint (SQLite, and
// PostgreSQL in the node-postgres project): the combined access key, the split into
// source-less envelopes each recipient device opens, device-list checks naming each
// account, and malformed input answered with typed errors that store nothing.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IdentityKeyPair,
  PrivateKey,
  SealedSenderMultiRecipientMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderMultiRecipientSeal,
  SenderCertificate,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  type SealedSenderV2Recipient,
} from '@parley/protocol';
import { base64Decode, base64Encode, LIMITS, MAX_MULTI_RECIPIENT_BODY_BYTES, MAX_MULTI_RECIPIENT_SPLIT_BYTES, MULTI_RECIPIENT_CONTENT_TYPE } from '@parley/wire';
import { deviceSocket, linkDevice, listeningApp, makeApp, register, V, type Creds, type TestApp } from '../testing.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A recipient as the test knows it: credentials, identity (for opening), access key. */
interface Member {
  creds: Creds[];
  identity: IdentityKeyPair;
  accessKey: Uint8Array;
}

async function member(t: TestApp, username: string, devices = 1): Promise<Member> {
  const first = await register(t, username, 100 + username.length);
  const creds = [first];
  for (let i = 1; i < devices; i++) creds.push(await linkDevice(t, first, 200 + i));
  const accessKey = new Uint8Array(randomBytes(16));
  await t.storage.setProfile({ accountId: first.accountId, version: 'v'.repeat(64), name: new Uint8Array(81), avatar: undefined, accessKey, updatedAt: 1 });
  return { creds, identity: IdentityKeyPair.generate(), accessKey };
}

const sender = IdentityKeyPair.generate();
const signer = PrivateKey.generate();
const cert = SenderCertificate.create({
  senderUuid: '3f0c9a55-2b1e-4c7d-8e9f-a0b1c2d3e4f5',
  senderDeviceId: 1,
  identityKey: sender.publicKey,
  expiration: Date.now() + 86_400_000,
  signer: ServerCertificate.create(1, signer.publicKey(), PrivateKey.generate()),
  signerKey: signer,
});

function seal(members: Member[], text: string, opts: { excluded?: string[]; devices?: (m: Member) => Array<{ deviceId: number; registrationId: number }> } = {}): Uint8Array {
  const recipients: SealedSenderV2Recipient[] = members.map((m) => ({
    serviceId: m.creds[0]!.accountId,
    identityKey: m.identity.publicKey,
    devices: opts.devices?.(m) ?? m.creds.map((c) => ({ deviceId: c.deviceId, registrationId: c.registrationId })),
  }));
  const content = UnidentifiedSenderMessageContent.create('sender-key', cert, enc.encode(text), 2, new Uint8Array(16).fill(9));
  return sealedSenderMultiRecipientSeal(content, recipients, opts.excluded ?? [], sender);
}

function combined(...keys: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(16);
  for (const k of keys) for (let i = 0; i < 16; i++) out[i]! ^= k[i]!;
  return out;
}

const headers = (key: Uint8Array) => ({ ...V, 'content-type': MULTI_RECIPIENT_CONTENT_TYPE, 'unidentified-access-key': base64Encode(key) });
const send = (t: TestApp, body: Uint8Array, key: Uint8Array, extra: Record<string, string> = {}, query = '?ts=1700000000000') =>
  t.req('PUT', `/v1/messages/multi-recipient${query}`, { ...headers(key), ...extra }, Buffer.from(body));

async function queued(t: TestApp, members: Member[]): Promise<number> {
  let n = 0;
  for (const m of members) for (const c of m.creds) n += await t.storage.queueLength(c.accountId, c.deviceId);
  return n;
}

describe('sealed group sends (PUT /v1/messages/multi-recipient)', () => {
  it('splits one message into a source-less envelope per recipient device; each opens with its account identity; excluded accounts get nothing', async () => {
    const t = await listeningApp();
    const bob = await member(t, 'bob', 2);
    const carol = await member(t, 'carol');
    const dave = await member(t, 'dave');
    const body = seal([bob, carol], 'hello group', { excluded: [dave.creds[0]!.accountId] });
    const r = await send(t, body, combined(bob.accessKey, carol.accessKey));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ serverTimestamp: expect.any(Number) });
    const split = SealedSenderMultiRecipientMessage.parse(body);
    for (const m of [bob, carol]) {
      for (const c of m.creds) {
        const [stored] = await t.storage.pending(c.accountId, c.deviceId, 0, 10);
        expect(stored).toMatchObject({ messageType: 'sealed', timestamp: 1_700_000_000_000, ephemeral: false });
        expect(Object.keys(stored!).filter((k) => k.startsWith('source'))).toEqual([]);
        expect(new Uint8Array(stored!.content)).toEqual(split.messageForRecipient(c.accountId));
        const opened = sealedSenderDecryptToUsmc(new Uint8Array(stored!.content), m.identity);
        expect(dec.decode(opened.contents)).toBe('hello group');
        expect(opened.senderCertificate.senderUuid).toBe(cert.senderUuid);
      }
    }
    expect(await queued(t, [dave])).toBe(0);
    // And it is delivered over the device's socket like any sealed envelope.
    const s = await deviceSocket(t.port, bob.creds[1]!);
    const env = await s.next((f) => f.type === 'envelope', 'the sealed group envelope');
    expect(env).toMatchObject({ messageType: 'sealed', timestamp: 1_700_000_000_000 });
    expect(sealedSenderDecryptToUsmc(base64Decode(env.content as string), bob.identity).contents).toEqual(enc.encode('hello group'));
    s.ws.close();
  });

  it('refuses a wrong combined key, an unknown or key-less recipient and a PNI alike (ACCESS_KEY_REFUSED), storing nothing', async () => {
    const t = await makeApp();
    const bob = await member(t, 'bob');
    const carol = await member(t, 'carol');
    const body = seal([bob, carol], 'x');
    const ghost: Member = { creds: [{ ...bob.creds[0]!, accountId: '9b2e4c1d-0000-4000-8000-00000000abcd' }], identity: IdentityKeyPair.generate(), accessKey: new Uint8Array(16) };
    const keyless = await register(t, 'erin');
    const erin: Member = { creds: [keyless], identity: IdentityKeyPair.generate(), accessKey: new Uint8Array(16) };
    const pni: Member = { creds: [{ ...bob.creds[0]!, accountId: `PNI:${bob.creds[0]!.accountId}` }], identity: IdentityKeyPair.generate(), accessKey: new Uint8Array(16) };
    const refusals = [
      await send(t, body, bob.accessKey), // one key, not the combination
      await send(t, body, combined(bob.accessKey, carol.accessKey, new Uint8Array(16).fill(1))),
      await send(t, body, new Uint8Array(16)),
      await t.req('PUT', '/v1/messages/multi-recipient?ts=1', { ...V, 'content-type': MULTI_RECIPIENT_CONTENT_TYPE }, Buffer.from(body)), // no key at all
      await send(t, seal([bob, ghost], 'x'), bob.accessKey),
      await send(t, seal([bob, erin], 'x'), bob.accessKey),
      await send(t, seal([bob, pni], 'x'), bob.accessKey),
    ];
    for (const r of refusals) {
      expect(r.statusCode).toBe(401);
      expect(r.json()).toEqual(refusals[0]!.json());
    }
    expect(refusals[0]!.json().error.code).toBe('ACCESS_KEY_REFUSED');
    expect(await queued(t, [bob, carol, erin])).toBe(0);
  });

  it('checks every recipient\'s devices after the key, naming each account (MISMATCHED_DEVICES first, then STALE_DEVICES), storing nothing', async () => {
    const t = await makeApp();
    const bob = await member(t, 'bob', 2);
    const carol = await member(t, 'carol');
    const key = combined(bob.accessKey, carol.accessKey);
    const bobId = bob.creds[0]!.accountId;
    const carolId = carol.creds[0]!.accountId;
    const missing = await send(t, seal([bob, carol], 'x', { devices: (m) => (m === bob ? [{ deviceId: 1, registrationId: bob.creds[0]!.registrationId }] : [{ deviceId: 1, registrationId: 1 }, { deviceId: 3, registrationId: 1 }]) }), key);
    expect(missing.statusCode).toBe(409);
    expect(missing.json().error).toMatchObject({
      code: 'MISMATCHED_DEVICES',
      accounts: [
        { accountId: bobId, missingDevices: [2], extraDevices: [] },
        { accountId: carolId, missingDevices: [], extraDevices: [3] },
      ],
    });
    const stale = await send(t, seal([bob, carol], 'x', { devices: (m) => m.creds.map((c) => ({ deviceId: c.deviceId, registrationId: m === carol ? c.registrationId + 1 : c.registrationId })) }), key);
    expect(stale.statusCode).toBe(410);
    expect(stale.json().error).toMatchObject({ code: 'STALE_DEVICES', accounts: [{ accountId: carolId, staleDevices: [1] }] });
    const twice = await send(t, seal([bob, carol], 'x', { devices: (m) => [...m.creds, m.creds[0]!].map((c) => ({ deviceId: c.deviceId, registrationId: c.registrationId })) }), key);
    expect(twice.json().error.code).toBe('BAD_REQUEST');
    expect(await queued(t, [bob, carol])).toBe(0);
  });

  it('refuses a send that would expand past MAX_MULTI_RECIPIENT_SPLIT_BYTES (accounts × part size), storing nothing', async () => {
    const t = await makeApp({ abuse: { registrationsPerAddressPerHour: 1000 } });
    const members: Member[] = [];
    for (let i = 0; i < 240; i++) members.push(await member(t, `member_${i}`));
    // Parts just under maxSealedMessageBytes: 240 of them are ~17.6 MB, above 16 MiB.
    const body = seal(members, 'x'.repeat(LIMITS.maxSealedMessageBytes - 49 - 32 - 16 - 500));
    expect(body.length).toBeLessThan(MAX_MULTI_RECIPIENT_BODY_BYTES);
    const r = await send(t, body, combined(...members.map((m) => m.accessKey)));
    expect(r.json().error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringMatching(/fewer recipients/) });
    expect(await queued(t, members)).toBe(0);
    // The same content to a few of them goes through.
    const few = members.slice(0, 3);
    expect((await send(t, seal(few, 'x'.repeat(LIMITS.maxSealedMessageBytes - 49 - 32 - 16 - 500)), combined(...few.map((m) => m.accessKey)))).statusCode).toBe(200);
    expect(MAX_MULTI_RECIPIENT_SPLIT_BYTES).toBeLessThan(240 * LIMITS.maxSealedMessageBytes);
  });

  it('malformed requests get typed errors, store nothing, and the server keeps serving', async () => {
    const t = await makeApp({ abuse: { sealedSendsPerAddressPerMinute: 100_000 }, hardening: { maxQueuedSealedPerDevice: 100_000 } });
    const bob = await member(t, 'bob');
    const good = seal([bob], 'x');
    const key = bob.accessKey;
    const bad = async (r: Promise<{ statusCode: number; json(): any }>, code: string) => {
      const res = await r;
      expect(res.json().error?.code, JSON.stringify(res.json())).toBe(code);
    };
    await bad(send(t, good.subarray(0, 30), key), 'BAD_REQUEST');
    await bad(send(t, good, key, {}, ''), 'BAD_REQUEST'); // no ts
    await bad(send(t, good, key, {}, '?ts=01'), 'BAD_REQUEST');
    await bad(send(t, good, key, {}, '?ts=1&ephemeral=true'), 'BAD_REQUEST');
    await bad(send(t, good, key, { 'content-type': 'application/json' }), 'BAD_REQUEST');
    await bad(send(t, good, key, { authorization: bob.creds[0]!.headers.authorization! }), 'BAD_REQUEST');
    await bad(send(t, seal([], 'x', { excluded: [bob.creds[0]!.accountId] }), key), 'BAD_REQUEST'); // nobody to deliver to
    await bad(send(t, new Uint8Array(MAX_MULTI_RECIPIENT_BODY_BYTES + 1).fill(0x23), key), 'PAYLOAD_TOO_LARGE');
    expect(await queued(t, [bob])).toBe(0);
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.nat(good.length * 8 - 1), fc.nat(good.length - 1), async (random, bit, cut) => {
        const flipped = good.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const b of [random, Uint8Array.from([0x23, ...random]), good.subarray(0, cut), flipped]) {
          const r = await send(t, b, key);
          // A flip inside the content or a key still parses, and is stored: opening it fails on the device, not here.
          if (r.statusCode === 200) {
            accepted++;
            continue;
          }
          expect([400, 401, 409, 410, 413]).toContain(r.statusCode);
          expect(typeof r.json().error.code).toBe('string');
        }
      }),
      { numRuns: 100 },
    );
    expect((await t.req('GET', '/healthz')).statusCode).toBe(200);
    // Nothing refused was stored: one envelope per accepted send.
    expect(await queued(t, [bob])).toBe(accepted);
  });
});
