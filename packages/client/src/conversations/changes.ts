/**
 * What happens to a message after it was sent: replies quote it, people react to it
 * (one emoji each, replaced or removed), and its author edits it or deletes it for
 * everyone within CHANGE_WINDOW_MS. Each change is its own encrypted content kind
 * (content/reaction.ts, edit.ts, delete.ts), sent to the conversation and, for a
 * direct chat, to our own other devices (with `to`); a group's reach our devices
 * by themselves. A change for a message we do not have (yet) is dropped.
 * This module owns applying a change to a stored message (the same code for what
 * we do here and what arrives); it does not own sending text (messages.ts).
 */
import { encodeContent, type Content } from '../content/codec.ts';
import { MAX_TEXT_LENGTH } from '../content/fields.ts';
import { MAX_QUOTE_LENGTH, type Quote } from '../content/quote.ts';
import { EMOJI_PATTERN, MAX_EMOJI_LENGTH } from '../content/reaction.ts';
import { ClientError } from '../errors.ts';
import type { ClientEvent } from '../events.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { Effects, Received } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import { DELETED_TEXT, type ConversationId, type StoredMessage } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import { findConversation } from './conversations.ts';
import { isConversationId, parseConversation } from './ids.ts';
import { sendToConversation, SENT_LOG_MS } from './messages.ts';

/** Edits and deletes for everyone are accepted this long after the message was sent (as Signal: 24 hours). */
export const CHANGE_WINDOW_MS = 24 * 3600_000;
/** Message id prefixes shorter than this are not looked up (too many would match). */
export const MIN_ID_PREFIX = 4;
/** How `inbox` and apps show a message id: its first 8 characters. */
export const SHORT_ID_LENGTH = 8;

export type MessageChange = 'reaction' | 'edit' | 'delete';

/** The short form of a message's id (unique enough to name it within a conversation). */
export function shortId(m: Pick<StoredMessage, 'clientId'>): string {
  return m.clientId.slice(0, SHORT_ID_LENGTH);
}

