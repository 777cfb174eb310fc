/**
 * Delete for me: messages removed from this device and from our other linked
 * devices only (a `delete-for-me` sync names them by author and content id); the
 * other people in the conversation keep theirs. Any message can go, ours or
 * theirs, of any age, a "This message was deleted" tombstone included; its file
 * goes with it, and search no longer finds it. A change that arrives later for a
 * removed message (a reaction, an edit) is dropped like one for a message we never
 * had. This module owns only that; deleting for everyone is changes.ts.
 */
import { MAX_IDS_PER_MESSAGE } from '../content/fields.ts';
import type { SyncMessage } from '../content/sync.ts';
import { ClientError } from '../errors.ts';
import type { ClientEvent } from '../events.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { ConversationId, StoredMessage } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import { sendSync } from '../sync/sync.ts';

type Named = { readonly sender: string; readonly id: string };

/** Removes the named messages that are here (inside `tx`); answers one `messages` event per conversation touched. */
export function removeForMe(tx: StoreTx, named: readonly Named[]): ClientEvent[] {
  const rows: number[] = [];
  const conversations = new Set<ConversationId>();
  for (const n of named) {
    const m = tx.messages.find(n.sender, n.id);
    if (!m) continue;
    rows.push(m.rowId);
    conversations.add(m.conversation);
  }
  if (rows.length) tx.messages.remove(rows);
  return [...conversations].map((conversation) => ({ type: 'messages', conversation, removed: true }));
}

/**
 * Deletes `messages` from this device now, then tells our other devices (when that
 * fails, for instance offline, they keep their copies; this device's are gone
 * either way). UNKNOWN_MESSAGE when none of them is here any more.
 */
export async function deleteForMe(ctx: ClientContext, messages: readonly StoredMessage[]): Promise<void> {
  requireAccount(ctx);
  const named = messages.map((m) => ({ sender: m.senderAccountId, id: m.clientId }));
  await ctx.lock.run(async () => {
    const events = await ctx.store.transaction(async (tx) => removeForMe(tx, named));
    if (events.length === 0) throw new ClientError('UNKNOWN_MESSAGE', 'that message is not on this device (any more)');
    for (const e of events) ctx.events.emit(e);
    await deletedForMeSync(ctx, named);
  });
}

/** Tells our other devices to delete `named` too (in syncs of at most MAX_IDS_PER_MESSAGE); a failed one leaves their copies. */
export async function deletedForMeSync(ctx: ClientContext, named: readonly Named[]): Promise<void> {
  for (let i = 0; i < named.length; i += MAX_IDS_PER_MESSAGE) {
    const sync: SyncMessage = { type: 'delete-for-me', messages: named.slice(i, i + MAX_IDS_PER_MESSAGE) };
    await sendSync(ctx, sync).catch(() => undefined);
  }
}
