/**
 * Our profile key as another device of ours tells it (a sync message): a newer key
 * than ours (made later: a rotation, or made at once with ours) is adopted, and our
 * name and picture fetched under it; the same key means the profile changed there:
 * fetch it; an older one loses, and ours is uploaded and told again so every device
 * ends up with the same key.
 */
import type { SyncMessage } from '../content/sync.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { Effects } from '../receive/types.ts';
import type { StoreTx } from '../storage/store.ts';
import { newerKey, replaceOwnKey, sameKey } from './profile-key.ts';
import { fetchOwnProfile } from './profiles.ts';
import { publishProfile } from './publish.ts';

export function adoptProfileKey(ctx: ClientContext, tx: StoreTx, s: Extract<SyncMessage, { type: 'profile-key' }>, fx: Effects): void {
  const me = requireAccount(ctx);
  const cur = tx.profile.get();
  if (cur && sameKey(cur.key, s.key)) {
    fx.after.push(() => fetchOwnProfile(ctx));
    return;
  }
  if (cur && !newerKey(s, cur)) {
    fx.after.push(() => publishProfile(ctx, { sync: true }));
    return;
  }
  // The device that made it uploads the profile under it and shares it with our contacts.
  replaceOwnKey(tx, { key: s.key, createdAt: s.createdAt, ...(cur?.name ? { name: cur.name } : {}), ...(cur?.avatar ? { avatar: cur.avatar } : {}), uploaded: true });
  fx.events.push({ type: 'profile-changed', accountId: me.accountId, username: me.username });
  fx.after.push(() => fetchOwnProfile(ctx));
}
