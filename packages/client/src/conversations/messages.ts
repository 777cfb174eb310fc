/**
 * Chat messages in conversations: sending text, or an uploaded attachment with a
 * caption (to a person, to every device of theirs and to our other devices; or to
 * a group), receiving it, delivery and
 * read receipts, typing, and marking what the user has seen. Receipts and typing
 * go only to contacts and accepted groups (contacts/policy.ts).
 */
import { refuseIfBlocked } from '../contacts/blocking.ts';
import type { AttachmentPointer } from '../content/attachment.ts';
import type { Quote } from '../content/quote.ts';
import { encodeContent, type Content } from '../content/codec.ts';
import { MAX_IDS_PER_MESSAGE, MAX_TEXT_LENGTH } from '../content/fields.ts';
import { groupAccepted, policy } from '../contacts/policy.ts';
import { ClientError } from '../errors.ts';
import { sendToGroup } from '../groups/send.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import { establish } from '../sessions/sessions.ts';
import { shareProfileKey } from '../profiles/sharing.ts';
import type { AttachmentState, ConversationId, StoredMessage } from '../storage/records.ts';
import { sendSync, syncSent } from '../sync/sync.ts';
import { expiryFields, timerOf } from '../disappearing/disappearing.ts';
import { directConversation, isConversationId, parseConversation } from './ids.ts';

/** Sent content is kept this long for retry requests. */
export const SENT_LOG_MS = 24 * 3600_000;
/** Groups larger than this get no delivery receipts (a receipt storm per message otherwise). */
export const MAX_GROUP_FOR_RECEIPTS = 256;

/** The conversation for `to` (a ConversationId or a username), starting a session with a new person. Caller holds the lock. */
async function target(ctx: ClientContext, to: string): Promise<ConversationId> {
  let conversation: ConversationId;
  if (isConversationId(to)) conversation = to;
  else {
    const user = to.toLowerCase();
    if (!ctx.store.contacts.byUsername(user)) await establish(ctx, user);
    conversation = directConversation(ctx.store.contacts.byUsername(user)!.accountId);
  }
  // Before anything is uploaded or stored: a blocked person is written to only after unblocking.
  const p = parseConversation(conversation);
  if (p.kind === 'direct') refuseIfBlocked(ctx, p.accountId);
  return conversation;
}

function usernameOf(ctx: ClientContext, accountId: string): string {
  const c = ctx.store.contacts.byId(accountId);
  if (!c) throw new ClientError('UNKNOWN_USER', 'no such conversation');
  return c.username;
}

/** Sends encoded content to a conversation. Caller holds the lock. */
export async function sendToConversation(ctx: ClientContext, conversation: ConversationId, content: Content, opts: { ephemeral?: boolean } = {}): Promise<void> {
  const p = parseConversation(conversation);
  const plaintext = encodeContent(content);
  if (p.kind === 'group') await sendToGroup(ctx, p.groupId, plaintext, { timestamp: content.ts, ...opts });
  else {
    refuseIfBlocked(ctx, p.accountId);
    await sendToAccount(ctx, usernameOf(ctx, p.accountId), plaintext, { timestamp: content.ts, ...opts });
  }
}

/** The conversation `to` names (a ConversationId, or a username: a session is started with a new person). */
export function resolveTarget(ctx: ClientContext, to: string): Promise<ConversationId> {
  requireAccount(ctx);
  return ctx.lock.run(() => target(ctx, to));
}

/** Sends a text message; resolves when the server has stored it for every device. */
export async function sendText(ctx: ClientContext, to: string, text: string): Promise<StoredMessage> {
  if (text.length === 0) throw new ClientError('SEND_FAILED', `a message must be 1..${MAX_TEXT_LENGTH} characters`);
  return sendMessage(ctx, to, text);
}

/**
 * Sends a message: text, or an uploaded attachment with an optional caption (`state`:
 * what this device holds of it). `id` is the message's content id (the caller may need
 * it beforehand). Resolves when the server has stored it for every device.
 */
