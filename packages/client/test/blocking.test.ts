// Blocking through a real server: a blocked person's messages, reactions and calls
// are dropped silently (no message, no ring, no receipt: their sends succeed as
// always, so they are not told); only the call log keeps the attempt. The
// conversation stays, marked blocked, and nothing is written to or rung at them
// until they are unblocked; "block and delete" removes it on every device of ours.
// Unblocking lets them through again.
import { afterAll, describe, expect, it } from 'vitest';
import { linkedDevice, registered, startServer, stopAll } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('blocking', () => {
  it('drops messages, reactions and calls silently; the blocked person sees nothing change; unblock lets them through', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const carol = await registered(server, 'carol');
    const first = await alice.client.sendText('bob', 'hello bob');
    await bob.receives('hello bob');
    await alice.waitFor((e) => e.type === 'receipt' && e.ids.includes(first.clientId), 'the delivery receipt before blocking');
    await bob.client.acceptRequest('alice');
    const mine = await bob.client.sendText('alice', 'hi alice');
    await alice.receives('hi alice');
    expect(bob.client.isBlocked('alice')).toBe(false);
    await bob.client.blockContact('alice');
    expect(bob.client.isBlocked('Alice')).toBe(true);
    expect(bob.client.isBlocked('nobody')).toBe(false);
    const before = bob.events.length;
    // What alice does now: a message, a reaction to bob's message, a call. Each send succeeds.
    const dropped = await alice.client.sendText('bob', 'are you there?');
    await alice.client.react(alice.store.messages.find(mine.senderAccountId, mine.clientId)!, '👋');
    const callId = await alice.client.startCall('bob', 'audio');
    // A marker from someone else: once it is here, alice's envelopes were processed.
    await carol.client.sendText('bob', 'marker');
    await bob.receives('marker');
    await sleep(300);
    // Carol, writing to bob, shares her profile key with him: that is hers, not alice's.
    const fromCarol = (e: (typeof bob.events)[number]) => (e.type === 'message' && e.message.body === 'marker') || (e.type === 'profile-changed' && e.username === 'carol');
    const after = bob.events.slice(before).filter((e) => !fromCarol(e) && e.type !== 'background-error' && e.type !== 'receipt');
    expect(after).toEqual([]);
    // The chat stays as it was before blocking, listed and marked; nothing of alice's since is in it.
    expect(bob.client.messages('alice').map((m) => m.body)).toEqual(['hello bob', 'hi alice']);
    expect(bob.client.conversations().find((c) => c.username === 'alice')).toMatchObject({ blocked: true, request: false });
    expect(bob.client.messages().map((m) => m.body)).toEqual(['hello bob', 'hi alice', 'marker']);
    expect(bob.store.messages.find(mine.senderAccountId, mine.clientId)?.reactions ?? []).toEqual([]);
    // Bob cannot write to or ring alice until he unblocks her; nothing is stored or sent.
    await expect(bob.client.sendText('alice', 'oops')).rejects.toMatchObject({ code: 'BLOCKED', message: expect.stringContaining('unblock') });
    await expect(bob.client.startCall('alice', 'audio')).rejects.toMatchObject({ code: 'BLOCKED' });
    expect(bob.client.messages('alice')).toHaveLength(2);
    expect(bob.client.callLog().filter((c) => c.direction === 'out')).toEqual([]);
    expect(bob.client.callLog().at(-1)).toMatchObject({ callId, peer: 'alice', event: 'blocked' });
    // Alice is not told: no receipt, no busy, no decline; her message just stays "sent".
    expect(alice.events.some((e) => e.type === 'receipt' && e.ids.includes(dropped.clientId))).toBe(false);
    expect(alice.events.some((e) => e.type === 'call' && e.callId === callId && e.event !== 'incoming')).toBe(false);
    expect(alice.client.messages('bob').find((m) => m.clientId === dropped.clientId)?.status).toBe('sent');
    await alice.client.hangupCall(callId);
    // Unblocked: she is a contact again and her messages arrive.
    await bob.client.unblockContact('alice');
    expect(bob.client.isBlocked('alice')).toBe(false);
    expect(bob.client.isRequest('alice')).toBe(false);
    await alice.client.sendText('bob', 'after unblock');
    await bob.receives('after unblock');
    expect(bob.client.conversations().find((c) => c.username === 'alice')?.blocked).toBeUndefined();
    await bob.client.sendText('alice', 'welcome back');
    await alice.receives('welcome back');
  });

  it('blocking on one device blocks on the others and keeps the chat there; block and delete removes it on every device', async () => {
    const server = await startServer();
    const dan = await registered(server, 'dan');
    const dan2 = await linkedDevice(server, dan);
    const eve = await registered(server, 'eve');
    const fay = await registered(server, 'fay');
    await eve.client.sendText('dan', 'hi from eve');
    await fay.client.sendText('dan', 'hi from fay');
    await dan.receives('hi from eve');
    await dan2.receives('hi from fay');
    await dan2.receives('hi from eve');
    await dan.client.blockContact('eve');
    await dan2.waitFor((e) => e.type === 'contacts' && dan2.client.isBlocked('eve'), 'the block from the other device');
    expect(dan2.client.messages('eve').map((m) => m.body)).toEqual(['hi from eve']);
    expect(dan2.client.conversations().find((c) => c.username === 'eve')?.blocked).toBe(true);
    // Block and delete, from the second device this time: the chat goes on both.
    await dan2.client.blockContact('fay', { deleteChat: true });
    expect(dan2.client.messages('fay')).toEqual([]);
    await dan.waitFor((e) => e.type === 'messages' && 'removed' in e && e.removed === true, 'the deleted chat from the other device');
    expect(dan.client.messages('fay')).toEqual([]);
    expect(dan.client.isBlocked('fay')).toBe(true);
    expect(dan.client.conversations().some((c) => c.username === 'fay')).toBe(false);
    // What eve, blocked before, wrote is still on both devices.
    expect(dan.client.messages('eve').map((m) => m.body)).toEqual(['hi from eve']);
  });
});
