// Call signaling through a real server: the hardened flow (nothing but a ring
// before the callee accepts), busy/decline/hang-up, strangers, and the call log.
import { afterAll, describe, expect, it } from 'vitest';
import type { ClientEvent } from '@parley/client';
import { sendRawContent } from '@parley/client/test-support';
import { basename, dirname } from 'node:path';
import { cli, removeTempDirs, sdkClient, startServer, tempDir, type RunningServer, type TestClient } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

type CallEvent = Extract<ClientEvent, { type: 'call' }>;
const calls = (c: TestClient) => c.events.filter((e): e is CallEvent => e.type === 'call');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function contacts(options: { ringTimeoutMs?: number } = {}) {
  const s = await startServer(tempDir('srv'));
  servers.push(s);
  const alice = sdkClient(s.url, tempDir('alice'), undefined, options);
  const bobDir = tempDir('bob');
  const bob = sdkClient(s.url, bobDir, undefined, options);
  await alice.client.register('calla');
  await bob.client.register('callb');
  await alice.client.connect();
  await bob.client.connect();
  await alice.client.sendText('callb', 'hi');
  await bob.waitFor((e) => e.type === 'message');
  await bob.client.acceptRequest('calla');
  return { s, alice, bob, bobDir };
}

describe('calls', () => {
  it('before the callee accepts, only the ring reaches the app: a pushy caller\'s offer and candidates are dropped; decline ends it', async () => {
    const { alice, bob } = await contacts();
    const callId = await alice.client.startCall('callb', 'audio');
    const incoming = await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    expect(incoming).toMatchObject({ callId, peer: 'calla', media: 'audio' });
    // A malicious caller skips the protocol and sends SDP and ICE right away.
    await sendRawContent(alice.client, 'callb', { v: 1, kind: 'call', id: crypto.randomUUID(), ts: Date.now(), call: { type: 'offer', callId, sdp: 'v=0 attacker' } }, { ephemeral: true });
    await sendRawContent(alice.client, 'callb', { v: 1, kind: 'call', id: crypto.randomUUID(), ts: Date.now(), call: { type: 'ice', callId, candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' } }, { ephemeral: true });
    await sleep(600);
    expect(calls(bob).map((e) => e.event)).toEqual(['incoming']);
    // The callee cannot signal either before accepting.
    await expect(bob.client.sendCallSignal(callId, { type: 'answer', sdp: 'v=0' })).rejects.toThrow();
    await bob.client.declineCall(callId);
    await alice.waitFor((e) => e.type === 'call' && e.event === 'declined');
    expect(bob.client.callLog().map((l) => l.event)).toEqual(['ring', 'declined']);
    alice.client.close();
    bob.client.close();
  });

  it('accepted call: offer, answer and candidates flow both ways; hang-up ends both; a third call gets busy', async () => {
    const { s, alice, bob } = await contacts();
    const callId = await alice.client.startCall('callb', 'video');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    await bob.client.acceptCall(callId);
    await alice.waitFor((e) => e.type === 'call' && e.event === 'accepted');
    await alice.client.sendCallSignal(callId, { type: 'offer', sdp: 'v=0 offer' });
    expect(await bob.waitFor((e) => e.type === 'call' && e.event === 'offer')).toMatchObject({ sdp: 'v=0 offer' });
    await bob.client.sendCallSignal(callId, { type: 'answer', sdp: 'v=0 answer' });
    await bob.client.sendCallSignal(callId, { type: 'ice', candidate: 'candidate:2' });
    expect(await alice.waitFor((e) => e.type === 'call' && e.event === 'answer')).toMatchObject({ sdp: 'v=0 answer' });
    await alice.waitFor((e) => e.type === 'call' && e.event === 'ice');
    // A third person calling Bob now gets busy.
    const carol = sdkClient(s.url, tempDir('carol'));
    await carol.client.register('callc');
    await carol.client.connect();
    await carol.client.sendText('callb', 'hello');
    await bob.waitFor((e) => e.type === 'message' && e.message.conversation === bob.client.conversation('callc'));
    await bob.client.acceptRequest('callc');
    await carol.client.startCall('callb', 'audio');
    await carol.waitFor((e) => e.type === 'call' && e.event === 'busy');
    await alice.client.hangupCall(callId);
    await bob.waitFor((e) => e.type === 'call' && e.event === 'ended');
    expect(alice.client.callLog().map((l) => l.event)).toEqual(['ring', 'answered', 'ended']);
    for (const c of [alice, bob, carol]) c.client.close();
  });

  it('an unanswered call is logged as missed; a stranger\'s call never rings and lands in the request; nothing removes log entries', async () => {
    const { s, alice, bob, bobDir } = await contacts();
    const callId = await alice.client.startCall('callb', 'audio');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    await alice.client.hangupCall(callId);
    await bob.waitFor((e) => e.type === 'call' && e.event === 'ended');
    expect(bob.client.callLog().map((l) => l.event)).toEqual(['ring', 'missed']);
    expect(bob.client.messages('calla').some((m) => m.body === 'Missed voice call')).toBe(true);

    const stranger = sdkClient(s.url, tempDir('stranger'));
    await stranger.client.register('strangerc');
    await stranger.client.connect();
    const before = calls(bob).length;
    await stranger.client.startCall('callb', 'video');
    await bob.waitFor((e) => e.type === 'message' && e.message.conversation === bob.client.conversation('strangerc'));
    await sleep(300);
    expect(calls(bob).length).toBe(before);
    expect(bob.client.isRequest('strangerc')).toBe(true);
    expect(bob.client.messages('strangerc').map((m) => m.body)).toEqual(['Missed video call']);
    const log = bob.client.callLog();
    expect(log[log.length - 1]).toMatchObject({ peer: 'strangerc', event: 'stranger', media: 'video' });
    // Even deleting the conversation or blocking keeps the log.
    await bob.client.blockContact('strangerc');
    expect(bob.client.callLog().length).toBe(log.length);
    for (const c of [alice, bob, stranger]) c.client.close();
    // The user reads the same log with `parley calls` (Bob's SDK store is a CLI profile).
    const out = await cli(dirname(bobDir), ['--profile', basename(bobDir), 'calls']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim().split('\n').map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'incoming voice call from calla: rang',
      'incoming voice call from calla: not answered',
      'incoming video call from strangerc: from someone not in your contacts (did not ring)',
    ]);
  });

  it('strangers who ring and hang up at once are marked in the log, and three of them make `calls` warn', async () => {
    const { s, alice, bob, bobDir } = await contacts();
    const prank = sdkClient(s.url, tempDir('prank'));
    await prank.client.register('prankc');
    await prank.client.connect();
    for (let i = 0; i < 3; i++) {
      const id = await prank.client.startCall('callb', 'audio');
      await prank.client.hangupCall(id);
    }
    await bob.waitFor((e) => e.type === 'call-warning');
    expect(bob.client.callLog().filter((e) => e.event === 'hung-up-early')).toHaveLength(3);
    expect(bob.client.callSuspicion()).toEqual({ count: 3, callers: ['prankc'], warn: true });
    for (const c of [alice, bob, prank]) c.client.close();
    const out = await cli(dirname(bobDir), ['--profile', basename(bobDir), 'calls']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('incoming voice call from prankc: hung up before or right after ringing');
    expect(out.stdout).toMatch(/Warning: 3 calls in the last day from people not in your contacts \(prankc\)/);
  });

  it('a call nobody answers stops ringing on both sides after the ring timeout, logged as missed', async () => {
    const { alice, bob } = await contacts({ ringTimeoutMs: 1500 });
    const callId = await alice.client.startCall('callb', 'audio');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    // Bob's phone loses the network: the caller's hang-up cannot reach him, yet he stops ringing.
    bob.client.disconnect();
    const timedOut = (e: ClientEvent) => e.type === 'call' && e.event === 'ended' && e.reason === 'no-answer';
    await alice.waitFor(timedOut, 10_000);
    await bob.waitFor(timedOut, 10_000);
    expect(alice.client.callLog().map((l) => l.event)).toEqual(['ring', 'missed']);
    expect(bob.client.callLog().map((l) => l.event)).toEqual(['ring', 'missed']);
    expect(bob.client.messages('calla').at(-1)?.body).toBe('Missed voice call');
    expect(alice.client.messages('callb').at(-1)?.body).toBe('Unanswered voice call');
    await expect(alice.client.sendCallSignal(callId, { type: 'offer', sdp: 'v=0' })).rejects.toThrow();
    alice.client.close();
    bob.client.close();
  });

  it('an incoming ring whose caller vanished stops by itself and becomes a missed call', async () => {
    const { alice, bob } = await contacts({ ringTimeoutMs: 1500 });
    const callId = await alice.client.startCall('callb', 'video');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    // The caller's device dies before it can hang up.
    alice.client.close();
    await bob.waitFor((e) => e.type === 'call' && e.event === 'ended' && e.reason === 'no-answer', 10_000);
    expect(bob.client.callLog().map((l) => l.event)).toEqual(['ring', 'missed']);
    expect(bob.client.messages('calla').at(-1)?.body).toBe('Missed video call');
    await expect(bob.client.acceptCall(callId)).rejects.toThrow();
    bob.client.close();
  });
});
