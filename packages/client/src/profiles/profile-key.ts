/**
 * The account's profile key: 32 random bytes, made on first use (new and existing
 * accounts alike), kept in the client store, the same on every device of the
 * account (a linked device gets it when linked and by sync; of two keys made at once
 * on two devices the later wins), and shared only with contacts (sharing.ts). A
 * contact's key is the one they shared with us, kept on their contact record.
 * Whoever holds our key can read our profile and derive our access key.
 */
import { PROFILE_KEY_BYTES } from '../content/profile-key.ts';
import { relationship } from '../contacts/policy.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { randomBytes } from '../internal/random.ts';
import type { OwnProfile } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import { publishProfile } from './publish.ts';

export { PROFILE_KEY_BYTES };

/**
 * Our profile key (32 bytes), made and stored on first use; a new key is then uploaded
 * (with its access key) and told to our other devices in the background. Call it
 * under the operation lock (`ctx.lock`), outside store transactions.
 */
export async function ownProfileKey(ctx: ClientContext): Promise<Uint8Array> {
  const have = ctx.store.profile.get();
  if (have) return have.key;
  requireAccount(ctx);
  const made = await ctx.store.transaction(async (tx) => {
    if (tx.profile.get()) return false;
    tx.profile.save({ key: randomBytes(PROFILE_KEY_BYTES), createdAt: ctx.now() });
    return true;
  });
  if (made) ctx.later(() => publishProfile(ctx, { sync: true }), 'profile upload');
  return ctx.store.profile.get()!.key;
}

/** The profile key `accountId` shared with us; undefined for strangers, blocked people, and before they shared it. */
export async function contactProfileKey(ctx: ClientContext, accountId: string): Promise<Uint8Array | undefined> {
  const me = requireAccount(ctx);
  const c = ctx.store.contacts.byId(accountId);
  return c && relationship(c, me.accountId) === 'contact' ? c.profileKey : undefined;
}

/** Of two keys made on two devices of ours, the one that wins: the later, or on a tie the larger. */
export function newerKey(a: { key: Uint8Array; createdAt: number }, b: { key: Uint8Array; createdAt: number }): boolean {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt;
  for (let i = 0; i < PROFILE_KEY_BYTES; i++) if (a.key[i] !== b.key[i]) return a.key[i]! > b.key[i]!;
  return false;
}

export function sameKey(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Replaces our profile key (rotation, or one adopted from another device of ours), in
 * `tx`: the name and picture stay; no contact has the new key yet.
 */
export function replaceOwnKey(tx: StoreTx, next: OwnProfile): void {
  tx.profile.save(next);
  for (const c of tx.contacts.all()) if (c.profileKeyShared) tx.contacts.save({ ...c, profileKeyShared: false });
}
