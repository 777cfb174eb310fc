/**
 * Blocking: a blocked person's messages and calls are dropped from then on (the
 * receive pipeline asks `contacts/policy.ts`), they are not told, and our profile
 * key is rotated so they lose our profile. The conversation stays, as in Signal and
 * WhatsApp, unless the user asks to delete it too; writing to or calling a blocked
 * person is refused until they are unblocked. Each change syncs to our other devices.
 */
import { directConversation } from '../conversations/ids.ts';
import { deletedForMeSync, removeForMe } from '../conversations/delete-for-me.ts';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { rotateProfileKey, shareProfileKey } from '../profiles/sharing.ts';
import type { Contact } from '../storage/records.ts';
import { contactOf, syncContact } from './contacts.ts';

export interface BlockOptions {
  /** Also delete the conversation, here and on our other devices (their files go with it). */
  readonly deleteChat?: boolean;
}

/** Blocks `username`: their messages and calls are dropped from now on; the conversation stays unless `deleteChat`. */
export async function blockContact(ctx: ClientContext, username: string, opts: BlockOptions = {}): Promise<void> {
  requireAccount(ctx);
  await ctx.lock.run(async () => {
    const c = contactOf(ctx, username);
    const blocked: Contact = { ...c, accepted: false, blocked: true };
    const doomed = opts.deleteChat ? ctx.store.messages.list(directConversation(c.accountId)).map((m) => ({ sender: m.senderAccountId, id: m.clientId })) : [];
    const events = await ctx.store.transaction(async (tx) => {
      tx.contacts.save(blocked);
      return removeForMe(tx, doomed);
    });
    ctx.events.emit({ type: 'contacts' });
    for (const e of events) ctx.events.emit(e);
    await syncContact(ctx, blocked);
    await deletedForMeSync(ctx, doomed);
    // They may hold our profile key: a new one, shared with everyone else, locks them out of our profile.
    // If the upload fails, the new key is kept and uploaded on the next connect.
    await rotateProfileKey(ctx).catch((e: unknown) => ctx.events.emit({ type: 'background-error', task: 'profile key rotation', error: e instanceof Error ? e.message : String(e) }));
  });
}

/** Unblocks `username` (they are a contact again, and get our profile key). */
export async function unblockContact(ctx: ClientContext, username: string): Promise<void> {
  requireAccount(ctx);
  await ctx.lock.run(async () => {
    const c = contactOf(ctx, username);
    const unblocked: Contact = { ...c, accepted: true, blocked: false };
    await ctx.store.transaction(async (tx) => tx.contacts.save(unblocked));
    ctx.events.emit({ type: 'contacts' });
    await syncContact(ctx, unblocked);
    await shareProfileKey(ctx, c.accountId).catch(() => undefined);
  });
}

/** BLOCKED when we blocked `accountId`: nothing is written to or rung at a blocked person. */
export function refuseIfBlocked(ctx: ClientContext, accountId: string): void {
  const c = ctx.store.contacts.byId(accountId);
  if (c?.blocked) throw new ClientError('BLOCKED', `you blocked ${c.username}; unblock them to write to or call them`, { username: c.username });
}
