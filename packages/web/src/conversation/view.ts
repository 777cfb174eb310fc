/**
 * What the conversation screen needs to know about the open conversation, read
 * from the SDK by its ConversationId: a direct chat (with the username, which calls,
 * requests and safety numbers take) or a group (its record, whether we are still a
 * member, an admin, whether it is a request). A new direct chat has an id before it
 * has a contact in the SDK; its username comes from the person who typed it (so does
 * that of a person blocked with their chat deleted, which the SDK no longer lists).
 */
import { groupTitle, parseConversation, type ConversationId, type ConversationSummary, type GroupRecord, type ParleyClient } from '@parley/client';

export type ConversationView =
  | {
      readonly kind: 'direct';
      readonly id: ConversationId;
      readonly title: string;
      readonly username: string;
      readonly request: boolean;
      /** We blocked them: the conversation shows the blocked bar instead of the composer. */
      readonly blocked: boolean;
      /**
       * What to send to: the id once the SDK knows the person; until then (a new chat)
       * the username, because the SDK can start a session only from a username.
       */
      readonly sendTo: string;
    }
  | {
      readonly kind: 'group';
      readonly id: ConversationId;
      readonly title: string;
      readonly group: GroupRecord;
      readonly request: boolean;
      /** False once we left or were removed: history stays, sending stops. */
      readonly active: boolean;
      readonly admin: boolean;
      readonly sendTo: ConversationId;
    };

/** `conversations` is `client.conversations()`, passed in because listing them reads every message. */
export function conversationView(client: ParleyClient, conversations: readonly ConversationSummary[], id: ConversationId, newChatUsername: string | undefined): ConversationView | undefined {
  const summary = conversations.find((c) => c.id === id);
  const p = parseConversation(id);
  if (p.kind === 'direct') {
    const username = summary?.username ?? newChatUsername;
    if (!username) return undefined;
    return { kind: 'direct', id, title: username, username, request: summary?.request ?? false, blocked: client.isBlocked(username), sendTo: client.conversation(username) === id ? id : username };
  }
  const group = client.groups.list().find((g) => g.groupId === p.groupId);
  if (!group) return undefined;
  const me = client.account?.accountId;
  return {
    kind: 'group',
    id,
    title: groupTitle(group),
    group,
    request: summary?.request ?? (!group.accepted && group.active),
    active: group.active,
    admin: group.active && group.members.some((m) => m.accountId === me && m.role === 'admin'),
    sendTo: id,
  };
}
