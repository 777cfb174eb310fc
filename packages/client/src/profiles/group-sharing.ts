/**
 * Our profile key for the members of our groups, as Signal shares it: every member of
 * a group we accepted (created, were added to by a contact, accepted, or wrote in)
 * gets it, contact or not, so they can derive our access key and send group messages
 * to us sealed (sealed/group-send.ts), and read our profile name. It goes 1:1 (the
 * `profile-key` content sharing.ts sends to contacts), once per key: the contact
 * record's `profileKeyShared` says who has the current one. When we create or accept
 * a group, are added to one or someone is added, the members who lack it get it; after
 * a rotation (blocking someone) everyone who remains gets the new one, and a blocked
 * person never does. A group that is still a request (added by a stranger) gets
 * nothing until accepted.
 */
import { encodeContent, type Content } from '../content/codec.ts';
import { relationship } from '../contacts/policy.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { sendToAccount } from '../send/outbox.ts';
import { ownProfileKey, sameKey } from './profile-key.ts';

/** Sends our profile key to each member of `groupId` who lacks it (not blocked people, not in a group we have not accepted). Caller holds the lock. */
export async function shareWithGroup(ctx: ClientContext, groupId: string): Promise<void> {
  const me = requireAccount(ctx);
  const g = ctx.store.groups.get(groupId);
  if (!g?.active || !g.accepted) return;
  for (const m of g.members) {
    if (m.accountId === me.accountId) continue;
    const c = ctx.store.contacts.byId(m.accountId);
    if (c?.profileKeyShared || relationship(c, me.accountId) === 'blocked') continue;
    const key = await ownProfileKey(ctx);
    const content: Content = { v: 1, kind: 'profile-key', id: ctx.newId(), ts: ctx.now(), key };
    try {
      await sendToAccount(ctx, m.username, encodeContent(content), { timestamp: content.ts });
    } catch {
      // Unreachable now (or their identity changed): they get it with the next share; the others still do.
      continue;
    }
    await ctx.store.transaction(async (tx) => {
      const cur = tx.contacts.byId(m.accountId);
      // Why the key check: a rotation meanwhile means they have an old one.
      if (cur && sameKey(tx.profile.get()?.key, key)) tx.contacts.save({ ...cur, profileKeyShared: true });
    });
  }
}

/**
 * Shares our profile key with the members of every group we are in (after a rotation).
 * A member it cannot reach now gets it with the next share. Caller holds the lock.
 */
export async function shareWithGroups(ctx: ClientContext): Promise<void> {
  requireAccount(ctx);
  for (const g of ctx.store.groups.all()) if (g.active && g.accepted) await shareWithGroup(ctx, g.groupId).catch(() => undefined);
}
