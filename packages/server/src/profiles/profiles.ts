/**
 * Encrypted profiles (wire `schemas/profiles.ts`): an account sets its profile
 * (the name and picture sealed with its profile key, the version derived from that
 * key, and its access key for sealed sender), and anyone signed in may fetch an
 * account's profile by username and version. Only holders of the profile key can
 * name the version, so a wrong version is answered exactly like an unknown user:
 * a stranger learns neither the ciphertext nor whether the account has a profile.
 * Fetches are rate limited like username lookups.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { base64Encode, profileVersion, setProfileRequest } from '@parley/wire';
import { addressKey } from '../abuse/address.ts';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import { RateLimiter } from '../abuse/rate-limiter.ts';
import { findAccount, unknownUser } from '../accounts/lookup.ts';
import type { Authenticator } from '../auth/auth.ts';
import { readBody } from '../requests.ts';
import type { AccountStore, ProfileStore } from '../storage/storage.ts';

export interface ProfilesOptions {
  readonly storage: AccountStore & ProfileStore;
  readonly auth: Authenticator;
  readonly now: () => number;
  readonly abuse: Pick<AbuseLimits, 'lookupsPerAccountPerMinute' | 'lookupsPerAddressPerMinute'>;
}

/** Versions compared in constant time: the version is a capability. */
function sameVersion(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const profilesPlugin: FastifyPluginAsync<ProfilesOptions> = async (app, { storage, auth, now, abuse }) => {
  const fetchesByAccount = new RateLimiter({ limit: abuse.lookupsPerAccountPerMinute, windowMs: MINUTE_MS }, now);
  const fetchesByAddress = new RateLimiter({ limit: abuse.lookupsPerAddressPerMinute, windowMs: MINUTE_MS }, now);

  app.put('/v1/profile', async (req, reply) => {
    const a = await auth.request(req);
    const r = readBody(req, setProfileRequest);
    await storage.setProfile({ accountId: a.accountId, version: r.version, name: r.name, avatar: r.avatar, accessKey: r.accessKey, updatedAt: now() });
    return reply.status(204).send();
  });

  app.get<{ Params: { username: string; version: string } }>('/v1/profile/:username/:version', async (req) => {
    const a = await auth.request(req);
    const version = profileVersion(req.params.version, 'version');
    // Counted before looking, found or not: the limit says nothing about whether a profile exists.
    fetchesByAddress.check(addressKey(req.ip), 'too many profile fetches from this address');
    fetchesByAccount.check(a.accountId, 'too many profile fetches');
    const account = await findAccount(storage, req.params.username);
    const p = await storage.profile(account.id);
    if (!p || !sameVersion(p.version, version)) throw unknownUser(req.params.username);
    // Decoded by the client with wire `profileResponse`.
    return { version: p.version, name: base64Encode(p.name), ...(p.avatar ? { avatar: base64Encode(p.avatar) } : {}) };
  });
};