/** The chat message `id` (a content id or a prefix of at least 4 characters) names in `conversation` (an id, username or group name). */
export function findMessage(ctx: ClientContext, conversation: string, id: string): StoredMessage {
  const c = isConversationId(conversation) ? conversation : findConversation(ctx, conversation);
  if (!c) throw new ClientError('UNKNOWN_USER', `no conversation with ${conversation}`);
  const ref = id.toLowerCase();
  const all = ctx.store.messages.list(c).filter((m) => m.kind === 'text');
  const exact = all.find((m) => m.clientId === ref);
  if (exact) return exact;
  const matches = ref.length >= MIN_ID_PREFIX ? all.filter((m) => m.clientId.startsWith(ref)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new ClientError('UNKNOWN_MESSAGE', `several messages start with ${ref}; give more of the id (\`parley inbox\` shows them)`);
  throw new ClientError('UNKNOWN_MESSAGE', `no message ${ref} in this conversation; \`parley inbox\` shows message ids`);
}

/** The quote a reply to `m` carries: its id, author and the start of its text (or its file's name). */
export function quoteOf(m: StoredMessage): Quote {
  const text = m.deleted ? '' : m.body || (m.attachment ? `[${m.attachment.fileName ?? m.attachment.contentType}]` : '');
  return { id: m.clientId, author: m.senderAccountId, text: [...text].slice(0, MAX_QUOTE_LENGTH).join('').slice(0, MAX_QUOTE_LENGTH) };
}

// ---- applying a change (sent here or received)

function applyReaction(m: StoredMessage, author: string, emoji: string, remove: boolean, ts: number): StoredMessage | undefined {
  const current = m.reactions?.find((x) => x.author === author);
  // Why: changes can arrive out of order; a late older reaction never overrides a newer one,
  // and a late removal only takes away the emoji it names.
  if (current && current.ts > ts) return undefined;
  if (remove && current?.emoji !== emoji) return undefined;
  const rest = (m.reactions ?? []).filter((x) => x.author !== author);
  return { ...m, reactions: remove ? rest : [...rest, { author, emoji, ts }] };
}

function editable(m: StoredMessage | undefined, author: string, ts: number): m is StoredMessage {
  return !!m && m.kind === 'text' && !m.deleted && m.senderAccountId === author && ts >= m.timestamp && ts - m.timestamp <= CHANGE_WINDOW_MS;
}

function applyEdit(m: StoredMessage, text: string, ts: number): StoredMessage | undefined {
  // The newest edit wins whatever order they arrive in.
  if (m.editedAt !== undefined && m.editedAt >= ts) return undefined;
  return { ...m, body: text, edits: (m.edits ?? 0) + 1, editedAt: ts };
}

function applyDelete(m: StoredMessage): StoredMessage {
  const { attachment: _a, quote: _q, reactions: _r, ...rest } = m;
  return { ...rest, body: '', deleted: true };
}

/** Applies one change to the message it names (if we have it, in that conversation). */
function apply(tx: StoreTx, conversation: ConversationId, author: string, c: Extract<Content, { kind: MessageChange }>): ClientEvent | undefined {
  let next: StoredMessage | undefined;
  if (c.kind === 'reaction') {
    const m = tx.messages.find(c.target.author, c.target.id);
    if (!m || m.conversation !== conversation || m.kind !== 'text' || m.deleted) return undefined;
    next = applyReaction(m, author, c.emoji, !!c.remove, c.ts);
  } else {
    const m = tx.messages.find(author, c.target);
    if (!m || m.conversation !== conversation || !editable(m, author, c.ts)) return undefined;
    next = c.kind === 'edit' ? applyEdit(m, c.text, c.ts) : applyDelete(m);
  }
  if (!next) return undefined;
  tx.messages.replace(next);
  return { type: 'message-changed', change: c.kind, message: tx.messages.find(next.senderAccountId, next.clientId)!, by: author, at: c.ts };
}

/** Where a received change belongs: its conversation, or (from our own device) the direct chat it names. */
function conversationOf(r: Received & { content: { to?: string; group?: string } }): ConversationId | undefined {
  if (r.content.to !== undefined) {
    // Why: only our own devices may say which direct chat a change was made in.
    if (!r.fromSelf || r.content.group || !r.content.to.startsWith('direct:')) return undefined;
    return r.content.to as ConversationId;
  }
  // Our direct changes reach our devices with `to`; without it, only a group's.
  if (r.fromSelf && !r.group) return undefined;
  return r.conversation;
}

/** The receive handler of all three change kinds. */
export function onChange(_ctx: ClientContext, tx: StoreTx, r: Received & { readonly content: Extract<Content, { kind: MessageChange }> }, fx: Effects): void {
  const conversation = conversationOf(r);
  if (!conversation) return;
  const e = apply(tx, conversation, r.sender.accountId, r.content);
  if (e) fx.events.push(e);
};

// ---- making a change here

type ChangeBody =
  | { kind: 'reaction'; target: { author: string; id: string }; emoji: string; remove?: boolean }
  | { kind: 'edit'; target: string; text: string }
  | { kind: 'delete'; target: string };

/**
 * Sends a change to the message's conversation (and our other devices), then applies
 * it here. Resolves with the message as it is now.
 */
async function sendChange(ctx: ClientContext, message: StoredMessage, body: ChangeBody): Promise<StoredMessage> {
  const me = requireAccount(ctx);
  return ctx.lock.run(async () => {
    const conversation = message.conversation;
    const p = parseConversation(conversation);
    const content = { v: 1, id: ctx.newId(), ts: Math.max(ctx.now(), message.timestamp), ...body, ...(p.kind === 'group' ? { group: p.groupId } : {}) } as Extract<Content, { kind: MessageChange }>;
    await sendToConversation(ctx, conversation, content);
    const event = await ctx.store.transaction(async (tx) => {
      tx.sentLog.prune(ctx.now() - SENT_LOG_MS);
      const recipients = p.kind === 'group' ? tx.groups.get(p.groupId)!.members.map((m) => m.accountId) : [p.accountId];
      tx.sentLog.add({ conversation, timestamp: content.ts, content: encodeContent(content), sentAt: ctx.now(), recipients });
      return apply(tx, conversation, me.accountId, content);
    });
    if (event) ctx.events.emit(event);
    // A group's changes reach our other devices by themselves; a direct chat's are told to them.
    if (p.kind === 'direct') await sendToAccount(ctx, me.username, encodeContent({ ...content, to: conversation }), { timestamp: content.ts }).catch(() => undefined);
    return ctx.store.messages.find(message.senderAccountId, message.clientId) ?? message;
  });
}

function current(ctx: ClientContext, m: StoredMessage): StoredMessage {
  const found = ctx.store.messages.find(m.senderAccountId, m.clientId);
  if (!found || found.kind !== 'text') throw new ClientError('UNKNOWN_MESSAGE', 'that message is not on this device (any more)');
  return found;
}

/** Reacts to `message` with one emoji (replacing our earlier reaction). */
export async function react(ctx: ClientContext, message: StoredMessage, emoji: string): Promise<StoredMessage> {
  const m = current(ctx, message);
  if (emoji.length > MAX_EMOJI_LENGTH || !EMOJI_PATTERN.test(emoji)) throw new ClientError('INVALID_REACTION', 'a reaction is one emoji, like 👍 or ❤️');
  if (m.deleted) throw new ClientError('NOT_EDITABLE', 'that message was deleted');
  return sendChange(ctx, m, { kind: 'reaction', target: { author: m.senderAccountId, id: m.clientId }, emoji });
}

/** Takes our reaction to `message` away (nothing to do if we have none). */
export async function removeReaction(ctx: ClientContext, message: StoredMessage): Promise<StoredMessage> {
  const me = requireAccount(ctx);
  const m = current(ctx, message);
  const mine = m.reactions?.find((x) => x.author === me.accountId);
  if (!mine) return m;
  return sendChange(ctx, m, { kind: 'reaction', target: { author: m.senderAccountId, id: m.clientId }, emoji: mine.emoji, remove: true });
}

function requireEditable(ctx: ClientContext, m: StoredMessage): void {
  const me = requireAccount(ctx);
  if (m.senderAccountId !== me.accountId) throw new ClientError('NOT_EDITABLE', 'only its author can edit or delete a message for everyone');
  if (m.deleted) throw new ClientError('NOT_EDITABLE', 'that message was deleted');
  if (ctx.now() - m.timestamp > CHANGE_WINDOW_MS) throw new ClientError('NOT_EDITABLE', 'messages can be edited or deleted for everyone only within 24 hours of sending');
}

/** Replaces the text of our own message (within 24 hours) for everyone. */
export async function editMessage(ctx: ClientContext, message: StoredMessage, text: string): Promise<StoredMessage> {
  const m = current(ctx, message);
  requireEditable(ctx, m);
  if (text.length === 0 || text.length > MAX_TEXT_LENGTH) throw new ClientError('SEND_FAILED', `a message must be 1..${MAX_TEXT_LENGTH} characters`);
  return sendChange(ctx, m, { kind: 'edit', target: m.clientId, text });
}

/** Deletes our own message (within 24 hours) for everyone: every device shows "This message was deleted". */
export async function deleteForEveryone(ctx: ClientContext, message: StoredMessage): Promise<StoredMessage> {
  const m = current(ctx, message);
  requireEditable(ctx, m);
  return sendChange(ctx, m, { kind: 'delete', target: m.clientId });
}

/** What a message shows as text: its body, or the tombstone of a deleted one. */
export function displayText(m: StoredMessage): string {
  return m.deleted ? DELETED_TEXT : m.body;
}
