// Sealed group sends (sealed sender v2) through a real server (SQLite, read directly to
// see what the server keeps): members of an accepted group share profile keys, a group
// message goes as one sealed multi-recipient request and the server's rows for it name
// no sender and no group; a member who has not shared their key gets it identified;
// a removed member gets nothing after the removal; a sealed message whose seal names a
// group its receiver is not in is refused with a typed error and changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolAddress } from '@parley/protocol';
import { groupConversation, type ClientEvent } from '../src/index.ts';
import { sendRawContent, sendSealedGroupAs } from '../src/test-support.ts';
import { linkedDevice, person, registered, startServer, stopAll, type Person, type TestServer } from './harness.ts';
import { eventually, lastRowId, rows } from './server-rows.ts';

afterAll(stopAll);

const idOf = (p: Person) => p.client.account!.accountId;

/** `p` holds the profile key of every one of `others` (they shared it with `p`), and the server has their access keys. */
async function holdsKeys(server: TestServer, p: Person, others: Person[]): Promise<void> {
  await eventually(() => others.every((o) => !!p.store.contacts.byId(idOf(o))?.profileKey), `${p.name} to hold the profile keys of ${others.map((o) => o.name).join(', ')}`);
  await eventually(async () => (await Promise.all(others.map((o) => server.storage.accessKey(idOf(o))))).every((k) => !!k), 'access keys on the server');
}

/** Closes `p` and connects it again from its store (its queue is read on connecting). */
async function reconnect(server: TestServer, p: Person): Promise<Person> {
  p.client.close();
  const again = person(server, p.name, p.store);
  await again.client.connect();
  return again;
}

/** `p`'s record of the sender key of `from` (serialized), to see that it did not move. */
function senderKeyOf(p: Person, from: ProtocolAddress, distributionId: string): Promise<Uint8Array | undefined> {
  return p.store.transaction(async (tx) => (await tx.protocol.loadSenderKey(from, distributionId))?.serialize());
}

const isGroupText = (groupId: string, body: string) => (e: ClientEvent) => e.type === 'message' && e.message.body === body && e.message.conversation === groupConversation(groupId);

