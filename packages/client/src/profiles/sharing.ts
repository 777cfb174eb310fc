/**
 * Who gets our profile key, and what we do with the keys others send us. Like
 * Signal: writing to someone or accepting their request shares our key with them
 * (end-to-end encrypted, `profile-key` content); a stranger's request does not get
 * it until we accept. Blocking someone rotates the key: a new key, our profile
 * sealed and uploaded again under it (new version, new access key), and the new key
 * sent to the contacts who remain and to our other devices, so the blocked person
 * can neither read our profile any more nor derive our access key. A key a contact
 * sends us is kept on their contact record.
 */
import { encodeContent, type Content } from '../content/codec.ts';
import { relationship } from '../contacts/policy.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { randomBytes } from '../internal/random.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import { ownProfileKey, PROFILE_KEY_BYTES, replaceOwnKey, sameKey } from './profile-key.ts';
import { publishProfile } from './publish.ts';

/** Sends our current profile key to `accountId` unless they have it; contacts only. Caller holds the lock. */
export async function shareProfileKey(ctx: ClientContext, accountId: string): Promise<void> {
  const me = requireAccount(ctx);
  const c = ctx.store.contacts.byId(accountId);
  if (!c || c.profileKeyShared || relationship(c, me.accountId) !== 'contact') return;
  const key = await ownProfileKey(ctx);
  const content: Content = { v: 1, kind: 'profile-key', id: ctx.newId(), ts: ctx.now(), key };
  await sendToAccount(ctx, c.username, encodeContent(content), { timestamp: content.ts });
  await ctx.store.transaction(async (tx) => {
    const cur = tx.contacts.byId(accountId);
    if (cur && sameKey(tx.profile.get()?.key, key)) tx.contacts.save({ ...cur, profileKeyShared: true });
  });
}

/**
 * Sends our profile key again to every contact who lacks it (after a rotation, or
 * to tell them our profile changed). A contact it cannot reach now gets it with our
 * next message to them. Caller holds the lock.
 */
export async function shareWithContacts(ctx: ClientContext): Promise<void> {
  const me = requireAccount(ctx);
  for (const c of ctx.store.contacts.all()) {
    if (relationship(c, me.accountId) === 'contact') await shareProfileKey(ctx, c.accountId).catch(() => undefined);
  }
}

/** After blocking someone: a new key, the profile uploaded under it, shared with the rest. Caller holds the lock. */
export async function rotateProfileKey(ctx: ClientContext): Promise<void> {
  requireAccount(ctx);
  const p = ctx.store.profile.get();
  // Nobody has a key that was never made.
  if (!p) return;
  await ctx.store.transaction(async (tx) => replaceOwnKey(tx, { ...tx.profile.get()!, key: randomBytes(PROFILE_KEY_BYTES), createdAt: Math.max(ctx.now(), p.createdAt + 1), uploaded: false }));
  ctx.events.emit({ type: 'profile-changed', accountId: requireAccount(ctx).accountId, username: requireAccount(ctx).username });
  await publishProfile(ctx, { sync: true });
  await shareWithContacts(ctx);
}

/** The handler for `profile-key` content; `refresh` fetches a contact's profile (after the commit, under the lock). */
export function profileKeyHandler(refresh: (accountId: string) => Promise<unknown>): ContentHandler<'profile-key'> {
  return (_ctx, tx, r, fx) => {
    // Our own devices send it as a sync message; keys travel 1:1, never through a group.
    if (r.fromSelf || r.viaSenderKey) return;
    const c = tx.contacts.byId(r.sender.accountId);
    if (!c) return;
    if (!sameKey(c.profileKey, r.content.key)) {
      // A new key: what we knew of their profile was under the old one.
      const { profileName: _old, ...rest } = c;
      tx.contacts.save({ ...rest, profileKey: r.content.key });
      fx.events.push({ type: 'profile-changed', accountId: c.accountId, username: c.username });
    }
    // The same key again means their profile changed: fetch it (after the commit).
    fx.after.push(() => refresh(c.accountId).then(() => undefined));
  };
}
