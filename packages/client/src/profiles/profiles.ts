/**
 * Profiles as the app sees them: setting ours (name, picture), reading ours, and
 * reading a contact's, fetched from the server by the version their key names,
 * decrypted, and cached in memory by version (this class's only state; a contact's
 * name is also kept on their contact record, so lists can show it without a
 * fetch). A profile that does not decrypt is a PROFILE_UNREADABLE error, never a
 * garbage name. `profile-changed` events follow commits.
 */
import { WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { ContentHandler } from '../receive/types.ts';
import type { OwnProfile } from '../storage/records.ts';
import { decryptAvatar, decryptProfileName, encryptAvatar, nameProblem, profileVersion } from './cipher.ts';
import { ownProfileKey, sameKey } from './profile-key.ts';
import { publishProfile } from './publish.ts';
import { profileKeyHandler, shareWithContacts } from './sharing.ts';

/** A profile, decrypted: no name or picture when none is set (or none is known). */
export interface Profile {
  readonly name?: string;
  readonly avatar?: Uint8Array;
}

/** What `setProfile` changes: a name ('' removes it), a picture (null removes it); what is left out stays. */
export interface ProfileChanges {
  readonly name?: string;
  readonly avatar?: Uint8Array | null;
}

function asProfile(p: { name?: string | undefined; avatar?: Uint8Array | undefined } | undefined): Profile {
  return { ...(p?.name ? { name: p.name } : {}), ...(p?.avatar?.length ? { avatar: p.avatar.slice() } : {}) };
}

function sameProfile(a: Profile | undefined, b: Profile): boolean {
  return !!a && (a.name ?? '') === (b.name ?? '') && sameKey(a.avatar ?? new Uint8Array(), b.avatar ?? new Uint8Array());
}

/**
 * Fetches our own profile from the server into the store (a device that got our key
 * from another device has not seen the name and picture yet). Caller holds the lock.
 */
export async function fetchOwnProfile(ctx: ClientContext): Promise<void> {
  const me = requireAccount(ctx);
  const p = ctx.store.profile.get();
  if (!p) return;
  let res;
  try {
    res = await ctx.http.profile(me.username, profileVersion(p.key));
  } catch (e) {
    // Not uploaded under this key yet (the other device is still at it): it tells us again when done.
    if (e instanceof WireError && e.code === 'UNKNOWN_USER') return;
    throw e;
  }
  const name = decryptProfileName(p.key, res.name, 'your account');
  const avatar = res.avatar ? decryptAvatar(p.key, res.avatar, 'your account') : undefined;
  const changed = await ctx.store.transaction(async (tx) => {
    const cur = tx.profile.get();
    if (!cur || !sameKey(cur.key, p.key) || sameProfile(asProfile(cur), asProfile({ name, avatar }))) return false;
    const { name: _n, avatar: _a, ...rest } = cur;
    tx.profile.save({ ...rest, ...(name ? { name } : {}), ...(avatar ? { avatar } : {}), uploaded: true });
    return true;
  });
  if (changed) ctx.events.emit({ type: 'profile-changed', accountId: me.accountId, username: me.username });
}

/** Makes our profile key if there is none, and uploads what the server does not have yet (on connect). */
export async function ensureProfile(ctx: ClientContext): Promise<void> {
  requireAccount(ctx);
  await ctx.lock.run(async () => {
    const before = ctx.store.profile.get();
    await ownProfileKey(ctx);
    // A key made just now is uploaded by ownProfileKey's background task.
    if (before && !before.uploaded) await publishProfile(ctx, { sync: true });
  });
}

export class Profiles {
  private readonly cache = new Map<string, { readonly version: string; readonly profile: Profile }>();
  /** The handler for `profile-key` content (wired into the receive pipeline). */
  readonly onProfileKey: ContentHandler<'profile-key'>;

  constructor(private readonly ctx: ClientContext) {
    this.onProfileKey = profileKeyHandler((accountId) => this.refresh(accountId));
  }

  /** Our profile as this device knows it. */
  own(): Profile {
    return asProfile(this.ctx.store.profile.get());
  }

  /**
   * Sets our name and/or picture: sealed under our profile key, uploaded, told to our
   * other devices, and announced to our contacts (they fetch it). INVALID_PROFILE, and
   * nothing changed, for a name or picture that cannot be a profile's.
   */
  async set(changes: ProfileChanges): Promise<Profile> {
    const me = requireAccount(this.ctx);
    const name = changes.name?.trim();
    if (name !== undefined) {
      const problem = nameProblem(name);
      if (problem) throw new ClientError('INVALID_PROFILE', problem);
    }
    return this.ctx.lock.run(async () => {
      const key = await ownProfileKey(this.ctx);
      // Checks the picture's size before anything is stored.
      if (changes.avatar) encryptAvatar(key, changes.avatar);
      await this.ctx.store.transaction(async (tx) => {
        const cur = tx.profile.get()!;
        const { name: oldName, avatar: oldAvatar, ...rest } = cur;
        const nextName = name === undefined ? oldName : name;
        const nextAvatar = changes.avatar === undefined ? oldAvatar : (changes.avatar ?? undefined);
        const next: OwnProfile = { ...rest, ...(nextName ? { name: nextName } : {}), ...(nextAvatar ? { avatar: nextAvatar } : {}), uploaded: false };
        tx.profile.save(next);
        // Every contact is told (our key again): that is how they learn to fetch the new profile.
        for (const c of tx.contacts.all()) if (c.profileKeyShared) tx.contacts.save({ ...c, profileKeyShared: false });
      });
      this.ctx.events.emit({ type: 'profile-changed', accountId: me.accountId, username: me.username });
      await publishProfile(this.ctx, { sync: true });
      await shareWithContacts(this.ctx);
      return this.own();
    });
  }

  /**
   * `username`'s profile, decrypted with the key they shared with us: fetched once per
   * version, then from memory. Ours for our own username; nothing known ({}) for
   * someone who has not shared their key, or whom we blocked; their last known name
   * if their key has changed and they have not sent us the new one.
   */
  async of(username: string): Promise<Profile> {
    const me = requireAccount(this.ctx);
    const user = username.toLowerCase();
    if (user === me.username) return this.own();
    const c = this.ctx.store.contacts.byUsername(user);
    if (!c?.profileKey || c.blocked) return {};
    const hit = this.cache.get(c.accountId);
    if (hit && hit.version === profileVersion(c.profileKey)) return hit.profile;
    return this.ctx.lock.run(() => this.refresh(c.accountId));
  }

  /** Fetches and decrypts a contact's profile, keeping the name on their record. Caller holds the lock. */
  async refresh(accountId: string): Promise<Profile> {
    const c = this.ctx.store.contacts.byId(accountId);
    if (!c?.profileKey || c.blocked) return {};
    const key = c.profileKey;
    const version = profileVersion(key);
    let res;
    try {
      res = await this.ctx.http.profile(c.username, version);
    } catch (e) {
      // Their key changed and the new one has not reached us (or they have no profile yet).
      if (e instanceof WireError && e.code === 'UNKNOWN_USER') return asProfile({ name: c.profileName });
      throw e;
    }
    const name = decryptProfileName(key, res.name, c.username);
    const profile = asProfile({ name, avatar: res.avatar ? decryptAvatar(key, res.avatar, c.username) : undefined });
    const before = this.cache.get(accountId);
    this.cache.set(accountId, { version, profile });
    const changed = await this.ctx.store.transaction(async (tx) => {
      const cur = tx.contacts.byId(accountId);
      if (!cur || !sameKey(cur.profileKey, key) || (cur.profileName ?? '') === name) return false;
      const { profileName: _, ...rest } = cur;
      tx.contacts.save({ ...rest, ...(name ? { profileName: name } : {}) });
      return true;
    });
    if (changed || (before && !sameProfile(before.profile, profile))) this.ctx.events.emit({ type: 'profile-changed', accountId, username: c.username });
    return profile;
  }
}
