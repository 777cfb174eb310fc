// Groups through a real server: creating, chatting (one Sender Key message fanned
// out to every member device, a linked device included), membership changes with
// their system lines, admin rights, and the promise that a removed member cannot
// read anything sent after its removal. Group names never reach the server.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupDecrypt, NoSenderKeyState, ProtocolAddress } from '@parley/protocol';
import { ClientError, groupConversation, type ClientEvent } from '../src/index.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const isText = (body: string) => (e: ClientEvent) => e.type === 'message' && e.message.body === body;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every file the server wrote (blobs under attachments/ too), as one byte string, to look for what must not be there. */
function serverBytes(dir: string): Buffer {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  return Buffer.concat(files.map((f) => readFileSync(join(f.parentPath, f.name))));
}

async function everyoneHas(people: Person[], body: string): Promise<void> {
  await Promise.all(people.map((p) => p.receives(body)));
}

describe('groups', () => {
  it('three people and a linked device chat in a group; every device gets every message once; the name stays encrypted', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const bob2 = await linkedDevice(server, bob);
    const canary = 'CANARY-group-name-5e1f';
    const g = await alice.client.groups.create(`Hiking ${canary}`, ['bob', 'carl']);
    expect(g.members.map((m) => m.username).sort()).toEqual(['alice', 'bob', 'carl']);
    // Members see the group with its name (the key came over 1:1 sessions), and a system line.
    for (const p of [bob, carl, bob2]) {
      await p.waitFor((e) => e.type === 'group' && p.client.groups.list().some((x) => x.groupId === g.groupId && x.name === `Hiking ${canary}`), `${p.name} to see the group's name`);
      await p.waitFor((e) => e.type === 'message' && e.message.kind === 'system' && /alice created the group/.test(e.message.body), `${p.name}'s system line`);
    }
    await alice.client.groups.send(g.groupId, `hello from alice ${canary}`);
    await everyoneHas([bob, carl, bob2], `hello from alice ${canary}`);
    await bob.client.groups.send(`Hiking ${canary}`, 'bob here');
    await everyoneHas([alice, carl], 'bob here');
    // Bob's other device shows what Bob sent, as his own.
    const mirrored = (await bob2.receives('bob here')) as Extract<ClientEvent, { type: 'message' }>;
    expect(mirrored.message.direction).toBe('out');
    await carl.client.groups.send(g.groupId, 'carl too');
    await everyoneHas([alice, bob, bob2], 'carl too');
    await sleep(300);
    const conv = groupConversation(g.groupId);
    for (const p of [alice, bob, carl, bob2]) {
      const texts = p.client.messages(conv).filter((m) => m.kind === 'text').map((m) => m.body);
      expect(texts, p.name).toEqual([`hello from alice ${canary}`, 'bob here', 'carl too']);
    }
    // Names of members we never chatted with come from the group.
    expect(carl.client.displayName(bob.client.account!.accountId)).toBe('bob');
    expect(carl.client.displayName('00000000-0000-4000-8000-000000000000')).toBe('someone');
    const line = alice.client.conversations().find((c) => c.id === conv)!;
    expect(line).toMatchObject({ kind: 'group', title: `Hiking ${canary}`, request: false });
    // Neither the name nor the texts are anywhere in what the server stored.
    expect(serverBytes(server.dataDir).includes(Buffer.from(canary))).toBe(false);
  });

  it('a removed member gets the news but cannot read anything sent after; the others rotate their keys', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const g = await alice.client.groups.create('Book club', ['bob', 'carl']);
    await alice.client.groups.send(g.groupId, 'before');
    await everyoneHas([bob, carl], 'before');
    await bob.client.groups.send(g.groupId, 'bob before');
    await everyoneHas([alice, carl], 'bob before');

    await alice.client.groups.remove(g.groupId, ['carl']);
    await carl.waitFor((e) => e.type === 'message' && e.message.body === 'alice removed you', 'carl to be told he was removed');
    await bob.waitFor((e) => e.type === 'message' && e.message.body === 'alice removed carl');
    expect(carl.client.groups.list().find((x) => x.groupId === g.groupId)?.active).toBe(false);
    await expect(carl.client.groups.send(g.groupId, 'still here?')).rejects.toThrow(ClientError);

    // Bob is offline while Alice and then Bob's first post-removal messages are stored for him.
    bob.client.disconnect();
    await alice.client.groups.send(g.groupId, 'after, from alice');
    const aliceId = alice.client.account!.accountId;
    const bobId = bob.client.account!.accountId;
    const queued = await server.storage.pending(bobId, 1, 0, 100);
    const senderKeyMsg = queued.filter((e) => e.messageType === 'senderkey').at(-1)!;
    // Carl still holds Alice's old sender key: with the new one, it is useless.
    await expect(carl.store.transaction((tx) => groupDecrypt(new ProtocolAddress(aliceId, 1), tx.protocol, senderKeyMsg.content))).rejects.toThrow(NoSenderKeyState);
    await bob.client.connect();
    await bob.receives('after, from alice');
    await bob.client.groups.send(g.groupId, 'after, from bob');
    await alice.receives('after, from bob');
    await sleep(500);
    expect(carl.events.filter((e) => e.type === 'message' && e.message.body.startsWith('after'))).toEqual([]);
  });

  it('leaving: the others are told and rotate; only admins change membership; the last admin leaving hands over', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const g = await alice.client.groups.create('Trip', ['bob', 'carl']);
    await bob.waitFor((e) => e.type === 'group' && !!bob.client.groups.list().find((x) => x.groupId === g.groupId)?.name);
    await expect(bob.client.groups.add(g.groupId, ['carl'])).rejects.toThrow(/only admins/);
    await expect(bob.client.groups.remove(g.groupId, ['alice'])).rejects.toThrow(/only admins/);
    await alice.client.groups.send(g.groupId, 'first');
    await everyoneHas([bob, carl], 'first');
    await alice.client.groups.leave(g.groupId);
    await bob.waitFor((e) => e.type === 'message' && e.message.body === 'alice left');
    await carl.waitFor((e) => e.type === 'message' && e.message.body === 'alice left');
    // The longest-standing member is the admin now and can rename the group.
    const renamed = await bob.client.groups.rename(g.groupId, 'Trip 2');
    expect(renamed.name).toBe('Trip 2');
    await carl.waitFor((e) => e.type === 'message' && e.message.body === 'bob changed the group name to "Trip 2"');
    await carl.client.groups.send(g.groupId, 'without alice');
    await bob.receives('without alice');
    await sleep(300);
    expect(alice.events.some(isText('without alice'))).toBe(false);
  });

  it('someone added by a stranger finds the group as a request: no receipts or typing until accepted', async () => {
    const server = await startServer();
    const [alice, dora] = [await registered(server, 'alice'), await registered(server, 'dora')];
    const g = await alice.client.groups.create('Unknown people', ['dora']);
    await alice.client.groups.send(g.groupId, 'hi dora');
    await dora.receives('hi dora');
    await sleep(200);
    expect(dora.client.conversations().find((c) => c.groupId === g.groupId)?.request).toBe(true);
    await dora.client.markRead(groupConversation(g.groupId));
    await sleep(300);
    expect(alice.events.some((e) => e.type === 'receipt' && e.receipt === 'read')).toBe(false);
    await dora.client.groups.accept(g.groupId);
    await alice.client.groups.send(g.groupId, 'again');
    await dora.receives('again');
    await dora.client.markRead(groupConversation(g.groupId));
    await alice.waitFor((e) => e.type === 'receipt' && e.receipt === 'read', 'a read receipt once accepted');
  });
});