export async function sendMessage(
  ctx: ClientContext,
  to: string,
  text: string,
  attachment?: { readonly pointer: AttachmentPointer; readonly state: AttachmentState },
  id: string = ctx.newId(),
  quote?: Quote,
): Promise<StoredMessage> {
  const me = requireAccount(ctx);
  if (text.length > MAX_TEXT_LENGTH || (text.length === 0 && !attachment)) throw new ClientError('SEND_FAILED', `a message must be 1..${MAX_TEXT_LENGTH} characters`);
  return ctx.lock.run(async () => {
    const conversation = await target(ctx, to);
    const p = parseConversation(conversation);
    const expire = timerOf(ctx, conversation);
    const content: Content = {
      v: 1,
      kind: 'text',
      id,
      ts: ctx.now(),
      text,
      ...(p.kind === 'group' ? { group: p.groupId } : {}),
      ...(attachment ? { attachment: attachment.pointer } : {}),
      ...(quote ? { quote } : {}),
      ...(expire ? { expire } : {}),
    };
    await sendToConversation(ctx, conversation, content);
    const stored = await ctx.store.transaction(async (tx) => {
      if (p.kind === 'direct') {
        const contact = tx.contacts.byId(p.accountId)!;
        // Writing to someone is consent: they are a contact from now on.
        if (!contact.accepted) tx.contacts.save({ ...contact, accepted: true, blocked: false });
      } else {
        const g = tx.groups.get(p.groupId)!;
        if (!g.accepted) tx.groups.save({ ...g, accepted: true });
      }
      tx.sentLog.prune(ctx.now() - SENT_LOG_MS);
      const recipients = p.kind === 'group' ? tx.groups.get(p.groupId)!.members.map((m) => m.accountId) : [p.accountId];
      tx.sentLog.add({ conversation, timestamp: content.ts, content: encodeContent(content), sentAt: ctx.now(), recipients });
      return tx.messages.add({
        conversation,
        direction: 'out',
        kind: 'text',
        clientId: content.id,
        senderAccountId: me.accountId,
        timestamp: content.ts,
        body: text,
        status: 'sent',
        ...(attachment ? { attachment: { ...attachment.pointer, state: attachment.state } } : {}),
        ...(quote ? { quote } : {}),
        ...expiryFields(expire, content.ts),
      })!;
    });
    // A group message reaches our other devices by itself; a direct one is told to them.
    if (p.kind === 'direct') await syncSent(ctx, conversation, content.id, content.ts, text, attachment?.pointer, quote, expire || undefined).catch(() => undefined);
    // Writing to someone shares our profile key with them (once per key; retried with the next message if it fails).
    if (p.kind === 'direct') await shareProfileKey(ctx, p.accountId).catch(() => undefined);
    return stored;
  });
}

/** Whether we tell the other side about reading and typing in this conversation. */
function tellsConversation(ctx: ClientContext, conversation: ConversationId): boolean {
  const p = parseConversation(conversation);
  if (p.kind === 'group') return groupAccepted(ctx.store.groups.get(p.groupId));
  const me = ctx.store.account.get();
  const c = ctx.store.contacts.byId(p.accountId);
  return !!c?.accepted && !c.blocked && c.accountId !== me?.accountId;
}

async function sendReceipt(ctx: ClientContext, accountId: string, receipt: 'delivered' | 'read', ids: readonly string[]): Promise<void> {
  const c = ctx.store.contacts.byId(accountId);
  if (!c || ids.length === 0) return;
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
    const content: Content = { v: 1, kind: 'receipt', id: ctx.newId(), ts: ctx.now(), receipt, ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) };
    await sendToAccount(ctx, c.username, encodeContent(content), { timestamp: content.ts });
  }
}

export const onText: ContentHandler<'text'> = (ctx, tx, r, fx) => {
  // Our own direct messages reach our other devices as sync messages, not as text.
  if (r.fromSelf && !r.group) return;
  const m = tx.messages.add({
    conversation: r.conversation,
    direction: r.fromSelf ? 'out' : 'in',
    kind: 'text',
    clientId: r.content.id,
    senderAccountId: r.sender.accountId,
    timestamp: r.content.ts,
    body: r.content.text,
    status: r.fromSelf ? 'sent' : 'received',
    // Stored for anyone we keep messages from; downloaded only for contacts (attachments/).
    ...(r.content.attachment ? { attachment: { ...r.content.attachment, state: 'remote' as const } } : {}),
    ...(r.content.quote ? { quote: r.content.quote } : {}),
    // A received message's clock starts when it is read here; ours (from another of our devices, in a group) when sent.
    ...expiryFields(r.content.expire, r.fromSelf ? r.content.ts : undefined),
  });
  if (!m) return;
  fx.events.push({ type: 'message', message: m });
  if (r.fromSelf) return;
  // Delivery receipts go to anyone we keep messages from (as Signal does); read receipts only to contacts.
  const deliver = r.group ? r.group.members.length <= MAX_GROUP_FOR_RECEIPTS : policy.keepsMessages(r.relationship);
  if (deliver) fx.after.push(() => sendReceipt(ctx, r.sender.accountId, 'delivered', [m.clientId]));
};

