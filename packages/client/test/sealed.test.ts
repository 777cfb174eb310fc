// Sealed sender through a real server (SQLite, read directly to see what the server
// keeps): contacts' messages go sealed and the server's rows name no sender; a wrong
// access key stores nothing; after a block (the profile key rotates) the blocked
// person's sealed send is refused and falls back to identified, which is dropped as
// blocked; forged and expired certificates are refused with a typed error and change
// nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { PrivateKey, ProtocolAddress, SenderCertificate } from '@parley/protocol';
import { issueServerKeys } from '@parley/server';
import { deliveryCertificateResponse, WireError } from '@parley/wire';
import { deriveAccessKey } from '../src/profiles/access-key.ts';
import { sendSealedWith } from '../src/test-support.ts';
import { person, registered, startServer, stopAll, type Person, type TestServer } from './harness.ts';
import { eventually, lastRowId, rows } from './server-rows.ts';

afterAll(stopAll);

/** Alice writes to bob, bob accepts: each has the other's profile key. */
async function contacts(server: TestServer): Promise<{ alice: Person; bob: Person }> {
  const alice = await registered(server, 'alice');
  const bob = await registered(server, 'bob');
  await alice.client.sendText('bob', 'hello');
  await bob.receives('hello');
  await bob.client.acceptRequest('alice');
  await eventually(() => !!alice.store.contacts.byUsername('bob')?.profileKey && !!bob.store.contacts.byUsername('alice')?.profileKey, 'profile keys exchanged');
  // Both access keys are on the server.
  await eventually(async () => !!(await server.storage.accessKey(bob.client.account!.accountId)) && !!(await server.storage.accessKey(alice.client.account!.accountId)), 'access keys uploaded');
  return { alice, bob };
}

/** Bob again, from his store, connected (after his first client was closed). */
async function reconnect(server: TestServer, bob: Person): Promise<Person> {
  bob.client.close();
  const again = person(server, 'bob', bob.store);
  await again.client.connect();
  return again;
}

async function certificateOf(p: Person): Promise<SenderCertificate> {
  const r = await p.client.http.request('GET', '/v1/certificate/delivery', undefined, deliveryCertificateResponse);
  return SenderCertificate.deserialize(r.certificate);
}