describe('sealed group sends', () => {
  it('three people (bob with two devices) chat sealed; the server stores the group message with no sender and no group', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const bob2 = await linkedDevice(server, bob);
    const g = await alice.client.groups.create('Sealed hike', ['bob', 'carl']);
    // Added by a stranger: a request until accepted; accepting shares their profile keys with the group.
    for (const p of [bob, carl]) {
      await p.waitFor((e) => e.type === 'group' && p.client.groups.list().some((x) => x.groupId === g.groupId && !!x.name), `${p.name} to see the group`);
      await p.client.groups.accept(g.groupId);
    }
    await holdsKeys(server, alice, [bob, carl]);
    await holdsKeys(server, bob, [alice, carl]);
    await holdsKeys(server, carl, [alice, bob]);

    for (const p of [bob, bob2, carl]) p.client.close();
    const before = lastRowId(server);
    const sent = await alice.client.groups.send(g.groupId, 'sealed to the group');
    const stored = [...rows(server, idOf(bob), before), ...rows(server, idOf(carl), before)];
    // One part per member device (bob's two, carl's one), each sealed and sourceless.
    expect(stored.map((r) => `${r.message_type}:${r.device_id}`).sort()).toEqual(['sealed:1', 'sealed:1', 'sealed:2']);
    for (const r of stored) {
      expect(r).toMatchObject({ source_account_id: null, source_username: null, source_device_id: null });
      if ('group_id' in r) expect(r.group_id).toBeNull();
      expect(r.content.includes(Buffer.from(idOf(alice)))).toBe(false);
      expect(r.content.includes(Buffer.from(g.groupId))).toBe(false);
      expect(r.content.includes(Buffer.from(g.groupId, 'hex'))).toBe(false);
    }

    const [bobB, bob2B, carlB] = [await reconnect(server, bob), await reconnect(server, bob2), await reconnect(server, carl)];
    for (const p of [bobB, bob2B, carlB]) {
      const got = await p.waitFor(isGroupText(g.groupId, 'sealed to the group'), `${p.name} to get alice's sealed group message`);
      expect(got).toMatchObject({ message: { senderAccountId: idOf(alice), clientId: sent.clientId, direction: 'in' } });
    }

    // Bob answers: sealed to alice and carl, identified to his own other device, which shows it as his.
    await bobB.client.groups.send(g.groupId, 'bob answers sealed');
    await alice.waitFor(isGroupText(g.groupId, 'bob answers sealed'), 'alice to get bob\'s answer');
    await carlB.waitFor(isGroupText(g.groupId, 'bob answers sealed'), 'carl to get bob\'s answer');
    const mirrored = (await bob2B.waitFor(isGroupText(g.groupId, 'bob answers sealed'), 'bob2 to get bob\'s answer')) as Extract<ClientEvent, { type: 'message' }>;
    expect(mirrored.message.direction).toBe('out');

    // Carl links a second device the others do not know of: the server answers alice's sealed send with MISMATCHED_DEVICES
    // naming carl's account; she refetches the group, gives the new device her sender key, and the retry reaches it.
    const carl2 = await linkedDevice(server, carlB, 'carl-2');
    const mismatches = async () => (await server.app.metrics.errors.get()).values.find((v) => v.labels.code === 'MISMATCHED_DEVICES')?.value ?? 0;
    const mismatchedBefore = await mismatches();
    expect(alice.store.groups.get(g.groupId)!.members.find((m) => m.accountId === idOf(carl))!.devices.map((d) => d.deviceId)).toEqual([1]);
    await alice.client.groups.send(g.groupId, 'carl has a new device');
    expect(await mismatches()).toBeGreaterThan(mismatchedBefore);
    for (const p of [bobB, carlB, carl2]) await p.waitFor(isGroupText(g.groupId, 'carl has a new device'), `${p.name} to get it`);
    expect(alice.store.groups.get(g.groupId)!.members.find((m) => m.accountId === idOf(carl))!.devices.map((d) => d.deviceId)).toEqual([1, 2]);

    // Every device has the conversation once, in order.
    await carlB.client.groups.send(g.groupId, 'carl closes');
    for (const p of [alice, bobB, bob2B]) await p.waitFor(isGroupText(g.groupId, 'carl closes'), `${p.name} to get carl's message`);
    for (const p of [alice, bobB, bob2B, carlB]) {
      expect(p.client.messages(groupConversation(g.groupId)).filter((m) => m.kind === 'text').map((m) => m.body), p.name).toEqual(['sealed to the group', 'bob answers sealed', 'carl has a new device', 'carl closes']);
    }
  });

  it('a member who has not shared a profile key gets the message identified; a removed member gets nothing after', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const g = await alice.client.groups.create('Mixed', ['bob', 'carl']);
    // Bob accepts (his key reaches alice); carl leaves the request as it is (alice has no key of his).
    await bob.waitFor((e) => e.type === 'group' && bob.client.groups.list().some((x) => x.groupId === g.groupId && !!x.name), 'bob to see the group');
    await bob.client.groups.accept(g.groupId);
    await holdsKeys(server, alice, [bob]);
    expect(alice.store.contacts.byId(idOf(carl))?.profileKey).toBeUndefined();

    // Bob's own shares are done (they would land in carl's queue too).
    await eventually(() => [alice, carl].every((o) => !!bob.store.contacts.byId(idOf(o))?.profileKeyShared), 'bob to have shared his key with the group');
    // Both offline, so their queues show what the server keeps.
    for (const p of [bob, carl]) p.client.close();
    const before = lastRowId(server);
    await alice.client.groups.send(g.groupId, 'to bob sealed, to carl identified');
    const toBob = rows(server, idOf(bob), before);
    expect(toBob.map((r) => ({ type: r.message_type, source: r.source_account_id }))).toEqual([{ type: 'sealed', source: null }]);
    const toCarl = rows(server, idOf(carl), before);
    expect(toCarl.length).toBeGreaterThan(0);
    for (const r of toCarl) expect(r).toMatchObject({ message_type: expect.stringMatching(/^(prekey|whisper)$/), source_account_id: idOf(alice) });
    const [bobB, carlB] = [await reconnect(server, bob), await reconnect(server, carl)];
    await carlB.waitFor(isGroupText(g.groupId, 'to bob sealed, to carl identified'), 'carl to get it');
    await bobB.waitFor(isGroupText(g.groupId, 'to bob sealed, to carl identified'), 'bob to get it');

    await alice.client.groups.remove(g.groupId, ['bob']);
    await bobB.waitFor((e) => e.type === 'message' && e.message.kind === 'system' && /removed you/.test(e.message.body), 'bob to learn he was removed');
    bobB.client.close();
    const afterRemoval = lastRowId(server);
    await alice.client.groups.send(g.groupId, 'not for bob');
    await carlB.waitFor(isGroupText(g.groupId, 'not for bob'), 'carl to get it');
    // Nothing of it was queued for bob, and he never shows it.
    expect(rows(server, idOf(bob), afterRemoval)).toEqual([]);
    await alice.client.sendText('bob', 'marker');
    const bobC = await reconnect(server, bobB);
    await bobC.receives('marker');
    expect(bobC.client.messages().some((m) => m.body === 'not for bob')).toBe(false);
  });

  it('blocking a member rotates our key: the other members get the new one, the blocked one does not; his sealed send is refused and goes identified', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const g = await alice.client.groups.create('Blocked inside', ['bob', 'carl']);
    for (const p of [bob, carl]) {
      await p.waitFor((e) => e.type === 'group' && p.client.groups.list().some((x) => x.groupId === g.groupId && !!x.name), `${p.name} to see the group`);
      await p.client.groups.accept(g.groupId);
    }
    await holdsKeys(server, bob, [alice, carl]);
    await holdsKeys(server, carl, [alice, bob]);
    const old = Buffer.from(bob.store.contacts.byId(idOf(alice))!.profileKey!);

    // Resolves once the key is rotated, uploaded and shared with everyone who remains.
    await alice.client.blockContact('bob');
    await eventually(() => !old.equals(Buffer.from(carl.store.contacts.byId(idOf(alice))?.profileKey ?? [])), 'carl to get alice\'s new key');
    expect(alice.store.contacts.byId(idOf(bob))?.profileKeyShared).toBeFalsy();
    // A 1:1 message sent after the rotation arrives after anything the rotation sent bob: he still has the old key.
    // (Raw, because writing to someone with the app unblocks them.)
    await sendRawContent(alice.client, 'bob', { v: 1, kind: 'text', id: randomUUID(), ts: Date.now(), text: 'marker after the block' });
    await bob.receives('marker after the block');
    expect(Buffer.from(bob.store.contacts.byId(idOf(alice))!.profileKey!)).toEqual(old);

    // Bob's group message: the combined key (with alice's old access key) is refused, so it goes identified; carl gets it, alice drops it.
    const refusals = async () => (await server.app.metrics.errors.get()).values.find((v) => v.labels.code === 'ACCESS_KEY_REFUSED')?.value ?? 0;
    const refusedBefore = await refusals();
    await bob.client.groups.send(g.groupId, 'bob after the block');
    expect(await refusals()).toBe(refusedBefore + 1);
    await carl.waitFor(isGroupText(g.groupId, 'bob after the block'), 'carl to get bob\'s message');
    await carl.client.groups.send(g.groupId, 'carl marker');
    await alice.waitFor(isGroupText(g.groupId, 'carl marker'), 'alice to get carl\'s marker');
    expect(alice.client.messages(groupConversation(g.groupId)).some((m) => m.body === 'bob after the block')).toBe(false);
  });

  it('refuses a sealed group message whose seal names a group its receiver is not in, or that comes from a removed member: SEALED_SENDER_REJECTED, nothing changes', async () => {
    const server = await startServer();
    const [alice, bob] = [await registered(server, 'alice'), await registered(server, 'bob')];
    await registered(server, 'carl');
    const g = await alice.client.groups.create('Real', ['bob']);
    await bob.waitFor((e) => e.type === 'group' && bob.client.groups.list().some((x) => x.groupId === g.groupId && !!x.name), 'bob to see the group');
    await bob.client.groups.accept(g.groupId);
    await holdsKeys(server, alice, [bob]);
    // A group bob is not in (alice and carl), and one nobody is in.
    const other = await alice.client.groups.create('Other', ['carl']);
    const nowhere = randomUUID().replaceAll('-', '');
    await alice.client.groups.send(g.groupId, 'a real one first');
    await bob.waitFor(isGroupText(g.groupId, 'a real one first'), 'bob to get the real one');

    const aliceAddress = new ProtocolAddress(idOf(alice), 1);
    for (const [i, forgedGroup] of [other.groupId, nowhere].entries()) {
      const messagesBefore = bob.client.messages().length;
      const senderKey = await senderKeyOf(bob, aliceAddress, alice.store.groups.get(g.groupId)!.senderKey!.distributionId);
      const seen = bob.events.length;
      const to = await sendSealedGroupAs(alice.client, g.groupId, { v: 1, kind: 'text', id: randomUUID(), ts: Date.now(), text: `forged ${i}`, group: forgedGroup }, forgedGroup);
      expect(to).toEqual([idOf(bob)]);
      const refused = await bob.waitFor((e, at = bob.events.indexOf(e)) => at >= seen && e.type === 'decrypt-error' && e.code === 'SEALED_SENDER_REJECTED', 'the refusal');
      expect(refused).toMatchObject({ error: expect.stringMatching(/group we are not in/) });
      expect(bob.client.messages().length).toBe(messagesBefore);
      expect(bob.client.groups.list().map((x) => x.groupId)).toEqual([g.groupId]);
      expect(await senderKeyOf(bob, aliceAddress, alice.store.groups.get(g.groupId)!.senderKey!.distributionId)).toEqual(senderKey);
    }
    // Bob's state is unharmed: the next real message arrives.
    await alice.client.groups.send(g.groupId, 'still fine');
    await bob.waitFor(isGroupText(g.groupId, 'still fine'), 'bob to get the next real one');

    // Once removed, bob still holds alice's access key and his old sender key, and the server does not check membership of
    // sealed sends: alice refuses what he sends into the group, before decrypting anything.
    await bob.client.groups.send(g.groupId, 'bob while a member');
    await alice.waitFor(isGroupText(g.groupId, 'bob while a member'), 'alice to get bob\'s message');
    const bobKeyId = bob.store.groups.get(g.groupId)!.senderKey!.distributionId;
    await alice.client.groups.remove(g.groupId, ['bob']);
    await bob.waitFor((e) => e.type === 'message' && e.message.kind === 'system' && /removed you/.test(e.message.body), 'bob to learn he was removed');
    const bobAddress = new ProtocolAddress(idOf(bob), 1);
    const aliceHeld = await senderKeyOf(alice, bobAddress, bobKeyId);
    expect(aliceHeld).toBeDefined();
    const seen = alice.events.length;
    const messagesBefore = alice.client.messages().length;
    expect(await sendSealedGroupAs(bob.client, g.groupId, { v: 1, kind: 'text', id: randomUUID(), ts: Date.now(), text: 'from a removed member', group: g.groupId }, g.groupId, bobKeyId)).toEqual([idOf(alice)]);
    const refused = await alice.waitFor((e, at = alice.events.indexOf(e)) => at >= seen && e.type === 'decrypt-error' && e.code === 'SEALED_SENDER_REJECTED', 'alice to refuse it');
    expect(refused).toMatchObject({ error: expect.stringMatching(/not a member/) });
    expect(alice.client.messages().length).toBe(messagesBefore);
    expect(await senderKeyOf(alice, bobAddress, bobKeyId)).toEqual(aliceHeld);
  });
});
