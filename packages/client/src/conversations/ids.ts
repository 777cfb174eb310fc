/** Conversation ids: `direct:<accountId>` or `group:<groupId>`; never a username. */
import type { ConversationId } from '../storage/records.ts';

export function directConversation(accountId: string): ConversationId {
  return `direct:${accountId}`;
}

export function groupConversation(groupId: string): ConversationId {
  return `group:${groupId}`;
}

export function isConversationId(s: string): s is ConversationId {
  return /^direct:[0-9a-f-]{36}$/.test(s) || /^group:[0-9a-f]{32}$/.test(s);
}

export function parseConversation(c: ConversationId): { kind: 'direct'; accountId: string } | { kind: 'group'; groupId: string } {
  return c.startsWith('group:') ? { kind: 'group', groupId: c.slice(6) } : { kind: 'direct', accountId: c.slice(7) };
}
