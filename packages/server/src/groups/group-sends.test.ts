// Group sends through the real endpoints (HTTP and the socket's group-send frame).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Encode, groupSendRequest, serverFrame, type GroupResponse } from '@parley/wire';
import { sampleAccount } from '../storage/compliance.ts';
import { createGroup, credsFor, deviceSocket, fuzzBody, linkDevice, listeningApp, makeApp, openSocket, register, type Creds, type TestApp } from '../testing.ts';

const content = base64Encode(new Uint8Array(200).fill(9));

/** Recipients as a client computes them from the group: every member device but the sender's. */
function recipients(g: GroupResponse, sender: Pick<Creds, 'accountId' | 'deviceId'>) {
  return g.members
    .map((m) => ({ accountId: m.accountId, devices: m.devices.filter((d) => !(m.accountId === sender.accountId && d.deviceId === sender.deviceId)) }))
    .filter((r) => r.devices.length > 0);
}

const body = (rs: unknown, extra: Record<string, unknown> = {}) => ({ timestamp: 5, content, recipients: rs, ...extra });

/** The senderkey envelopes in a device's queue. */
async function groupMessages(t: TestApp, c: Pick<Creds, 'accountId' | 'deviceId'>) {
  return (await t.storage.pending(c.accountId, c.deviceId, 0, 10_000)).filter((e) => e.messageType === 'senderkey');
}

async function trio(t: TestApp) {
  const alice = await register(t, 'alice', 10);
  const bob = await register(t, 'bob', 11);
  const carol = await register(t, 'carol', 12);
  const alice2 = await linkDevice(t, alice, 60);
  const g = await createGroup(t, alice, [bob, carol]);
  return { alice, alice2, bob, carol, g, url: `/v1/groups/${g.groupId}/messages` };
}

