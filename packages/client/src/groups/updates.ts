/**
 * `group-update` envelopes: the server's record of a change to a group, queued in
 * order with the messages around it. Each brings our record up to date (refetched
 * from the server; a group we can no longer read is marked left) and adds a system
 * line ("alice added bob"). Whoever added us decides whether the group starts as a
 * request (added by a stranger) or not.
 */
import { base64Decode, groupUpdateEvent, type IdentifiedEnvelopeFrame, type GroupUpdateEvent } from '@parley/wire';
import type { ClientEvent } from '../events.ts';
import { groupConversation } from '../conversations/ids.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { GroupRecord } from '../storage/records.ts';
import { refreshGroup } from './groups.ts';

function parse(e: IdentifiedEnvelopeFrame): GroupUpdateEvent | undefined {
  try {
    const ev = groupUpdateEvent(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64Decode(e.content))), 'group-update');
    return ev.groupId === e.groupId ? ev : undefined;
  } catch {
    return undefined;
  }
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** "alice added bob and carl": one sentence per change, from our point of view. */
export function describeUpdate(ev: GroupUpdateEvent, name: (accountId: string) => string | undefined, meId: string, g: GroupRecord | undefined): string[] {
  const known = (id: string) => (id === meId ? 'you' : name(id));
  /** Names we know, and how many others ("bob, carl and 1,021 others"). */
  const people = (ids: readonly string[]) => {
    const named = ids.map(known).filter((x): x is string => !!x);
    const others = ids.length - named.length;
    return list(others ? [...named, `${others.toLocaleString('en-US')} ${named.length ? 'others' : others === 1 ? 'person' : 'people'}`] : named);
  };
  const who = (id: string) => known(id) ?? 'someone';
  const actor = ev.actor === meId ? 'You' : who(ev.actor);
  const lines: string[] = [];
  if (ev.created) lines.push(`${actor} created the group${g?.name ? ` "${g.name}"` : ''}`);
  if (ev.added?.length) lines.push(`${actor} added ${people(ev.added)}`);
  if (ev.removed?.length) lines.push(`${actor} removed ${people(ev.removed)}`);
  if (ev.left) lines.push(`${actor} left`);
  if (ev.promoted?.length) lines.push(`${actor} made ${list(ev.promoted.map(who))} ${ev.promoted.length > 1 ? 'admins' : 'an admin'}`);
  if (ev.demoted?.length) lines.push(`${actor} removed ${list(ev.demoted.map(who))} as admin`);
  if (ev.attributesChanged && !ev.created) lines.push(`${actor} changed the group name${g?.name ? ` to "${g.name}"` : ''}`);
  return lines;
}

/** Groups above this many members are fetched lazily after a change (one fetch per member otherwise lands at once). */
export const EAGER_REFRESH_MAX_MEMBERS = 256;

function isLarge(before: GroupRecord | undefined, ev: GroupUpdateEvent): boolean {
  return Math.max(before?.members.length ?? 0, ev.added?.length ?? 0, ev.memberCount ?? 0) > EAGER_REFRESH_MAX_MEMBERS;
}

/** Fetches a stale group after a random delay of up to 30 s (spreading a large group's members out), unless fetched before. */
function refreshLater(ctx: ClientContext, groupId: string): void {
  const t = setTimeout(() => {
    ctx.later(async () => {
      if (ctx.store.groups.get(groupId)?.stale) await refreshGroup(ctx, groupId);
    }, `refresh of group ${groupId}`);
  }, Math.floor(Math.random() * 30_000));
  (t as { unref?: () => void }).unref?.();
}

/** Handles one group-update envelope (under the lock); returns the events to emit after it committed. */
export async function onGroupUpdate(ctx: ClientContext, e: IdentifiedEnvelopeFrame): Promise<ClientEvent[]> {
  const ev = parse(e);
  if (!ev) return [];
  const me = requireAccount(ctx);
  const before = ctx.store.groups.get(ev.groupId);
  let after: GroupRecord | undefined;
  const markStale = () =>
    ctx.store.transaction(async (tx) => {
      const g: GroupRecord = { ...(tx.groups.get(ev.groupId) ?? { groupId: ev.groupId, revision: 0, members: [], active: true }), stale: true };
      tx.groups.save(g);
      return g;
    });
  if (before && before.revision >= ev.revision && !before.stale) {
    // Already fetched at (or past) this revision, e.g. while reading an earlier message.
    after = before;
  } else if (isLarge(before, ev)) {
    // Why not fetch now: every member would fetch the same large group at the same moment.
    // It is fetched before we next send, or when a timer spreads the fetches out.
    after = await markStale();
    refreshLater(ctx, ev.groupId);
  } else {
    try {
      after = await refreshGroup(ctx, ev.groupId);
    } catch {
      // Offline or the server failed: remember to refetch before the next send.
      after = await markStale();
    }
  }
  const names = new Map<string, string>([[ev.actor, e.sourceUsername]]);
  for (const m of [...(before?.members ?? []), ...(after?.members ?? [])]) names.set(m.accountId, m.username);
  const name = (id: string) => names.get(id) ?? ctx.store.contacts.byId(id)?.username;
  const lines = describeUpdate(ev, name, me.accountId, after);
  const weJoined = ev.actor !== me.accountId && (ev.created || ev.added?.includes(me.accountId)) && !before?.accepted;
  const events: ClientEvent[] = [{ type: 'group', groupId: ev.groupId }];
  await ctx.store.transaction(async (tx) => {
    const g = tx.groups.get(ev.groupId);
    if (g && weJoined) {
      // Added by a contact: a group like any other. By a stranger: a request until accepted.
      tx.groups.save({ ...g, accepted: !!tx.contacts.byId(ev.actor)?.accepted, addedBy: ev.actor });
    } else if (g && ev.actor === me.accountId && !g.accepted) tx.groups.save({ ...g, accepted: true });
    lines.forEach((body, i) => {
      const m = tx.messages.add({
        conversation: groupConversation(ev.groupId),
        direction: ev.actor === me.accountId ? 'out' : 'in',
        kind: 'system',
        clientId: `update-${ev.groupId}-${ev.revision}-${i}`,
        senderAccountId: ev.actor,
        timestamp: e.serverTimestamp,
        body,
        status: ev.actor === me.accountId ? 'sent' : 'received',
        seen: ev.actor === me.accountId,
      });
      if (m) events.push({ type: 'message', message: m });
    });
  });
  return events;
}