/** Read receipts on (the default): we send them and show others'. */
export function readReceiptsOn(ctx: ClientContext): boolean {
  return ctx.store.settings.get().readReceipts !== false;
}

export const onReceipt: ContentHandler<'receipt'> = (ctx, tx, r, fx) => {
  if (r.group) return;
  // Why: with read receipts off we show no one's, as Signal does (delivery ticks still show).
  if (r.content.receipt === 'read' && tx.settings.get().readReceipts === false) return;
  const me = requireAccount(ctx);
  // Ticks only move forward: a late "delivered" never undoes "read".
  const rank: Record<string, number> = { sending: 0, sent: 1, delivered: 2, read: 3, received: 0 };
  const ids = r.content.ids.filter((id) => {
    const m = tx.messages.find(me.accountId, id);
    return m && m.direction === 'out' && rank[m.status]! < rank[r.content.receipt]!;
  });
  tx.messages.setStatus(me.accountId, ids, r.content.receipt);
  fx.events.push({ type: 'receipt', from: r.sender.username, receipt: r.content.receipt, ids: r.content.ids });
};

export const onTyping: ContentHandler<'typing'> = (_ctx, _tx, r, fx) => {
  if (r.fromSelf) return;
  if (r.group ? !groupAccepted(r.group) : !policy.showsTyping(r.relationship)) return;
  fx.events.push({ type: 'typing', from: r.sender.username, conversation: r.conversation, typing: r.content.typing === 'started' });
};

/** Tells the other side (a contact, or an accepted group) that we started or stopped typing. */
export async function sendTyping(ctx: ClientContext, to: string, started: boolean): Promise<void> {
  requireAccount(ctx);
  await ctx.lock
    .run(async () => {
      const conversation = isConversationId(to) ? to : ctx.store.contacts.byUsername(to.toLowerCase()) ? directConversation(ctx.store.contacts.byUsername(to.toLowerCase())!.accountId) : undefined;
      if (!conversation || !tellsConversation(ctx, conversation)) return;
      const p = parseConversation(conversation);
      const content: Content = { v: 1, kind: 'typing', id: ctx.newId(), ts: ctx.now(), typing: started ? 'started' : 'stopped', ...(p.kind === 'group' ? { group: p.groupId } : {}) };
      // Ephemeral: a typing notice is worthless minutes later.
      await sendToConversation(ctx, conversation, content, { ephemeral: true });
    })
    .catch(() => undefined);
}

/**
 * The user has seen `conversation`: marks its incoming messages seen, tells the senders
 * (read receipts, unless it is a request) and our other devices.
 */
export async function markRead(ctx: ClientContext, conversation: ConversationId): Promise<void> {
  const unseen = ctx.store.messages.list(conversation, true);
  if (unseen.length === 0) return;
  await ctx.lock.run(async () => {
    await ctx.store.transaction(async (tx) => tx.messages.markSeen(unseen.map((m) => m.rowId), ctx.now()));
    const texts = unseen.filter((m) => m.kind === 'text');
    await sendSync(ctx, { type: 'read', read: texts.slice(-MAX_IDS_PER_MESSAGE).map((m) => ({ sender: m.senderAccountId, id: m.clientId })) }).catch(() => undefined);
    // Why: until a message request is accepted, the stranger learns nothing about reading;
    // with read receipts off, nobody does.
    if (!tellsConversation(ctx, conversation) || !readReceiptsOn(ctx)) return;
    const bySender = new Map<string, string[]>();
    for (const m of texts) bySender.set(m.senderAccountId, [...(bySender.get(m.senderAccountId) ?? []), m.clientId]);
    for (const [sender, ids] of bySender) await sendReceipt(ctx, sender, 'read', ids.slice(-MAX_IDS_PER_MESSAGE)).catch(() => undefined);
  });
}

/** Marks messages seen on this device only (the CLI's inbox). */
export async function markSeen(ctx: ClientContext, messages: readonly StoredMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await ctx.lock.run(() => ctx.store.transaction(async (tx) => tx.messages.markSeen(messages.map((m) => m.rowId), ctx.now())));
}
