// Blocking through a real server: a blocked person's messages, reactions and calls
// are dropped silently (no message, no ring, no receipt: their sends succeed as
// always, so they are not told); only the call log keeps the attempt. Unblocking
// lets them through again.
import { afterAll, describe, expect, it } from 'vitest';
import { registered, startServer, stopAll } from './harness.ts';

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
    await bob.client.blockContact('alice');
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
    expect(bob.client.messages().map((m) => m.body)).toEqual(['marker']);
    expect(bob.store.messages.find(mine.senderAccountId, mine.clientId)).toBeUndefined();
    expect(bob.client.callLog().at(-1)).toMatchObject({ callId, peer: 'alice', event: 'blocked' });
    // Alice is not told: no receipt, no busy, no decline; her message just stays "sent".
    expect(alice.events.some((e) => e.type === 'receipt' && e.ids.includes(dropped.clientId))).toBe(false);
    expect(alice.events.some((e) => e.type === 'call' && e.callId === callId && e.event !== 'incoming')).toBe(false);
    expect(alice.client.messages('bob').find((m) => m.clientId === dropped.clientId)?.status).toBe('sent');
    await alice.client.hangupCall(callId);
    // Unblocked: she is a contact again and her messages arrive.
    await bob.client.unblockContact('alice');
    expect(bob.client.isRequest('alice')).toBe(false);
    await alice.client.sendText('bob', 'after unblock');
    await bob.receives('after unblock');
  });
});
