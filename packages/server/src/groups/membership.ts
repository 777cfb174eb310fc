/**
 * Group membership rules, as pure functions of a group's current record and a
 * request: who may change what, what a change does to members and roles, and the
 * `group-update` event that tells members about it. No storage, no clock: the
 * plugin reads the group, plans here, and writes the plan against the revision it
 * read (storage refuses it if someone changed the group first).
 */
import { base64Encode, LIMITS, WireError, type GroupResponse, type GroupUpdateEvent, type UpdateGroupRequest } from '@parley/wire';
import type { GroupChange, GroupMemberRecord, GroupRecord, GroupRole } from '../storage/storage.ts';

/** What a change does, before it has a group id and revision. */
export type PlannedChange = Omit<GroupChange, 'groupId' | 'fromRevision'>;
/** What the event says, before it has a group id, revision and actor. */
export type PlannedEvent = Omit<GroupUpdateEvent, 'groupId' | 'revision' | 'actor'>;

export interface Plan {
  readonly change: PlannedChange;
  readonly event: PlannedEvent;
  /** Accounts joining: they must exist and have room for another group. */
  readonly joining: readonly string[];
}

/** A member of the group, or NOT_FOUND (non-members learn nothing about a group). */
export function memberOf(g: GroupRecord | undefined, accountId: string): GroupMemberRecord {
  const me = g?.members.find((m) => m.accountId === accountId);
  if (!me) throw new WireError('NOT_FOUND', 'no such group');
  return me;
}

function distinct(list: readonly string[], what: string): Set<string> {
  const s = new Set(list);
  if (s.size !== list.length) throw new WireError('BAD_REQUEST', `${what} names an account twice`);
  return s;
}

/** The members a new group starts with (the creator first, as its admin). */
export function planCreate(creator: string, others: readonly string[]): Array<{ accountId: string; role: GroupRole }> {
  distinct(others, 'members');
  if (others.includes(creator)) throw new WireError('BAD_REQUEST', 'members are the others; the creator joins as admin by creating the group');
  return [{ accountId: creator, role: 'admin' }, ...others.map((accountId) => ({ accountId, role: 'member' as const }))];
}

/** An admin's change to the group (PATCH). */
export function planUpdate(g: GroupRecord, actor: string, r: UpdateGroupRequest): Plan {
  if (memberOf(g, actor).role !== 'admin') throw new WireError('FORBIDDEN', 'only admins may change the group');
  if (r.expectedRevision !== undefined && r.expectedRevision !== g.revision) throw new WireError('CONFLICT', `the group is at revision ${g.revision}, not ${r.expectedRevision}`);
  const add = distinct(r.addMembers ?? [], 'addMembers');
  const remove = distinct(r.removeMembers ?? [], 'removeMembers');
  const promote = distinct(r.promote ?? [], 'promote');
  const demote = distinct(r.demote ?? [], 'demote');
  if (add.size + remove.size + promote.size + demote.size === 0 && !r.encryptedAttributes) throw new WireError('BAD_REQUEST', 'the request changes nothing');
  const both = (x: Set<string>, y: Set<string>) => [...x].some((id) => y.has(id));
  if (both(add, remove) || both(promote, demote) || both(remove, promote) || both(remove, demote) || both(add, demote)) {
    throw new WireError('BAD_REQUEST', 'an account appears in two lists that contradict each other');
  }
  if (remove.has(actor)) throw new WireError('BAD_REQUEST', 'to leave a group, use POST /v1/groups/:groupId/leave');
  const roleOf = new Map(g.members.map((m) => [m.accountId, m.role]));
  // Why CONFLICT: these depend on the group's state, which someone else may just have changed.
  for (const id of add) if (roleOf.has(id)) throw new WireError('CONFLICT', 'an account to add is a member already');
  for (const id of remove) if (!roleOf.has(id)) throw new WireError('CONFLICT', 'an account to remove is not a member');
  for (const id of promote) if (roleOf.get(id) === 'admin' || (!roleOf.has(id) && !add.has(id))) throw new WireError('CONFLICT', 'an account to promote is not a member, or an admin already');
  for (const id of demote) if (roleOf.get(id) !== 'admin') throw new WireError('CONFLICT', 'an account to demote is not an admin');
  const size = g.members.length + add.size - remove.size;
  if (size > LIMITS.maxGroupMembers) throw new WireError('FORBIDDEN', `a group has at most ${LIMITS.maxGroupMembers} members`);
  const admins = g.members.filter((m) => m.role === 'admin' && !remove.has(m.accountId) && !demote.has(m.accountId)).length + promote.size;
  if (admins === 0) throw new WireError('CONFLICT', 'a group needs an admin');
  const list = (s: Set<string>) => (s.size ? [...s] : undefined);
  return {
    change: {
      add: [...add].map((accountId) => ({ accountId, role: promote.has(accountId) ? 'admin' : 'member' })),
      remove: [...remove],
      roles: [...[...promote].filter((id) => !add.has(id)).map((accountId) => ({ accountId, role: 'admin' as const })), ...[...demote].map((accountId) => ({ accountId, role: 'member' as const }))],
      encryptedAttributes: r.encryptedAttributes,
    },
    event: omitEmpty({ added: list(add), removed: list(remove), promoted: list(promote), demoted: list(demote), attributesChanged: r.encryptedAttributes ? true : undefined }),
    joining: [...add],
  };
}

/** A member leaving; the last admin's leaving makes the longest-standing member admin. */
export function planLeave(g: GroupRecord, actor: string): Plan {
  const me = memberOf(g, actor);
  const rest = g.members.filter((m) => m.accountId !== actor);
  const heir = me.role === 'admin' && rest.length > 0 && !rest.some((m) => m.role === 'admin') ? rest[0]!.accountId : undefined;
  return {
    change: { add: [], remove: [actor], roles: heir ? [{ accountId: heir, role: 'admin' }] : [] },
    event: omitEmpty({ left: true, promoted: heir ? [heir] : undefined }),
    joining: [],
  };
}

function omitEmpty<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The bytes a `group-update` envelope carries: the event as UTF-8 JSON. */
export function eventContent(e: GroupUpdateEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(e));
}

/** A group as members see it (wire's groupResponse). */
export function groupJson(g: GroupRecord): Omit<GroupResponse, 'encryptedAttributes'> & { encryptedAttributes: string } {
  return {
    groupId: g.groupId,
    revision: g.revision,
    encryptedAttributes: base64Encode(g.encryptedAttributes),
    members: g.members.map((m) => ({ accountId: m.accountId, username: m.username, role: m.role, devices: m.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) })),
  };
}