describe('group sends over HTTP', () => {
  it("store one envelope per member device but the sender's, the sender's other devices included", async () => {
    const t = await makeApp({ now: () => 4242 });
    const { alice, alice2, bob, carol, g, url } = await trio(t);
    const r = await t.req('PUT', url, alice.headers, body(recipients(g, alice)));
    expect(r.json()).toEqual({ serverTimestamp: 4242 });
    for (const c of [alice2, bob, carol]) {
      const [m, ...more] = await groupMessages(t, c);
      expect(more).toEqual([]);
      expect(m).toMatchObject({ sourceAccountId: alice.accountId, sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 5, serverTimestamp: 4242, groupId: g.groupId, ephemeral: false });
      expect(m!.content).toEqual(new Uint8Array(200).fill(9));
    }
    expect(await groupMessages(t, alice)).toEqual([]);
  });

  it('wrong recipients get MISMATCHED_DEVICES or STALE_DEVICES, non-members NOT_FOUND; nothing is stored', async () => {
    const t = await makeApp();
    const { alice, bob, carol, g, url } = await trio(t);
    const dave = await register(t, 'dave');
    const right = recipients(g, alice);
    const code = async (who: Creds, rs: unknown, at = url) => {
      const r = await t.req('PUT', at, who.headers, body(rs));
      return [r.statusCode, r.json().error?.code];
    };
    const without = (acc: string) => right.filter((r) => r.accountId !== acc);
    expect(await code(alice, without(bob.accountId))).toEqual([409, 'MISMATCHED_DEVICES']);
    expect(await code(alice, without(alice.accountId))).toEqual([409, 'MISMATCHED_DEVICES']);
    expect(await code(alice, [...right, { accountId: dave.accountId, devices: [{ deviceId: 1, registrationId: 42 }] }])).toEqual([409, 'MISMATCHED_DEVICES']);
    expect(await code(alice, right.map((r) => (r.accountId === bob.accountId ? { ...r, devices: [...r.devices, { deviceId: 2, registrationId: 1 }] } : r)))).toEqual([409, 'MISMATCHED_DEVICES']);
    expect(await code(alice, right.map((r) => (r.accountId === alice.accountId ? { ...r, devices: [{ deviceId: 1, registrationId: 10 }] } : r)))).toEqual([409, 'MISMATCHED_DEVICES']);
    expect(await code(alice, right.map((r) => (r.accountId === carol.accountId ? { ...r, devices: [{ deviceId: 1, registrationId: 99 }] } : r)))).toEqual([410, 'STALE_DEVICES']);
    expect(await code(alice, [...right, right[0]])).toEqual([400, 'BAD_REQUEST']);
    expect(await code(dave, right)).toEqual([404, 'NOT_FOUND']);
    expect(await code(alice, right, `/v1/groups/${'ab'.repeat(16)}/messages`)).toEqual([404, 'NOT_FOUND']);
    for (const c of [bob, carol]) expect(await groupMessages(t, c)).toEqual([]);
    const err = (await t.req('PUT', url, alice.headers, body(without(bob.accountId)))).json().error;
    expect(err).toEqual({ code: 'MISMATCHED_DEVICES', message: expect.any(String) });
  });

  it('a full queue answers RATE_LIMITED and stores nothing', async () => {
    const t = await makeApp({ maxQueuedPerDevice: 2 });
    const { alice, bob, carol, g, url } = await trio(t);
    // Bob's queue holds the group's creation and one message: full.
    expect((await t.req('PUT', url, alice.headers, body(recipients(g, alice)))).statusCode).toBe(200);
    const r = await t.req('PUT', url, alice.headers, body(recipients(g, alice)));
    expect(r.json().error.code).toBe('RATE_LIMITED');
    expect(await groupMessages(t, carol)).toHaveLength(1);
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(2);
  });

  it('malformed bodies get typed errors and store nothing', async () => {
    const t = await makeApp();
    const { alice, bob, g, url } = await trio(t);
    await fuzzBody(body(recipients(g, alice)), groupSendRequest, (b) => t.req('PUT', url, alice.headers, b));
    expect(await groupMessages(t, bob)).toEqual([]);
  });

  it('a group that changes between the check and the commit is checked again: a removed member never gets the message', async () => {
    const t = await makeApp();
    const { alice, bob, carol, g, url } = await trio(t);
    const storage = t.storage;
    const read = storage.group.bind(storage);
    let removeCarol = true;
    // Carol is removed right after the send has read the group (and before it commits).
    storage.group = async (id) => {
      const before = await read(id);
      if (removeCarol) {
        removeCarol = false;
        expect((await t.req('PATCH', `/v1/groups/${g.groupId}`, alice.headers, { removeMembers: [carol.accountId] })).statusCode).toBe(200);
      }
      return before;
    };
    const r = await t.req('PUT', url, alice.headers, body(recipients(g, alice)));
    expect(r.json().error.code).toBe('MISMATCHED_DEVICES');
    expect(await groupMessages(t, carol)).toEqual([]);
    expect(await groupMessages(t, bob)).toEqual([]);
    const now = (await t.req('GET', `/v1/groups/${g.groupId}`, alice.headers)).json() as GroupResponse;
    expect((await t.req('PUT', url, alice.headers, body(recipients(now, alice)))).statusCode).toBe(200);
    expect(await groupMessages(t, bob)).toHaveLength(1);
    expect(await groupMessages(t, carol)).toEqual([]);
  });

  it('a removed member: its sends get NOT_FOUND; it hears of its removal, then no group message', async () => {
    const t = await listeningApp();
    const { alice, bob, carol, g, url } = await trio(t);
    const bobSocket = await deviceSocket(t.port, bob);
    await bobSocket.next((f) => f.type === 'queue-empty');
    const removed = await t.req('PATCH', `/v1/groups/${g.groupId}`, alice.headers, { removeMembers: [bob.accountId] });
    const after = removed.json() as GroupResponse;
    const update = serverFrame(await bobSocket.next((f) => f.type === 'envelope' && f.messageType === 'group-update' && JSON.parse(Buffer.from(f.content, 'base64').toString()).revision === 1), '');
    expect(JSON.parse(Buffer.from((update as { content: string }).content, 'base64').toString())).toEqual({ groupId: g.groupId, revision: 1, actor: alice.accountId, removed: [bob.accountId] });
    const bobSends = await t.req('PUT', url, bob.headers, body(recipients(g, bob)));
    expect([bobSends.statusCode, bobSends.json().error.code]).toEqual([404, 'NOT_FOUND']);
    // The old member list no longer fits; the new one does, and Bob gets nothing.
    expect((await t.req('PUT', url, alice.headers, body(recipients(g, alice)))).json().error.code).toBe('MISMATCHED_DEVICES');
    expect((await t.req('PUT', url, alice.headers, body(recipients(after, alice)))).statusCode).toBe(200);
    expect(await groupMessages(t, carol)).toHaveLength(1);
    expect(await groupMessages(t, bob)).toEqual([]);
    // A message sent after Bob's socket got the update would have come right behind it.
    await t.req('GET', '/healthz');
    expect(bobSocket.frames.filter((f) => f.type === 'envelope' && f.messageType === 'senderkey')).toEqual([]);
    bobSocket.ws.close();
  });

  it('a 1,024-member group of many devices: one envelope per device, answered', async () => {
    const t = await listeningApp();
    const alice = await register(t, 'alice', 10);
    const others: Creds[] = [];
    for (let i = 0; i < 1023; i++) {
      const a = sampleAccount(`member_${i}`, i);
      await t.storage.createAccount(a.account, a.device, a.keys, 1);
      others.push(credsFor(a.account.id, 1, new Uint8Array(32), a.account.username, a.device.registrationId));
    }
    // Some members have every device an account may have.
    let devices = 1023 + 1;
    for (const o of others.slice(0, 40)) {
      for (let d = 2; d <= 6; d++) {
        await t.storage.createLinkToken(o.accountId, new Uint8Array(32).fill(d), Number.MAX_SAFE_INTEGER);
        const k = sampleAccount('x', d).keys;
        expect((await t.storage.linkDevice(new Uint8Array(32).fill(d), { registrationId: 1000 + d, passwordHash: new Uint8Array(32) }, k, 1, { maxDevices: 6, maxDeviceId: 127 })).status).toBe('linked');
        devices++;
      }
    }
    const alice2 = await linkDevice(t, alice, 61);
    const g = await createGroup(t, alice, others);
    expect(g.members).toHaveLength(1024);
    // A member's device that is connected and caught up gets the message straight away.
    const listener = await deviceSocket(t.port, alice2);
    await listener.next((f) => f.type === 'queue-empty');
    const rs = recipients(g, alice);
    expect(rs.reduce((n, r) => n + r.devices.length, 0)).toBe(devices);
    const r = await t.req('PUT', `/v1/groups/${g.groupId}/messages`, alice.headers, body(rs));
    expect(r.statusCode).toBe(200);
    let stored = 0;
    for (const rec of rs) for (const d of rec.devices) stored += (await groupMessages(t, { accountId: rec.accountId, deviceId: d.deviceId })).length;
    expect(stored).toBe(devices);
    expect(serverFrame(await listener.next((f) => f.type === 'envelope' && f.messageType === 'senderkey'), '')).toMatchObject({ groupId: g.groupId, content });
    listener.ws.close();
  });
});

