// Groups through the real endpoints: create, list, read, change, leave, and the
// group-update envelopes every change writes.
import { describe, expect, it } from 'vitest';
import { createGroupRequest, groupResponse, groupUpdateEvent, LIMITS, serverFrame, updateGroupRequest } from '@parley/wire';
import { sampleAccount } from '../storage/compliance.ts';
import { attrs, createGroup, deviceSocket, fuzzBody, linkDevice, listeningApp, makeApp, newGroupId, register, type Creds, type TestApp } from '../testing.ts';

/** The group-update events waiting in a device's queue, decoded (what clients read). */
async function events(t: TestApp, c: Pick<Creds, 'accountId' | 'deviceId'>) {
  const envs = await t.storage.pending(c.accountId, c.deviceId, 0, 1000);
  return envs.filter((e) => e.messageType === 'group-update').map((e) => groupUpdateEvent(JSON.parse(new TextDecoder().decode(e.content)), ''));
}

async function people(t: TestApp, ...names: string[]) {
  const out: Creds[] = [];
  for (const [i, n] of names.entries()) out.push(await register(t, n, 10 + i));
  return out;
}

describe('creating groups', () => {
  it('the creator is admin; members are listed with their devices; every member device hears of it', async () => {
    const t = await makeApp({ now: () => 777 });
    const [alice, bob, carol] = await people(t, 'alice', 'bob', 'carol');
    const alice2 = await linkDevice(t, alice!, 60);
    const g = await createGroup(t, alice!, [bob!]);
    expect(g).toMatchObject({ revision: 0, encryptedAttributes: new Uint8Array(48).fill(1) });
    expect(g.members).toEqual([
      { accountId: alice!.accountId, username: 'alice', role: 'admin', devices: [{ deviceId: 1, registrationId: 10 }, { deviceId: 2, registrationId: 60 }] },
      { accountId: bob!.accountId, username: 'bob', role: 'member', devices: [{ deviceId: 1, registrationId: 11 }] },
    ]);
    for (const c of [alice!, alice2, bob!]) expect(await events(t, c)).toEqual([{ groupId: g.groupId, revision: 0, actor: alice!.accountId, created: true, memberCount: 2 }]);
    expect(await events(t, carol!)).toEqual([]);
    const [env] = await t.storage.pending(bob!.accountId, 1, 0, 1);
    expect(env).toMatchObject({ sourceAccountId: alice!.accountId, sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 777, serverTimestamp: 777, groupId: g.groupId });
    expect((await t.req('GET', '/v1/groups', bob!.headers)).json().groups.map((x: { groupId: string }) => x.groupId)).toEqual([g.groupId]);
    expect((await t.req('GET', '/v1/groups', carol!.headers)).json()).toEqual({ groups: [] });
  });

  it('refuses an existing id, unknown members, the creator among members, and duplicates, creating nothing', async () => {
    const t = await makeApp();
    const [alice, bob, carol] = await people(t, 'alice', 'bob', 'carol');
    const g = await createGroup(t, alice!, [bob!]);
    const body = (members: string[], groupId = newGroupId()) => ({ groupId, encryptedAttributes: attrs(), members });
    const code = async (b: unknown) => {
      const r = await t.req('POST', '/v1/groups', carol!.headers, b);
      return [r.statusCode, r.json().error?.code];
    };
    expect(await code(body([], g.groupId))).toEqual([409, 'CONFLICT']);
    const unknownId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
    const lost = newGroupId();
    expect(await code(body([bob!.accountId, unknownId], lost))).toEqual([404, 'UNKNOWN_USER']);
    expect(await code(body([carol!.accountId]))).toEqual([400, 'BAD_REQUEST']);
    expect(await code(body([bob!.accountId, bob!.accountId]))).toEqual([400, 'BAD_REQUEST']);
    expect((await t.req('GET', `/v1/groups/${lost}`, bob!.headers)).statusCode).toBe(404);
    expect(await events(t, carol!)).toEqual([]);
    expect((await events(t, bob!)).length).toBe(1);
  });

  it('malformed create and update bodies get typed errors and change nothing', async () => {
    const t = await makeApp();
    const [alice, bob, carol] = await people(t, 'alice', 'bob', 'carol');
    const g = await createGroup(t, alice!, [bob!]);
    await fuzzBody({ groupId: newGroupId(), encryptedAttributes: attrs(), members: [bob!.accountId] }, createGroupRequest, (b) => t.req('POST', '/v1/groups', alice!.headers, b));
    await fuzzBody({ expectedRevision: 0, addMembers: [carol!.accountId], encryptedAttributes: attrs(2) }, updateGroupRequest, (b) => t.req('PATCH', `/v1/groups/${g.groupId}`, alice!.headers, b));
    expect((await t.req('GET', '/v1/groups', alice!.headers)).json().groups).toHaveLength(1);
    expect((await t.req('GET', `/v1/groups/${g.groupId}`, alice!.headers)).json()).toMatchObject({ revision: 0, encryptedAttributes: attrs() });
    expect((await events(t, bob!)).length).toBe(1);
  });
});

