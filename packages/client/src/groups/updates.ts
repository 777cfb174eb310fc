/**
 * `group-update` envelopes: the server's record of a change to a group, queued in
 * order with the messages around it. Each brings our record up to date (refetched
 * from the server; a group we can no longer read is marked left) and adds a system
 * line ("alice added bob"). Whoever added us decides whether the group starts as a
 * request (added by a stranger) or not.
 */
import { base64Decode, groupUpdateEvent, type EnvelopeFrame, type GroupUpdateEvent } from '@parley/wire';
import type { ClientEvent } from '../events.ts';
import { groupConversation } from '../conversations/ids.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { GroupRecord } from '../storage/records.ts';
import { refreshGroup } from './groups.ts';

function parse(e: EnvelopeFrame): GroupUpdateEvent | undefined {
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
export function describeUpdate(ev: GroupUpdateEvent, name: (accountId: string) => string, meId: string, g: GroupRecord | undefined): string[] {
  const who = (id: string) => (id === meId ? 'you' : name(id));
  const actor = ev.actor === meId ? 'You' : name(ev.actor);
  const lines: string[] = [];
  if (ev.created) lines.push(`${actor} created the group${g?.name ? ` "${g.name}"` : ''}`);
  if (ev.added?.length) lines.push(`${actor} added ${list(ev.added.map(who))}`);
  if (ev.removed?.length) lines.push(`${actor} removed ${list(ev.removed.map(who))}`);
  if (ev.left) lines.push(`${actor} left`);
  if (ev.promoted?.length) lines.push(`${actor} made ${list(ev.promoted.map(who))} ${ev.promoted.length > 1 ? 'admins' : 'an admin'}`);
  if (ev.demoted?.length) lines.push(`${actor} removed ${list(ev.demoted.map(who))} as admin`);
  if (ev.attributesChanged && !ev.created) lines.push(`${actor} changed the group name${g?.name ? ` to "${g.name}"` : ''}`);
  return lines;
}

/** Handles one group-update envelope (under the lock); returns the events to emit after it committed. */
export async function onGroupUpdate(ctx: ClientContext, e: EnvelopeFrame): Promise<ClientEvent[]> {
  const ev = parse(e);
  if (!ev) return [];
  const me = requireAccount(ctx);
  const before = ctx.store.groups.get(ev.groupId);
  let after: GroupRecord | undefined;
  try {
    after = await refreshGroup(ctx, ev.groupId);
  } catch {
    // Offline or the server failed: remember to refetch before the next send.
    after = await ctx.store.transaction(async (tx) => {
      const g: GroupRecord = { ...(tx.groups.get(ev.groupId) ?? { groupId: ev.groupId, revision: 0, members: [], active: true }), stale: true };
      tx.groups.save(g);
      return g;
    });
  }
  const names = new Map<string, string>();
  for (const m of [...(before?.members ?? []), ...(after?.members ?? [])]) names.set(m.accountId, m.username);
  const name = (id: string) => names.get(id) ?? ctx.store.contacts.byId(id)?.username ?? 'someone';
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
