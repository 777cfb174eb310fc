/**
 * Keeping an account's devices in step: what we send, read, accept, block or delete for ourselves on one
 * device is told to our other devices (end-to-end encrypted, 1:1 to each), and a
 * newly linked device gets our contacts (with their profile keys), groups and our
 * profile key. Sync messages are accepted
 * only from our own account.
 */
import type { AttachmentPointer } from '../content/attachment.ts';
import type { Quote } from '../content/quote.ts';
import { encodeContent, type Content } from '../content/codec.ts';
import { MAX_SYNC_ITEMS, type SyncMessage } from '../content/sync.ts';
import { parseConversation } from '../conversations/ids.ts';
import { withMasterKey } from '../groups/records.ts';
import { refreshGroup } from '../groups/groups.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import type { ConversationId } from '../storage/records.ts';
import { expiryFields } from '../disappearing/disappearing.ts';
import { adoptProfileKey } from '../profiles/adopt.ts';
import { removeForMe } from '../conversations/delete-for-me.ts';
import { sameKey } from '../profiles/profile-key.ts';

/** Sends `sync` to our other devices (none: nothing happens). Caller holds the lock. */
export async function sendSync(ctx: ClientContext, sync: SyncMessage, id = ctx.newId(), ts = ctx.now()): Promise<void> {
  const me = requireAccount(ctx);
  const content: Content = { v: 1, kind: 'sync', id, ts, sync };
  await sendToAccount(ctx, me.username, encodeContent(content), { timestamp: ts });
}

/** A message we sent (with its attachment's pointer), for our other devices' history. */
export function syncSent(ctx: ClientContext, to: ConversationId, id: string, ts: number, text: string, attachment?: AttachmentPointer, quote?: Quote, expire?: number): Promise<void> {
  const p = parseConversation(to);
  const username = p.kind === 'direct' ? ctx.store.contacts.byId(p.accountId)?.username : undefined;
  return sendSync(ctx, { type: 'sent', to, text, ...(username ? { username } : {}), ...(attachment ? { attachment } : {}), ...(quote ? { quote } : {}), ...(expire ? { expire } : {}) }, id, ts);
}

/** Everything a newly linked device should know: our contacts and groups (with their keys). */
export async function syncEverything(ctx: ClientContext): Promise<void> {
  const me = requireAccount(ctx);
  const contacts = ctx.store.contacts
    .all()
    .filter((c) => c.accountId !== me.accountId)
    .map((c) => ({ accountId: c.accountId, username: c.username, accepted: !!c.accepted, blocked: !!c.blocked, ...(c.profileKey ? { profileKey: c.profileKey } : {}) }));
  for (let i = 0; i < contacts.length || i === 0; i += MAX_SYNC_ITEMS) await sendSync(ctx, { type: 'contacts', contacts: contacts.slice(i, i + MAX_SYNC_ITEMS) });
  const groups = ctx.store.groups
    .all()
    .filter((g) => g.active && g.masterKey)
    .map((g) => ({ groupId: g.groupId, masterKey: g.masterKey! }));
  for (let i = 0; i < groups.length; i += MAX_SYNC_ITEMS) await sendSync(ctx, { type: 'groups', groups: groups.slice(i, i + MAX_SYNC_ITEMS) });
  await sendSync(ctx, { type: 'settings', readReceipts: ctx.store.settings.get().readReceipts !== false });
  const profile = ctx.store.profile.get();
  if (profile) await sendSync(ctx, { type: 'profile-key', key: profile.key, createdAt: profile.createdAt });
}

export const onSync: ContentHandler<'sync'> = (ctx, tx, r, fx) => {
  // Why: only our own devices may tell us what we sent, read, or who our contacts are.
  if (!r.fromSelf || r.viaSenderKey) return;
  const me = requireAccount(ctx);
  const s = r.content.sync;
  switch (s.type) {
    case 'sent': {
      const to = s.to as ConversationId;
      const p = parseConversation(to);
      if (p.kind === 'direct' && s.username) {
        const c = tx.contacts.byId(p.accountId);
        // Writing to someone is consent, on every device of ours.
        tx.contacts.save({ ...(c ?? {}), accountId: p.accountId, username: s.username, deviceIds: c?.deviceIds ?? [], accepted: true, blocked: false });
      }
      if (p.kind === 'group' && !tx.groups.get(p.groupId)?.active) return;
      const m = tx.messages.add({
        conversation: to,
        direction: 'out',
        kind: 'text',
        clientId: r.content.id,
        senderAccountId: me.accountId,
        timestamp: r.content.ts,
        body: s.text,
        status: 'sent',
        ...(s.attachment ? { attachment: { ...s.attachment, state: 'remote' as const } } : {}),
        ...(s.quote ? { quote: s.quote } : {}),
        // Our own message: its clock started when it was sent.
        ...expiryFields(s.expire, r.content.ts),
      });
      if (m) fx.events.push({ type: 'message', message: m });
      return;
    }
    case 'read': {
      const rows: number[] = [];
      const conversations = new Set<ConversationId>();
      for (const x of s.read) {
        const m = tx.messages.find(x.sender, x.id);
        if (m && !m.seen) {
          rows.push(m.rowId);
          conversations.add(m.conversation);
        }
      }
      tx.messages.markSeen(rows, ctx.now());
      for (const c of conversations) fx.events.push({ type: 'messages', conversation: c });
      return;
    }
    case 'contacts': {
      for (const c of s.contacts) {
        if (c.accountId === me.accountId) continue;
        const prev = tx.contacts.byId(c.accountId);
        // A profile key the contact shared with another device of ours; a new one voids the name we knew.
        const { profileName, ...kept } = prev ?? { profileName: undefined };
        const newKey = !!c.profileKey && !sameKey(prev?.profileKey, c.profileKey);
        tx.contacts.save({
          ...kept,
          ...(profileName && !newKey ? { profileName } : {}),
          ...(c.profileKey ? { profileKey: c.profileKey } : {}),
          accountId: c.accountId,
          username: c.username,
          deviceIds: prev?.deviceIds ?? [],
          accepted: c.accepted,
          blocked: c.blocked,
        });
        if (newKey) fx.events.push({ type: 'profile-changed', accountId: c.accountId, username: c.username });
      }
      fx.events.push({ type: 'contacts' });
      return;
    }
    case 'settings': {
      tx.settings.save({ ...tx.settings.get(), readReceipts: s.readReceipts });
      fx.events.push({ type: 'settings' });
      return;
    }
    case 'profile-key': {
      adoptProfileKey(ctx, tx, s, fx);
      return;
    }
    case 'delete-for-me': {
      fx.events.push(...removeForMe(tx, s.messages));
      return;
    }
    case 'groups': {
      for (const x of s.groups) {
        const g = tx.groups.get(x.groupId);
        tx.groups.save(withMasterKey(g ?? { groupId: x.groupId, revision: 0, members: [], active: true, stale: true, accepted: true }, x.masterKey));
        if (!g || g.stale || g.members.length === 0) fx.after.push(async () => void (await refreshGroup(ctx, x.groupId)));
        fx.events.push({ type: 'group', groupId: x.groupId });
      }
      return;
    }
  }
};