describe('reading groups', () => {
  it('members read it; non-members and unknown ids get NOT_FOUND; malformed ids BAD_REQUEST', async () => {
    const t = await makeApp();
    const [alice, bob, carol] = await people(t, 'alice', 'bob', 'carol');
    const g = await createGroup(t, alice!, [bob!]);
    expect(groupResponse((await t.req('GET', `/v1/groups/${g.groupId}`, bob!.headers)).json(), '')).toEqual(g);
    for (const [who, id] of [[carol!, g.groupId], [alice!, newGroupId()]] as const) {
      const r = await t.req('GET', `/v1/groups/${id}`, who.headers);
      expect([r.statusCode, r.json().error.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await t.req('GET', `/v1/groups/${g.groupId.toUpperCase()}`, alice!.headers)).json().error.code).toBe('BAD_REQUEST');
    expect((await t.req('GET', `/v1/groups/${g.groupId}`)).json().error.code).toBe('UNAUTHORIZED');
  });
});

describe('changing groups', () => {
  it('admins add, remove, promote, demote and set attributes; each change is one revision and one event for members old and new', async () => {
    const t = await makeApp();
    const [alice, bob, carol, dave] = await people(t, 'alice', 'bob', 'carol', 'dave');
    const g = await createGroup(t, alice!, [bob!]);
    const url = `/v1/groups/${g.groupId}`;
    const r1 = await t.req('PATCH', url, alice!.headers, { expectedRevision: 0, addMembers: [carol!.accountId, dave!.accountId], promote: [dave!.accountId], encryptedAttributes: attrs(2) });
    expect(r1.statusCode).toBe(200);
    const g1 = groupResponse(r1.json(), '');
    expect(g1.revision).toBe(1);
    expect(g1.encryptedAttributes).toEqual(new Uint8Array(48).fill(2));
    expect(g1.members.map((m) => [m.username, m.role])).toEqual([['alice', 'admin'], ['bob', 'member'], ['carol', 'member'], ['dave', 'admin']]);
    const e1 = { groupId: g.groupId, revision: 1, actor: alice!.accountId, added: [carol!.accountId, dave!.accountId], promoted: [dave!.accountId], attributesChanged: true };
    expect((await events(t, carol!)).at(-1)).toEqual(e1);
    expect((await events(t, bob!)).at(-1)).toEqual(e1);
    // Dave (now admin) removes Bob and demotes Alice: Bob hears of it, and is out.
    const r2 = await t.req('PATCH', url, dave!.headers, { removeMembers: [bob!.accountId], demote: [alice!.accountId] });
    expect(groupResponse(r2.json(), '').members.map((m) => [m.username, m.role])).toEqual([['alice', 'member'], ['carol', 'member'], ['dave', 'admin']]);
    const e2 = { groupId: g.groupId, revision: 2, actor: dave!.accountId, removed: [bob!.accountId], demoted: [alice!.accountId] };
    expect((await events(t, bob!)).at(-1)).toEqual(e2);
    expect((await events(t, alice!)).at(-1)).toEqual(e2);
    expect((await t.req('GET', url, bob!.headers)).statusCode).toBe(404);
    expect((await t.req('GET', '/v1/groups', bob!.headers)).json().groups).toEqual([]);
  });

  it('answers FORBIDDEN, NOT_FOUND, CONFLICT, UNKNOWN_USER and BAD_REQUEST as documented, changing nothing', async () => {
    const t = await makeApp();
    const [alice, bob, carol, dave] = await people(t, 'alice', 'bob', 'carol', 'dave');
    const g = await createGroup(t, alice!, [bob!]);
    const url = `/v1/groups/${g.groupId}`;
    const code = async (who: Creds, body: unknown, at = url) => {
      const r = await t.req('PATCH', at, who.headers, body);
      return [r.statusCode, r.json().error?.code];
    };
    expect(await code(bob!, { addMembers: [carol!.accountId] })).toEqual([403, 'FORBIDDEN']);
    expect(await code(carol!, { addMembers: [dave!.accountId] })).toEqual([404, 'NOT_FOUND']);
    expect(await code(alice!, { addMembers: [dave!.accountId] }, `/v1/groups/${newGroupId()}`)).toEqual([404, 'NOT_FOUND']);
    expect(await code(alice!, { expectedRevision: 3, addMembers: [carol!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { addMembers: [bob!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { removeMembers: [carol!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { promote: [carol!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { demote: [bob!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { demote: [alice!.accountId] })).toEqual([409, 'CONFLICT']);
    expect(await code(alice!, { addMembers: ['ffffffff-ffff-4fff-8fff-ffffffffffff'] })).toEqual([404, 'UNKNOWN_USER']);
    expect(await code(alice!, { removeMembers: [alice!.accountId] })).toEqual([400, 'BAD_REQUEST']);
    expect(await code(alice!, { addMembers: [carol!.accountId], demote: [carol!.accountId] })).toEqual([400, 'BAD_REQUEST']);
    expect(await code(alice!, { addMembers: [carol!.accountId, carol!.accountId] })).toEqual([400, 'BAD_REQUEST']);
    expect(await code(alice!, {})).toEqual([400, 'BAD_REQUEST']);
    expect(await code(alice!, { expectedRevision: 0 })).toEqual([400, 'BAD_REQUEST']);
    const now = groupResponse((await t.req('GET', url, alice!.headers)).json(), '');
    expect(now).toEqual(g);
    expect((await events(t, bob!)).length).toBe(1);
    // With the right revision it works.
    expect((await t.req('PATCH', url, alice!.headers, { expectedRevision: 0, promote: [bob!.accountId] })).json().revision).toBe(1);
  });

  it(`at most ${LIMITS.maxGroupMembers} members`, async () => {
    const t = await makeApp();
    const [alice, bob] = await people(t, 'alice', 'bob');
    const others = [];
    for (let i = 0; i < LIMITS.maxGroupMembers - 1; i++) {
      const a = sampleAccount(`member_${i}`, i);
      await t.storage.createAccount(a.account, a.device, a.keys, 1);
      others.push(a.account.id);
    }
    const groupId = newGroupId();
    expect((await t.req('POST', '/v1/groups', alice!.headers, { groupId, encryptedAttributes: attrs(), members: others })).statusCode).toBe(201);
    const r = await t.req('PATCH', `/v1/groups/${groupId}`, alice!.headers, { addMembers: [bob!.accountId] });
    expect([r.statusCode, r.json().error.code]).toEqual([403, 'FORBIDDEN']);
    // Making room works.
    expect((await t.req('PATCH', `/v1/groups/${groupId}`, alice!.headers, { removeMembers: [others[0]!] })).statusCode).toBe(200);
    expect((await t.req('PATCH', `/v1/groups/${groupId}`, alice!.headers, { addMembers: [bob!.accountId] })).json().members).toHaveLength(LIMITS.maxGroupMembers);
  });
});

describe('groups per account', () => {
  it(`an account is in at most ${LIMITS.maxGroupsPerAccount} groups: creating or adding beyond is FORBIDDEN`, async () => {
    const t = await makeApp();
    const [alice, bob] = await people(t, 'alice', 'bob');
    const update = { sourceAccountId: bob!.accountId, sourceUsername: 'bob', sourceDeviceId: 1, timestamp: 1, serverTimestamp: 1, content: new Uint8Array([1]) };
    for (let i = 0; i < LIMITS.maxGroupsPerAccount; i++) {
      const w = await t.storage.createGroup({ groupId: newGroupId(), encryptedAttributes: new Uint8Array(4), members: [{ accountId: bob!.accountId, role: 'admin' }] }, update, 1);
      expect(w.status).toBe('done');
    }
    const own = await t.req('POST', '/v1/groups', bob!.headers, { groupId: newGroupId(), encryptedAttributes: attrs(), members: [] });
    expect([own.statusCode, own.json().error.code]).toEqual([403, 'FORBIDDEN']);
    const invited = await t.req('POST', '/v1/groups', alice!.headers, { groupId: newGroupId(), encryptedAttributes: attrs(), members: [bob!.accountId] });
    expect([invited.statusCode, invited.json().error.code]).toEqual([403, 'FORBIDDEN']);
    const g = await createGroup(t, alice!, []);
    const added = await t.req('PATCH', `/v1/groups/${g.groupId}`, alice!.headers, { addMembers: [bob!.accountId] });
    expect([added.statusCode, added.json().error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await t.req('GET', '/v1/groups', bob!.headers)).json().groups).toHaveLength(LIMITS.maxGroupsPerAccount);
    expect((await t.req('GET', '/v1/groups', alice!.headers)).json().groups).toHaveLength(1);
  });
});

describe('leaving groups', () => {
  it("the last admin's leaving promotes the longest-standing member; the last member's deletes the group", async () => {
    const t = await makeApp();
    const [alice, bob, carol] = await people(t, 'alice', 'bob', 'carol');
    const g = await createGroup(t, alice!, [bob!, carol!]);
    const leave = (c: Creds) => t.req('POST', `/v1/groups/${g.groupId}/leave`, c.headers);
    expect((await leave(alice!)).json()).toEqual({ revision: 1 });
    const e1 = { groupId: g.groupId, revision: 1, actor: alice!.accountId, left: true, promoted: [bob!.accountId] };
    expect((await events(t, alice!)).at(-1)).toEqual(e1);
    expect((await events(t, carol!)).at(-1)).toEqual(e1);
    expect(groupResponse((await t.req('GET', `/v1/groups/${g.groupId}`, carol!.headers)).json(), '').members.map((m) => [m.username, m.role])).toEqual([
      ['bob', 'admin'],
      ['carol', 'member'],
    ]);
    expect((await leave(alice!)).json().error.code).toBe('NOT_FOUND');
    expect((await leave(carol!)).json()).toEqual({ revision: 2 });
    expect((await events(t, bob!)).at(-1)).toEqual({ groupId: g.groupId, revision: 2, actor: carol!.accountId, left: true });
    expect((await leave(bob!)).json()).toEqual({ revision: 3 });
    expect((await events(t, bob!)).at(-1)).toMatchObject({ revision: 3, left: true });
    expect((await t.req('GET', `/v1/groups/${g.groupId}`, bob!.headers)).json().error.code).toBe('NOT_FOUND');
  });
});

describe('group-update envelopes on the socket', () => {
  it('arrive with their groupId, in queue order with messages, and decode with the client frame decoder', async () => {
    const t = await listeningApp();
    const [alice, bob] = await people(t, 'alice', 'bob');
    const s = await deviceSocket(t.port, bob!);
    await s.next((f) => f.type === 'queue-empty');
    const g = await createGroup(t, alice!, [bob!]);
    const f = await s.next((x) => x.type === 'envelope');
    const decoded = serverFrame(f, '');
    expect(decoded).toMatchObject({ type: 'envelope', messageType: 'group-update', groupId: g.groupId, sourceAccountId: alice!.accountId });
    s.ws.close();
  });
});