describe('group sends over the socket', () => {
  it('are answered per request id; refusals keep the socket open; recipients get envelopes naming the group', async () => {
    const t = await listeningApp();
    const { alice, bob, g } = await trio(t);
    const bobSocket = await deviceSocket(t.port, bob);
    const s = await deviceSocket(t.port, alice);
    s.send({ type: 'group-send', requestId: 1, groupId: g.groupId, request: body(recipients(g, alice)) });
    expect(await s.next((f) => f.requestId === 1)).toEqual({ type: 'sent', requestId: 1, serverTimestamp: expect.any(Number) });
    s.send({ type: 'group-send', requestId: 2, groupId: g.groupId, request: body(recipients(g, alice).slice(1)) });
    expect(await s.next((f) => f.requestId === 2)).toEqual({ type: 'send-failed', requestId: 2, code: 'MISMATCHED_DEVICES', message: expect.any(String) });
    s.send({ type: 'group-send', requestId: 3, groupId: 'ab'.repeat(16), request: body(recipients(g, alice)) });
    expect(await s.next((f) => f.requestId === 3)).toMatchObject({ type: 'send-failed', code: 'NOT_FOUND' });
    const env = await bobSocket.next((f) => f.type === 'envelope' && f.messageType === 'senderkey');
    expect(serverFrame(env, '')).toMatchObject({ type: 'envelope', groupId: g.groupId, sourceAccountId: alice.accountId, content });
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    const metrics = await t.app.metrics.registry.metrics();
    // One group message to three devices.
    expect(metrics).toMatch(/parley_messages_accepted_total\{transport="ws"\} 3/);
    s.ws.close();
    bobSocket.ws.close();
  });

  it('before authentication a group-send closes the socket; a malformed one is a protocol violation; nothing is stored', async () => {
    const t = await listeningApp();
    const { alice, bob, g } = await trio(t);
    const early = await openSocket(t.port);
    early.send({ type: 'group-send', requestId: 1, groupId: g.groupId, request: body(recipients(g, alice)) });
    expect(await early.closed).toBe(4401);
    const valid = body(recipients(g, alice));
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(valid), 'groupId', 'requestId'), fc.jsonValue(), async (field, value) => {
        const frame: Record<string, unknown> = { type: 'group-send', requestId: 9, groupId: g.groupId, request: { ...valid } };
        if (field === 'groupId' || field === 'requestId') frame[field] = value;
        else (frame.request as Record<string, unknown>)[field] = value;
        const s = await deviceSocket(t.port, alice);
        s.send(frame);
        const answer = await Promise.race([s.closed.then((closedWith) => ({ closedWith })), s.next((f) => f.requestId === 9).then((frame) => ({ frame }))]);
        if ('closedWith' in answer) {
          expect(answer.closedWith).toBe(4400);
          expect(s.frames.at(-1)).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });
        } else {
          // The decoder accepted the value (say, another timestamp): an ordinary answer.
          expect(['sent', 'send-failed']).toContain(answer.frame.type);
          if (answer.frame.type === 'sent') sent++;
          s.ws.close();
        }
      }),
      { numRuns: 40 },
    );
    // Only the frames answered `sent` stored anything.
    expect(await groupMessagesCount(t, bob)).toBe(sent);
  });
});

async function groupMessagesCount(t: TestApp, c: Creds) {
  return (await t.storage.pending(c.accountId, c.deviceId, 0, 10_000)).filter((e) => e.messageType === 'senderkey').length;
}
