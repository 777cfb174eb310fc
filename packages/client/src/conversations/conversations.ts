/**
 * Conversations as apps list them: every direct chat and group with its last
 * message, unread count and whether it is a request; and turning what a person
 * types (a username, a group name, an id) into a ConversationId.
 */
import { relationship } from '../contacts/policy.ts';
import { groupTitle } from '../groups/records.ts';
import type { ClientContext } from '../internal/context.ts';
import type { ConversationId, StoredMessage } from '../storage/records.ts';
import { directConversation, groupConversation, isConversationId, parseConversation } from './ids.ts';

export interface ConversationSummary {
  readonly id: ConversationId;
  readonly kind: 'direct' | 'group';
  /** The other person's username, or the group's name. */
  readonly title: string;
  /** For a direct chat: the other person's username. */
  readonly username?: string;
  /** For a group: its id. */
  readonly groupId?: string;
  readonly last?: StoredMessage;
  readonly unread: number;
  /** A stranger wrote first, or a stranger added us to the group: not accepted yet. */
  readonly request: boolean;
  /** False for a group we left or were removed from. */
  readonly active: boolean;
  /** A direct chat with someone we blocked (kept until deleted; nothing arrives from them). */
  readonly blocked?: boolean;
}

/** Every conversation, newest activity first. */
export function listConversations(ctx: ClientContext): ConversationSummary[] {
  const me = ctx.store.account.get();
  const by = new Map<ConversationId, { last?: StoredMessage; unread: number }>();
  for (const m of ctx.store.messages.list()) {
    const c = by.get(m.conversation) ?? { unread: 0 };
    c.last = m;
    if (m.direction === 'in' && !m.seen) c.unread++;
    by.set(m.conversation, c);
  }
  for (const g of ctx.store.groups.all()) if (g.members.length > 0 && !by.has(groupConversation(g.groupId))) by.set(groupConversation(g.groupId), { unread: 0 });
  const out: ConversationSummary[] = [];
  for (const [id, c] of by) {
    const p = parseConversation(id);
    if (p.kind === 'direct') {
      if (p.accountId === me?.accountId) continue;
      const contact = ctx.store.contacts.byId(p.accountId);
      const rel = relationship(contact, me?.accountId ?? '');
      out.push({ id, kind: 'direct', title: contact?.username ?? 'unknown', ...(contact ? { username: contact.username } : {}), ...(c.last ? { last: c.last } : {}), unread: c.unread, request: rel === 'stranger', active: true, ...(rel === 'blocked' ? { blocked: true } : {}) });
    } else {
      const g = ctx.store.groups.get(p.groupId);
      if (!g) continue;
      out.push({ id, kind: 'group', title: groupTitle(g), groupId: g.groupId, ...(c.last ? { last: c.last } : {}), unread: c.unread, request: !g.accepted && g.active, active: g.active });
    }
  }
  return out.sort((a, b) => (b.last?.rowId ?? Number.MAX_SAFE_INTEGER) - (a.last?.rowId ?? Number.MAX_SAFE_INTEGER));
}

/**
 * The conversation `ref` names: a ConversationId as is, else a username (a direct chat)
 * or the name of one of our groups. Undefined for a username we never talked to.
 */
export function findConversation(ctx: ClientContext, ref: string): ConversationId | undefined {
  if (isConversationId(ref)) return ref;
  const contact = ctx.store.contacts.byUsername(ref.toLowerCase());
  if (contact) return directConversation(contact.accountId);
  const groups = ctx.store.groups.all().filter((g) => g.name === ref || g.groupId === ref.toLowerCase());
  return groups.length === 1 ? groupConversation(groups[0]!.groupId) : undefined;
}
