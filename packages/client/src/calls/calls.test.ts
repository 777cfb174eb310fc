// The call state machine (DESIGN.md invariant 1), modelled: generated sequences of
// rings, accepts, offers, answers, candidates, hang-ups and busy signals, duplicated,
// reordered and forged (wrong call id, wrong sender, a stranger, after the end),
// interleaved with what the local person does. Whatever the sequence, the app hears
// of an offer, answer or candidate only for a call the local person accepted, from the
// person who rang, before it ended; strangers never ring; every ring is logged.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdentityKeyPair } from '@parley/protocol';
import type { CallMessage } from '../content/call.ts';
import { EventBus, type ClientEvent } from '../events.ts';
import type { ClientContext } from '../internal/context.ts';
import { Mutex } from '../internal/mutex.ts';
import type { Effects, Received } from '../receive/types.ts';
import { MemoryClientStore } from '../storage/memory-store.ts';
import { Calls } from './calls.ts';
import { SenderCertificates } from '../sealed/certificates.ts';

const ME = '00000000-0000-4000-8000-000000000001';
const PEOPLE = {
  cara: { accountId: '00000000-0000-4000-8000-00000000000a', accepted: true },
  dirk: { accountId: '00000000-0000-4000-8000-00000000000b', accepted: true },
  sam: { accountId: '00000000-0000-4000-8000-00000000000c', accepted: false },
} as const;
type Who = keyof typeof PEOPLE;
const CALL_IDS = ['a'.repeat(32), 'b'.repeat(32)];

async function setup() {
  const store = new MemoryClientStore();
  await store.transaction(async (tx) => {
    tx.account.save({ serverUrl: 'http://x', accountId: ME, deviceId: 1, username: 'me', password: new Uint8Array(32), registrationId: 1 }, IdentityKeyPair.generate());
    for (const [username, p] of Object.entries(PEOPLE)) tx.contacts.save({ accountId: p.accountId, username, deviceIds: [1], accepted: p.accepted });
  });
  const events = new EventBus();
  const heard: ClientEvent[] = [];
  events.on((e) => heard.push(e));
  let clock = 1_000_000;
  const ctx: ClientContext = {
    store,
    http: undefined as never,
    events,
    lock: new Mutex(),
    now: () => clock,
    newId: () => crypto.randomUUID(),
    connection: () => undefined,
    unidentified: () => undefined,
    certificates: new SenderCertificates(),
    later: () => undefined,
  };
  const sent: Array<{ peer: string; call: CallMessage }> = [];
  const calls = new Calls(ctx, 60_000, async (peer, call) => void sent.push({ peer, call }));
  /** A call message from `who`, through the handler as the pipeline would run it. */
  const receive = async (who: Who, call: CallMessage) => {
    clock += 1000;
    const fx: Effects = { events: [], after: [] };
    const r: Received = {
      sender: { accountId: PEOPLE[who].accountId, username: who, deviceId: 1 },
      timestamp: clock,
      content: { v: 1, kind: 'call', id: crypto.randomUUID(), ts: clock, call },
      conversation: `direct:${PEOPLE[who].accountId}`,
      relationship: PEOPLE[who].accepted ? 'contact' : 'stranger',
      fromSelf: false,
      viaSenderKey: false,
    };
    await ctx.lock.run(() => store.transaction((tx) => Promise.resolve(calls.onCallMessage(ctx, tx, r as Received & { content: { kind: 'call' } } as never, fx))));
    events.emitAll(fx.events);
    for (const a of fx.after) await a();
  };
  return { store, calls, heard, sent, receive, wait: (ms: number) => void (clock += ms) };
}

const incomingMessage = fc.record({
  from: fc.constantFrom<Who>('cara', 'dirk', 'sam'),
  callId: fc.constantFrom(...CALL_IDS),
  type: fc.constantFrom('ring', 'accept', 'decline', 'busy', 'hangup', 'offer', 'answer', 'ice'),
  media: fc.constantFrom<'audio' | 'video'>('audio', 'video'),
});
const localAction = fc.record({ local: fc.constantFrom('accept', 'decline', 'hangup'), callId: fc.constantFrom(...CALL_IDS) });
const step = fc.oneof({ weight: 4, arbitrary: incomingMessage }, { weight: 1, arbitrary: localAction });

function asCall(m: { type: string; callId: string; media: 'audio' | 'video' }): CallMessage {
  if (m.type === 'ring') return { type: 'ring', callId: m.callId, media: m.media };
  if (m.type === 'offer' || m.type === 'answer') return { type: m.type, callId: m.callId, sdp: 'v=0 forged' };
  if (m.type === 'ice') return { type: 'ice', callId: m.callId, candidate: 'candidate:1 1 udp 1 10.0.0.1 9 typ host' };
  return { type: m.type as 'accept' | 'decline' | 'busy' | 'hangup', callId: m.callId };
}

