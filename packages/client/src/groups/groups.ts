/**
 * Groups as people use them: create one with a name and members, add and remove
 * members, rename, leave; admins may change membership and name (the server
 * enforces it). Membership comes from the server; the name is sealed with the
 * group's master key. Every change reaches every member as a `group-update`
 * envelope (see updates.ts), which is where the conversation's system lines come
 * from, for the one who made the change too.
 */
import { WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { hex, randomBytes } from '../internal/random.ts';
import { unknownUser } from '../sessions/sessions.ts';
import type { GroupRecord } from '../storage/records.ts';
import { MAX_GROUP_NAME_LENGTH, sealAttributes } from './attributes.ts';
import { fromServer, groupTitle, isAdmin } from './records.ts';
import { ensureSenderKey } from './sender-keys.ts';

/**
 * Our record of `groupId` brought up to the server's: membership and devices. When a
 * member or one of their devices is gone, our sender key is dropped so the next send
 * rotates it; devices that re-registered lose theirs (they get the key again).
 * NOT_FOUND means we are no longer a member. Caller holds the lock.
 */
export async function refreshGroup(ctx: ClientContext, groupId: string): Promise<GroupRecord | undefined> {
  let res;
  try {
    res = await ctx.http.group(groupId);
  } catch (e) {
    if (e instanceof WireError && e.code === 'NOT_FOUND') {
      return ctx.store.transaction(async (tx) => {
        const prev = tx.groups.get(groupId);
        if (!prev) return undefined;
        const next: GroupRecord = { ...prev, active: false, stale: false, leftAt: prev.leftAt ?? ctx.now() };
        tx.groups.save(next);
        return next;
      });
    }
    throw e;
  }
  const saved = await ctx.store.transaction(async (tx) => {
    const prev = tx.groups.get(groupId);
    let next = fromServer(prev, res);
    const gone = (prev?.members ?? []).filter((m) => !next.members.some((x) => x.accountId === m.accountId));
    if (gone.length) next = { ...next, departed: { ...(prev?.departed ?? {}), ...Object.fromEntries(gone.map((m) => [m.accountId, ctx.now()])) } };
    if (prev?.senderKey) {
      const before = new Map<string, number>(prev.members.flatMap((m) => m.devices.map((d) => [`${m.accountId}.${d.deviceId}`, d.registrationId] as const)));
      const after = new Map<string, number>(next.members.flatMap((m) => m.devices.map((d) => [`${m.accountId}.${d.deviceId}`, d.registrationId] as const)));
      const lost = [...before.keys()].some((k) => !after.has(k));
      if (lost) {
        // Why: whoever left (a member, or a member's unlinked device) must not read what comes next.
        const { senderKey: _drop, ...rest } = next;
        next = rest;
      } else {
        const reinstalled = new Set([...after].filter(([k, reg]) => before.has(k) && before.get(k) !== reg).map(([k]) => k));
        next = { ...next, senderKey: { distributionId: prev.senderKey.distributionId, sharedWith: prev.senderKey.sharedWith.filter((d) => after.has(d) && !reinstalled.has(d)) } };
      }
    }
    tx.groups.save(next);
    return next;
  });
  ctx.events.emit({ type: 'group', groupId });
  return saved;
}

/** The group named by `ref`: its id, or the name of exactly one of our groups. */
export function resolveGroup(ctx: ClientContext, ref: string): GroupRecord {
  const byId = ctx.store.groups.get(ref.toLowerCase());
  if (byId) return byId;
  const all = ctx.store.groups.all().filter((g) => g.name === ref);
  // Groups we are in come first; one we left is still found by its name (to read it, or be told we left).
  const named = all.some((g) => g.active) ? all.filter((g) => g.active) : all;
  if (named.length === 1) return named[0]!;
  if (named.length > 1) throw new ClientError('UNKNOWN_GROUP', `several of your groups are called "${ref}"; use the group id (parley groups lists them)`);
  throw new ClientError('UNKNOWN_GROUP', `you are in no group called "${ref}"; parley groups lists yours`);
}

async function accountIdOf(ctx: ClientContext, username: string): Promise<string> {
  const user = username.toLowerCase();
  const known = ctx.store.contacts.byUsername(user);
  if (known) return known.accountId;
  try {
    return (await ctx.http.lookup(user)).accountId;
  } catch (e) {
    if (e instanceof WireError && e.code === 'UNKNOWN_USER') throw unknownUser(user);
    throw e;
  }
}

function checkName(name: string): string {
  const n = name.trim();
  if (n.length === 0 || n.length > MAX_GROUP_NAME_LENGTH) throw new ClientError('SEND_FAILED', `a group name has 1 to ${MAX_GROUP_NAME_LENGTH} characters`);
  return n;
}

/** Creates a group with us as its admin; every member gets its key at once (so they see its name). */
export async function createGroup(ctx: ClientContext, name: string, usernames: readonly string[]): Promise<GroupRecord> {
  const me = requireAccount(ctx);
  const groupName = checkName(name);
  return ctx.lock.run(async () => {
    const members = [...new Set(await Promise.all(usernames.map((u) => accountIdOf(ctx, u))))].filter((id) => id !== me.accountId);
    const groupId = hex(randomBytes(16));
    const masterKey = randomBytes(32);
    const res = await ctx.http.createGroup(groupId, sealAttributes(masterKey, groupId, { name: groupName }), members);
    await ctx.store.transaction(async (tx) => tx.groups.save({ ...fromServer(undefined, res), masterKey, name: groupName, accepted: true }));
    ctx.events.emit({ type: 'group', groupId });
    await ensureSenderKey(ctx, groupId);
    return ctx.store.groups.get(groupId)!;
  });
}

async function change(ctx: ClientContext, ref: string, what: (g: GroupRecord) => Promise<Parameters<ClientContext['http']['updateGroup']>[1]>): Promise<GroupRecord> {
  const me = requireAccount(ctx);
  return ctx.lock.run(async () => {
    const g = resolveGroup(ctx, ref);
    if (!g.active) throw new ClientError('NOT_A_MEMBER', `you are no longer a member of ${groupTitle(g)}`);
    if (!isAdmin(g, me.accountId)) throw new ClientError('NOT_A_MEMBER', `only admins of ${groupTitle(g)} can change it; ask one of them`);
    try {
      await ctx.http.updateGroup(g.groupId, await what(g));
    } catch (e) {
      if (e instanceof WireError && e.code === 'FORBIDDEN') throw new ClientError('NOT_A_MEMBER', `only admins of ${groupTitle(g)} can change it; ask one of them`);
      throw e;
    }
    const next = await refreshGroup(ctx, g.groupId);
    // New members get our key (and the group's) at once, so they see its name.
    if (next?.active) await ensureSenderKey(ctx, g.groupId);
    return ctx.store.groups.get(g.groupId)!;
  });
}

export function addMembers(ctx: ClientContext, ref: string, usernames: readonly string[]): Promise<GroupRecord> {
  return change(ctx, ref, async (g) => {
    const ids = await Promise.all(usernames.map((u) => accountIdOf(ctx, u)));
    return { expectedRevision: g.revision, addMembers: ids.filter((id) => !g.members.some((m) => m.accountId === id)) };
  });
}

export function removeMembers(ctx: ClientContext, ref: string, usernames: readonly string[]): Promise<GroupRecord> {
  return change(ctx, ref, async (g) => {
    const ids = usernames.map((u) => {
      const m = g.members.find((x) => x.username === u.toLowerCase());
      if (!m) throw new ClientError('UNKNOWN_USER', `${u} is not a member of ${groupTitle(g)}`);
      return m.accountId;
    });
    return { expectedRevision: g.revision, removeMembers: ids };
  });
}

export function renameGroup(ctx: ClientContext, ref: string, name: string): Promise<GroupRecord> {
  const n = checkName(name);
  return change(ctx, ref, async (g) => {
    if (!g.masterKey) throw new ClientError('NOT_A_MEMBER', 'the group key has not arrived yet; try again in a moment');
    return { expectedRevision: g.revision, encryptedAttributes: sealAttributes(g.masterKey, g.groupId, { name: n }) };
  });
}

export function setAdmin(ctx: ClientContext, ref: string, username: string, admin: boolean): Promise<GroupRecord> {
  return change(ctx, ref, async (g) => {
    const m = g.members.find((x) => x.username === username.toLowerCase());
    if (!m) throw new ClientError('UNKNOWN_USER', `${username} is not a member of ${groupTitle(g)}`);
    return admin ? { promote: [m.accountId] } : { demote: [m.accountId] };
  });
}

/** Leaves a group: its history stays on this device, sending stops. */
export async function leaveGroup(ctx: ClientContext, ref: string): Promise<void> {
  await ctx.lock.run(async () => {
    const g = resolveGroup(ctx, ref);
    if (g.active) await ctx.http.leaveGroup(g.groupId).catch((e: unknown) => {
      if (!(e instanceof WireError && e.code === 'NOT_FOUND')) throw e;
    });
    await ctx.store.transaction(async (tx) => {
      const { senderKey: _k, ...rest } = tx.groups.get(g.groupId)!;
      tx.groups.save({ ...rest, active: false, leftAt: ctx.now() });
    });
  });
  ctx.events.emit({ type: 'group', groupId: resolveGroup(ctx, ref).groupId });
}

/** Accepts a group we were added to by someone who is not our contact. */
export async function acceptGroup(ctx: ClientContext, ref: string): Promise<void> {
  const g = resolveGroup(ctx, ref);
  await ctx.lock.run(() => ctx.store.transaction(async (tx) => tx.groups.save({ ...tx.groups.get(g.groupId)!, accepted: true })));
  ctx.events.emit({ type: 'group', groupId: g.groupId });
}

/** Our groups (active first, then those we left), for lists. */
export function listGroups(ctx: ClientContext): GroupRecord[] {
  return ctx.store.groups
    .all()
    .filter((g) => g.members.length > 0)
    .sort((a, b) => Number(b.active) - Number(a.active));
}

