// The read-receipts setting through a real server: off, we send no read receipts
// and show nobody's (our messages stop at "delivered"), as Signal does; the setting
// syncs to our other devices; on again, read receipts flow both ways.
import { afterAll, describe, expect, it } from 'vitest';
import { linkedDevice, registered, startServer, stopAll } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('read receipts setting', () => {
  it('off: none sent, none shown, synced to the other device; on: both ways again', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const bob2 = await linkedDevice(server, bob);
    await alice.client.sendText('bob', 'hi');
    await bob.receives('hi');
    await bob.client.acceptRequest('alice');
    expect(bob.client.settings().readReceipts).toBeUndefined();
    await bob.client.setReadReceipts(false);
    expect(bob.client.settings().readReceipts).toBe(false);
    await bob2.waitFor((e) => e.type === 'settings' && bob2.client.settings().readReceipts === false, 'the setting on the linked device');

    // Bob reads alice's message: she gets "delivered", never "read".
    const a1 = await alice.client.sendText('bob', 'did you read this?');
    await bob.receives('did you read this?');
    await alice.waitFor((e) => e.type === 'receipt' && e.receipt === 'delivered' && e.ids.includes(a1.clientId), 'delivered');
    await bob.client.markRead('alice');
    // Alice reads bob's message and sends a read receipt: bob does not show it.
    const b1 = await bob.client.sendText('alice', 'maybe');
    await alice.receives('maybe');
    await bob.waitFor((e) => e.type === 'receipt' && e.receipt === 'delivered' && e.ids.includes(b1.clientId), 'delivered');
    await alice.client.markRead('bob');
    await bob.client.sendText('alice', 'marker');
    await alice.receives('marker');
    await sleep(500);
    expect(alice.events.some((e) => e.type === 'receipt' && e.receipt === 'read' && e.ids.includes(a1.clientId))).toBe(false);
    expect(alice.client.messages('bob').find((m) => m.clientId === a1.clientId)?.status).toBe('delivered');
    expect(bob.events.some((e) => e.type === 'receipt' && e.receipt === 'read')).toBe(false);
    expect(bob.client.messages('alice').find((m) => m.clientId === b1.clientId)?.status).toBe('delivered');

    // On again: bob's reading is told, alice's shown.
    await bob.client.setReadReceipts(true);
    const a2 = await alice.client.sendText('bob', 'and now?');
    await bob.receives('and now?');
    await bob.client.markRead('alice');
    await alice.waitFor((e) => e.type === 'receipt' && e.receipt === 'read' && e.ids.includes(a2.clientId), 'a read receipt');
    const b2 = await bob.client.sendText('alice', 'yes');
    await alice.receives('yes');
    await alice.client.markRead('bob');
    await bob.waitFor((e) => e.type === 'receipt' && e.receipt === 'read' && e.ids.includes(b2.clientId), 'a read receipt shown');
  });
});

describe('message search on the device', () => {
  it('finds what arrived and what we sent, in direct chats and groups, any case; not deleted messages', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    await alice.client.sendText('bob', 'Let us meet at the Café Zentral');
    await bob.receives('Let us meet at the Café Zentral');
    const g = await bob.client.groups.create('Friends', ['alice']);
    await alice.waitFor(() => alice.client.groups.list().some((x) => x.groupId === g.groupId && x.name === 'Friends'), 'the group');
    await bob.client.groups.send(g.groupId, 'CAFÉ at eight?');
    await alice.receives('CAFÉ at eight?');
    const gone = await alice.client.sendText('bob', 'café, deleted later');
    await alice.client.deleteMessage(gone);
    expect(alice.client.search('café').map((m) => m.body)).toEqual(['CAFÉ at eight?', 'Let us meet at the Café Zentral']);
    expect(alice.client.search('CAFÉ', { conversation: 'Friends' }).map((m) => m.body)).toEqual(['CAFÉ at eight?']);
    expect(alice.client.search('café', { conversation: 'nobody' })).toEqual([]);
    await bob.waitFor((e) => e.type === 'message-changed' && e.change === 'delete', 'the delete');
    expect(bob.client.search('zentral').map((m) => m.direction)).toEqual(['in']);
    expect(bob.client.search('deleted later')).toEqual([]);
  });
});