describe('the call state machine', () => {
  it('no SDP or candidate reaches the app for a call the local person did not accept, from anyone but its caller, or after it ended', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const { calls, heard, receive, store } = await setup();
        // What the model allows: per call id, who rang (a contact), whether accepted locally, whether ended.
        const model = new Map<string, { caller: Who; accepted: boolean; ended: boolean }>();
        let rings = 0;
        for (const s of steps) {
          const before = heard.length;
          if ('local' in s) {
            const c = model.get(s.callId);
            const run = s.local === 'accept' ? calls.accept(s.callId) : s.local === 'decline' ? calls.decline(s.callId) : calls.hangup(s.callId);
            await run.catch(() => undefined);
            if (c && !c.ended) {
              if (s.local === 'accept') c.accepted = true;
              else c.ended = true;
            }
            continue;
          }
          await receive(s.from, asCall(s));
          if (s.type === 'ring') rings++;
          const c = model.get(s.callId);
          if (s.type === 'ring' && !c && PEOPLE[s.from].accepted && ![...model.values()].some((x) => !x.ended)) model.set(s.callId, { caller: s.from, accepted: false, ended: false });
          else if (s.type === 'ring' && !c && PEOPLE[s.from].accepted) model.set(s.callId, { caller: s.from, accepted: false, ended: true }); // busy
          if (c && s.from === c.caller && s.type === 'hangup') c.ended = true;
          for (const e of heard.slice(before)) {
            if (e.type !== 'call') continue;
            if (e.event === 'incoming') {
              // Only a contact's ring rings.
              expect(PEOPLE[e.peer as Who].accepted).toBe(true);
              continue;
            }
            if (e.event === 'offer' || e.event === 'answer' || e.event === 'ice') {
              const m = model.get(e.callId);
              expect(m, `${e.event} for an unknown call`).toBeDefined();
              expect(m!.accepted, `${e.event} before the local accept`).toBe(true);
              expect(e.peer).toBe(m!.caller);
              expect(m!.ended).toBe(false);
              // A caller's answer never reaches a callee.
              expect(e.event).not.toBe('answer');
            }
          }
        }
        // Every ring, from anyone, is in the append-only log.
        expect(store.callLog.list().filter((x) => ['ring', 'stranger', 'blocked', 'busy'].includes(x.event)).length).toBeGreaterThanOrEqual(Math.min(rings, store.callLog.list().length));
        calls.close();
      }),
      { numRuns: 300 },
    );
  });

  it('30 rings from a stranger: every one in the call log, one missed-call line in the request per hour', async () => {
    const { store, heard, receive } = await setup();
    for (let i = 0; i < 30; i++) await receive('sam', { type: 'ring', callId: CALL_IDS[i % 2]!, media: 'audio' });
    expect(store.callLog.list().filter((e) => e.event === 'stranger')).toHaveLength(30);
    expect(store.messages.list(`direct:${PEOPLE.sam.accountId}`).map((m) => m.body)).toEqual(['Missed voice call']);
    expect(heard.filter((e) => e.type === 'call')).toEqual([]);
  });

  it("strangers' calls that hang up before or right after ringing are marked; three in a day raise one warning an hour, naming the callers", async () => {
    const { store, calls, heard, receive, wait } = await setup();
    // A stranger rings and hangs up a second later: marked.
    await receive('sam', { type: 'ring', callId: CALL_IDS[0]!, media: 'video' });
    await receive('sam', { type: 'hangup', callId: CALL_IDS[0]! });
    // A stranger who lets it ring for 30 s before hanging up: not marked.
    await receive('sam', { type: 'ring', callId: CALL_IDS[1]!, media: 'audio' });
    wait(30_000);
    await receive('sam', { type: 'hangup', callId: CALL_IDS[1]! });
    // A contact's quick hang-up is not a sign of anything.
    await receive('cara', { type: 'ring', callId: 'c'.repeat(32), media: 'audio' });
    await receive('cara', { type: 'hangup', callId: 'c'.repeat(32) });
    const marked = () => store.callLog.list().filter((e) => e.event === 'hung-up-early');
    expect(marked().map((e) => [e.peer, e.callId, e.media])).toEqual([['sam', CALL_IDS[0], 'video']]);
    expect(calls.suspicion()).toEqual({ count: 1, callers: ['sam'], warn: false });
    expect(heard.filter((e) => e.type === 'call-warning')).toEqual([]);
    // A hang-up with no ring before it (the ring never came, or was dropped): marked too.
    await receive('sam', { type: 'hangup', callId: 'd'.repeat(32) });
    await receive('sam', { type: 'ring', callId: 'e'.repeat(32), media: 'audio' });
    await receive('sam', { type: 'hangup', callId: 'e'.repeat(32) });
    expect(marked()).toHaveLength(3);
    expect(heard.filter((e) => e.type === 'call-warning')).toEqual([{ type: 'call-warning', count: 3, callers: ['sam'] }]);
    expect(calls.suspicion().warn).toBe(true);
    // A fourth within the hour is marked but does not warn again; after an hour it does.
    await receive('sam', { type: 'hangup', callId: 'f'.repeat(32) });
    expect(heard.filter((e) => e.type === 'call-warning')).toHaveLength(1);
    wait(3600_000);
    await receive('sam', { type: 'hangup', callId: '1'.repeat(32) });
    expect(heard.filter((e) => e.type === 'call-warning')).toHaveLength(2);
    // A day later the pattern has passed.
    wait(25 * 3600_000);
    expect(calls.suspicion()).toEqual({ count: 0, callers: [], warn: false });
    // Marking never rings, never reaches the app as a call event, and leaves one missed-call line.
    expect(heard.filter((e) => e.type === 'call' && e.peer === 'sam')).toEqual([]);
    calls.close();
  });
});
