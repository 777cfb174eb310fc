/**
 * Putting our profile on the server: the name and picture sealed under our profile
 * key (cipher.ts), filed under the key's version, with the access key derived from
 * it (`PUT /v1/profile`); then, when asked, telling our other devices (a sync
 * message carrying the key), so they use the same key and refetch the profile.
 */
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { sendSync } from '../sync/sync.ts';
import { deriveAccessKey } from './access-key.ts';
import { encryptAvatar, encryptProfileName, profileVersion } from './cipher.ts';
import { sameKey } from './profile-key.ts';

/** Uploads our profile as stored and marks it uploaded; `sync`: tells our other devices. Caller holds the lock. */
export async function publishProfile(ctx: ClientContext, opts: { sync: boolean }): Promise<void> {
  requireAccount(ctx);
  const p = ctx.store.profile.get();
  if (!p) return;
  await ctx.http.setProfile({
    version: profileVersion(p.key),
    name: encryptProfileName(p.key, p.name ?? ''),
    ...(p.avatar ? { avatar: encryptAvatar(p.key, p.avatar) } : {}),
    accessKey: deriveAccessKey(p.key),
  });
  await ctx.store.transaction(async (tx) => {
    const cur = tx.profile.get();
    // Changed meanwhile (another device's key adopted): that one is uploaded by whoever changed it.
    if (cur && sameKey(cur.key, p.key) && cur.name === p.name && sameKey(cur.avatar ?? new Uint8Array(), p.avatar ?? new Uint8Array())) tx.profile.save({ ...cur, uploaded: true });
  });
  if (opts.sync) await sendSync(ctx, { type: 'profile-key', key: p.key, createdAt: p.createdAt });
}
