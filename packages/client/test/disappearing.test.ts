// Disappearing messages through a real server: either side sets the timer (a system
// line for everyone, the setter's linked device included); messages are deleted on
// the sender's devices after sending and on the recipient's after reading; once
// delivered they are gone from the server already (queues are deleted on ack). In
// groups too.
import { afterAll, describe, expect, it } from 'vitest';
import { groupConversation, parseTimer, describeTimer, type ClientEvent } from '../src/index.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodies = (p: Person, conversation: string) => p.client.messages(conversation).filter((m) => m.kind === 'text').map((m) => m.body);
const systemLine = (p: Person, re: RegExp) => p.waitFor((e) => e.type === 'message' && e.message.kind === 'system' && re.test(e.message.body), `${p.name}: a system line ${re}`);

describe('disappearing messages', () => {
  it('durations parse and read as people write them', () => {
    expect([parseTimer('30s'), parseTimer('5m'), parseTimer('1h'), parseTimer('1d'), parseTimer('1w'), parseTimer('off'), parseTimer('5y'), parseTimer('0s'), parseTimer('5w')]).toEqual([30, 300, 3600, 86400, 604800, 0, undefined, undefined, undefined]);
    expect([describeTimer(30), describeTimer(300), describeTimer(3600), describeTimer(5400), describeTimer(604800)]).toEqual(['30 seconds', '5 minutes', '1 hour', '90 minutes', '1 week']);
  });

  it('in a direct chat: set by either side, announced, gone after reading (recipient) or sending (sender, every device); nothing left on the server', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const alice2 = await linkedDevice(server, alice);
    await alice.client.sendText('bob', 'hi');
    await bob.receives('hi');
    await bob.client.acceptRequest('alice');
    await alice.client.setDisappearing('bob', 2);
    expect(alice.client.disappearingTimer('bob')).toBe(2);
    await systemLine(alice, /^You set disappearing messages to 2 seconds$/);
    await systemLine(bob, /^alice set disappearing messages to 2 seconds$/);
    await systemLine(alice2, /^You set disappearing messages to 2 seconds$/);
    await bob.waitFor((e) => e.type === 'conversation-settings', 'the setting');
    expect(bob.client.disappearingTimer('alice')).toBe(2);
    expect(alice2.client.disappearingTimer('bob')).toBe(2);

    const sent = await alice.client.sendText('bob', 'this will vanish');
    expect(sent.expiresInMs).toBe(2000);
    expect(sent.expiresAt).toBe(sent.timestamp + 2000);
    const got = ((await bob.receives('this will vanish')) as Extract<ClientEvent, { type: 'message' }>).message;
    await alice2.receives('this will vanish');
    expect(got).toMatchObject({ expiresInMs: 2000 });
    expect(got.expiresAt).toBeUndefined();
    // Delivered and acknowledged: the server's queue for bob holds nothing.
    await sleep(300);
    expect(await server.storage.queueLength(bob.client.account!.accountId, 1)).toBe(0);
    // The sender's devices delete it 2 s after sending; bob keeps it until he reads it.
    for (const p of [alice, alice2]) await p.waitFor(() => !bodies(p, `direct:${bob.client.account!.accountId}`).includes('this will vanish'), `${p.name}: the message gone`, 10_000);
    expect(alice.store.messages.find(sent.senderAccountId, sent.clientId)).toBeUndefined();
    expect(bodies(bob, 'alice')).toContain('this will vanish');
    await bob.client.markRead('alice');
    await bob.waitFor(() => bob.store.messages.find(got.senderAccountId, got.clientId) === undefined, 'bob: the message gone after reading', 10_000);
    expect(bob.events.some((e) => e.type === 'messages')).toBe(true);

    // Bob turns it off: messages stay again.
    await bob.client.setDisappearing('alice', 0);
    await systemLine(alice, /^bob turned off disappearing messages$/);
    await alice.client.sendText('bob', 'this stays');
    await bob.receives('this stays');
    await bob.client.markRead('alice');
    await sleep(2500);
    expect(bodies(bob, 'alice')).toContain('this stays');
    expect(bodies(alice, 'bob')).toContain('this stays');
  });

  it('in a group: a member sets it, every member\'s copy goes after they read it', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const g = await alice.client.groups.create('Secret', ['bob', 'carl']);
    for (const p of [bob, carl]) await p.waitFor(() => p.client.groups.list().some((x) => x.groupId === g.groupId && x.name === 'Secret'), `${p.name} sees the group`);
    await bob.client.setDisappearing('Secret', 1);
    for (const p of [alice, carl]) await systemLine(p, /^bob set disappearing messages to 1 second$/);
    await alice.client.groups.send(g.groupId, 'gone soon');
    await Promise.all([bob.receives('gone soon'), carl.receives('gone soon')]);
    const conv = groupConversation(g.groupId);
    await alice.waitFor(() => !bodies(alice, conv).includes('gone soon'), 'alice: gone after sending', 10_000);
    await bob.client.markRead(conv);
    await bob.waitFor(() => !bodies(bob, conv).includes('gone soon'), 'bob: gone after reading', 10_000);
    // Carl has not read it: still there.
    expect(bodies(carl, conv)).toContain('gone soon');
    await carl.client.markRead(conv);
    await carl.waitFor(() => !bodies(carl, conv).includes('gone soon'), 'carl: gone after reading', 10_000);
  });
});
