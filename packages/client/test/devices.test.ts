// Linked devices through a real server: linking by code (the identity private key
// never reaches the server), messages to and from either device, what syncs between
// them (sent messages, read state, contacts, groups), listing and unlinking.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientError, directConversation, WireError, type ClientEvent } from '../src/index.ts';
import { linkedDevice, person, registered, startServer, stopAll } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('linked devices', () => {
  it('a second device gets the account by code; the server never sees the identity private key', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const secret = (await alice.store.protocol.getIdentityKeyPair()).privateKey.serialize();
    const alice2 = await linkedDevice(server, alice);
    expect(alice2.client.account).toMatchObject({ accountId: alice.client.account!.accountId, username: 'alice', deviceId: 2 });
    expect((await alice2.store.protocol.getIdentityKeyPair()).privateKey.serialize()).toEqual(secret);
    const files = Buffer.concat(
      readdirSync(server.dataDir, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => readFileSync(join(f.parentPath, f.name))),
    );
    expect(files.includes(Buffer.from(secret))).toBe(false);
    const list = await alice2.client.devices.list();
    expect(list.map((d) => [d.deviceId, d.current])).toEqual([[1, false], [2, true]]);
    expect(list[1]!.name).toBe('test device alice-2');
  });

  it('messages reach every device; what one device sends, reads, accepts and joins shows on the other', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    await bob.client.sendText('alice', 'hi alice');
    await alice.receives('hi alice');
    await alice.client.acceptRequest('bob');
    const g = await alice.client.groups.create('Family', ['bob']);
    const alice2 = await linkedDevice(server, alice);
    // Contacts and groups came over: bob is a contact (not a request), the group has its name.
    await alice2.waitFor(() => alice2.client.conversations().some((c) => c.title === 'Family'), 'the group on the new device');
    await alice2.waitFor(() => alice2.client.isRequest('bob') === false && !!alice2.store.contacts.byUsername('bob')?.accepted, 'bob as a contact');
    // To the account: both devices.
    await bob.client.sendText('alice', 'to both of you');
    await Promise.all([alice.receives('to both of you'), alice2.receives('to both of you')]);
    // From device 2: bob gets it, device 1 shows it as sent by us.
    await alice2.client.sendText('bob', 'from the second device');
    await bob.receives('from the second device');
    const mirrored = (await alice.receives('from the second device')) as Extract<ClientEvent, { type: 'message' }>;
    expect(mirrored.message).toMatchObject({ direction: 'out', conversation: directConversation(bob.client.account!.accountId) });
    // Read on device 1: device 2 marks it read too.
    await bob.client.sendText('alice', 'read me once');
    await Promise.all([alice.receives('read me once'), alice2.receives('read me once')]);
    await alice.client.markRead('bob');
    await alice2.waitFor((e) => e.type === 'messages', 'the read sync');
    expect(alice2.client.messages('bob', true)).toEqual([]);
    // Group messages reach the new device too, and what it sends there reaches everyone.
    await bob.client.groups.send(g.groupId, 'group hello');
    await Promise.all([alice.receives('group hello'), alice2.receives('group hello')]);
    await alice2.client.groups.send(g.groupId, 'from device 2 to the group');
    await Promise.all([bob.receives('from device 2 to the group'), alice.receives('from device 2 to the group')]);
  });

  it('an unlinked device is cut off at once and cannot send; the others stop encrypting for it', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const alice2 = await linkedDevice(server, alice);
    await bob.client.sendText('alice', 'before');
    await alice2.receives('before');
    await alice.client.devices.unlink(2);
    const closed = (await alice2.waitFor((e) => e.type === 'connection' && e.state === 'closed' && !!e.error, 'the unlinked device to be cut off')) as Extract<ClientEvent, { type: 'connection' }>;
    expect(closed.error?.code).toBe('DEVICE_UNLINKED');
    await expect(alice2.client.sendText('bob', 'still here')).rejects.toThrow(WireError);
    expect((await alice.client.devices.list()).map((d) => d.deviceId)).toEqual([1]);
    await bob.client.sendText('alice', 'after');
    await alice.receives('after');
    await sleep(300);
    expect(alice2.events.some((e) => e.type === 'message' && e.message.body === 'after')).toBe(false);
  });

  it('a mistyped, unknown or used code is refused with a sentence that says what to do', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    await expect(alice.client.devices.link('not a code')).rejects.toMatchObject({ code: 'INVALID_LINK_CODE' });
    await expect(alice.client.devices.link('abcd-efgh-jkmn-pqrs-tuvw-xyz2-34')).rejects.toMatchObject({ code: 'LINK_FAILED' });
    const newcomer = person(server, 'newcomer');
    let code = '';
    const shown = new Promise<void>((r) => void newcomer.client.devices.linkAsNew('x', { onCode: (c) => ((code = c), r()) }).catch(() => undefined));
    await shown;
    await alice.client.devices.link(code);
    await expect(alice.client.devices.link(code)).rejects.toBeInstanceOf(ClientError);
  });
});
