/**
 * Contacts and message requests: accepting a stranger's request (they now get our
 * receipts and typing, and our profile key), deleting a conversation. Each change
 * of a contact syncs to our other devices. Blocking is blocking.ts.
 */
import { encodeContent, type Content } from '../content/codec.ts';
import { directConversation } from '../conversations/ids.ts';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { sendToAccount } from '../send/outbox.ts';
import type { Contact, ConversationId } from '../storage/records.ts';
import { shareProfileKey } from '../profiles/sharing.ts';
import { sendSync } from '../sync/sync.ts';
import { relationship } from './policy.ts';

export function contactOf(ctx: ClientContext, username: string): Contact {
  const c = ctx.store.contacts.byUsername(username.toLowerCase());
  if (!c) throw new ClientError('UNKNOWN_USER', `no conversation with ${username.toLowerCase()}`);
  return c;
}

/** True when `username` wrote to us first and we have not accepted them (a message request). */
export function isRequest(ctx: ClientContext, username: string): boolean {
  const me = ctx.store.account.get();
  return relationship(ctx.store.contacts.byUsername(username.toLowerCase()), me?.accountId ?? '') === 'stranger' && !!ctx.store.contacts.byUsername(username.toLowerCase());
}

export function syncContact(ctx: ClientContext, c: Contact): Promise<void> {
  return sendSync(ctx, { type: 'contacts', contacts: [{ accountId: c.accountId, username: c.username, accepted: !!c.accepted, blocked: !!c.blocked }] }).catch(() => undefined);
}

/** Accepts a message request: read receipts and typing now flow both ways; what was read is now told. */
export async function acceptRequest(ctx: ClientContext, username: string): Promise<void> {
  requireAccount(ctx);
  await ctx.lock.run(async () => {
    const c = contactOf(ctx, username);
    const conversation = directConversation(c.accountId);
    const incoming = ctx.store.messages.list(conversation).filter((m) => m.direction === 'in' && m.kind === 'text');
    await ctx.store.transaction(async (tx) => {
      tx.contacts.save({ ...c, accepted: true, blocked: false });
      tx.messages.markSeen(incoming.filter((m) => !m.seen).map((m) => m.rowId), ctx.now());
    });
    ctx.events.emit({ type: 'contacts' });
    await syncContact(ctx, { ...c, accepted: true, blocked: false });
    // Accepting shares our profile key, as writing to them would.
    await shareProfileKey(ctx, c.accountId).catch(() => undefined);
    if (incoming.length === 0 || ctx.store.settings.get().readReceipts === false) return;
    const content: Content = { v: 1, kind: 'receipt', id: ctx.newId(), ts: ctx.now(), receipt: 'read', ids: incoming.map((m) => m.clientId).slice(-100) };
    await sendToAccount(ctx, c.username, encodeContent(content), { timestamp: content.ts }).catch(() => undefined);
  });
}

/** Deletes a conversation's messages on this device (a request stays a request if they write again). */
export async function deleteConversation(ctx: ClientContext, conversation: ConversationId): Promise<void> {
  await ctx.lock.run(() => ctx.store.transaction(async (tx) => tx.messages.deleteConversation(conversation)));
  ctx.events.emit({ type: 'messages', conversation });
}