describe('sealed sender', () => {
  it('delivers a contact\'s message sealed; the server\'s rows for it hold no sender', async () => {
    const server = await startServer();
    const { alice, bob } = await contacts(server);
    const aliceId = alice.client.account!.accountId;
    const bobId = bob.client.account!.accountId;
    bob.client.close();
    const before = lastRowId(server);
    const sent = await alice.client.sendText('bob', 'sealed hello');
    const stored = rows(server, bobId, before);
    expect(stored.length).toBeGreaterThan(0);
    for (const r of stored) {
      expect(r).toMatchObject({ message_type: 'sealed', source_account_id: null, source_username: null, source_device_id: null });
      // Not even inside the stored bytes: the certificate travels encrypted.
      expect(r.content.includes(Buffer.from(aliceId))).toBe(false);
      expect(r.content.includes(Buffer.from('alice'))).toBe(false);
    }
    const bob2 = await reconnect(server, bob);
    const got = await bob2.receives('sealed hello');
    expect(got).toMatchObject({ type: 'message', message: { senderAccountId: aliceId, clientId: sent.clientId, conversation: `direct:${aliceId}` } });
    // Read receipts and replies go back sealed too, and arrive as bob's.
    await bob2.client.sendText('alice', 'sealed reply');
    const reply = await alice.receives('sealed reply');
    expect(reply).toMatchObject({ message: { senderAccountId: bobId } });
  });

  it('a wrong access key is refused and nothing is stored', async () => {
    const server = await startServer();
    const { alice, bob } = await contacts(server);
    bob.client.close();
    const before = lastRowId(server);
    const content = { v: 1 as const, kind: 'text' as const, id: randomUUID(), ts: Date.now(), text: 'wrong key' };
    const refused = await sendSealedWith(alice.client, 'bob', content, await certificateOf(alice), new Uint8Array(16).fill(3)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WireError);
    expect((refused as WireError).code).toBe('ACCESS_KEY_REFUSED');
    expect(rows(server, bob.client.account!.accountId, before)).toEqual([]);
  });

  it('after bob blocks alice her sealed send is refused; she falls back to identified, which bob drops', async () => {
    const server = await startServer();
    const { alice, bob } = await contacts(server);
    const aliceId = alice.client.account!.accountId;
    const bobId = bob.client.account!.accountId;
    const carol = await registered(server, 'carol');
    const old = deriveAccessKey(alice.store.contacts.byUsername('bob')!.profileKey!);
    await bob.client.blockContact('alice');
    // The block rotated bob's profile key, and the new access key is on the server.
    await eventually(async () => Buffer.compare(Buffer.from((await server.storage.accessKey(bobId))!), Buffer.from(old)) !== 0, 'the access key rotated');
    bob.client.close();
    const before = lastRowId(server);
    const refusals = async () => (await server.app.metrics.errors.get()).values.find((v) => v.labels.code === 'ACCESS_KEY_REFUSED')?.value ?? 0;
    const refusedBefore = await refusals();
    // Her send succeeds (she is not told she is blocked) ...
    await alice.client.sendText('bob', 'after block');
    // ... identified, after the sealed attempt was refused.
    expect(await refusals()).toBe(refusedBefore + 1);
    const stored = rows(server, bobId, before);
    expect(stored.length).toBeGreaterThan(0);
    for (const r of stored) expect(r).toMatchObject({ message_type: expect.stringMatching(/^(prekey|whisper)$/), source_account_id: aliceId });
    await carol.client.sendText('bob', 'marker');
    const bob2 = await reconnect(server, bob);
    await bob2.receives('marker');
    expect(bob2.client.messages().some((m) => m.body === 'after block')).toBe(false);
  });

  it('refuses forged and expired certificates with a typed error, and nothing changes', async () => {
    const keys = issueServerKeys(PrivateKey.generate());
    const server = await startServer({ sealedSender: keys });
    const { alice, bob } = await contacts(server);
    const aliceId = alice.client.account!.accountId;
    const identityKey = (await alice.store.protocol.getIdentityKeyPair()).publicKey;
    const rogue = issueServerKeys(PrivateKey.generate());
    const cert = (signer: typeof keys, expiration: number) =>
      SenderCertificate.create({ senderUuid: aliceId, senderE164: 'alice', senderDeviceId: 1, identityKey, expiration, signer: signer.serverCertificate, signerKey: signer.serverKey });
    const bad = [cert(rogue, Date.now() + 3600_000), cert(keys, Date.now() - 60_000)];
    for (const [i, c] of bad.entries()) {
      const messagesBefore = bob.client.messages().length;
      const session = (await bob.store.protocol.loadSession(new ProtocolAddress(aliceId, 1)))!.serialize();
      const seen = bob.events.length;
      await sendSealedWith(alice.client, 'bob', { v: 1, kind: 'text', id: randomUUID(), ts: Date.now(), text: `bad certificate ${i}` }, c);
      const refused = await bob.waitFor((e, at = bob.events.indexOf(e)) => at >= seen && e.type === 'decrypt-error' && e.code === 'SEALED_SENDER_REJECTED', 'the refusal');
      expect(refused).toMatchObject({ type: 'decrypt-error', code: 'SEALED_SENDER_REJECTED', error: expect.stringMatching(/forged|expired/) });
      expect(bob.client.messages().length).toBe(messagesBefore);
      expect((await bob.store.protocol.loadSession(new ProtocolAddress(aliceId, 1)))!.serialize()).toEqual(session);
    }
    // The session is unharmed: alice's next message (sealed, with her real certificate) arrives.
    await alice.client.sendText('bob', 'still fine');
    await bob.receives('still fine');
  });
});
