/**
 * Accounts: registration (the account and its first device), who am I, and looking
 * an account up by username.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { registerRequest, WireError, type AccountLookupResponse, type AccountResponse } from '@parley/wire';
import { addressKey } from '../abuse/address.ts';
import { HOUR_MS, MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import type { Authenticator } from '../auth/auth.ts';
import { hashSecret } from '../auth/credentials.ts';
import { readBody } from '../requests.ts';
import type { AccountStore, DeviceStore } from '../storage/storage.ts';
import { findAccount } from './lookup.ts';

export interface AccountsOptions {
  readonly storage: AccountStore & DeviceStore;
  readonly auth: Authenticator;
  readonly serverSecret: Uint8Array;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly abuse: Pick<AbuseLimits, 'registrationsPerAddressPerHour' | 'lookupsPerAccountPerMinute' | 'lookupsPerAddressPerMinute'>;
}

export const accountsPlugin: FastifyPluginAsync<AccountsOptions> = async (app, { storage, auth, serverSecret, now, abuse, limiters }) => {
  const registrationsByAddress = limiters.make('registrations-by-address', { limit: abuse.registrationsPerAddressPerHour, windowMs: HOUR_MS });
  const lookupsByAccount = limiters.make('lookups-by-account', { limit: abuse.lookupsPerAccountPerMinute, windowMs: MINUTE_MS });
  const lookupsByAddress = limiters.make('lookups-by-address', { limit: abuse.lookupsPerAddressPerMinute, windowMs: MINUTE_MS });

  app.post('/v1/accounts', async (req, reply) => {
    const r = readBody(req, registerRequest);
    // Counted once the body decodes (a malformed one stores nothing); a taken name counts too.
    registrationsByAddress.check(addressKey(req.ip), 'too many accounts registered from this address');
    const accountId = randomUUID();
    const ok = await storage.createAccount(
      { id: accountId, username: r.username, identityKey: r.identityKey },
      { registrationId: r.registrationId, passwordHash: hashSecret(serverSecret, r.password) },
      { signedPreKey: r.signedPreKey, pqLastResort: r.pqLastResortPreKey },
      now(),
    );
    if (!ok) throw new WireError('USERNAME_TAKEN', `the username ${r.username} is taken`);
    const res: AccountResponse = { accountId, deviceId: 1, username: r.username };
    return reply.status(201).send(res);
  });

  app.get('/v1/accounts/me', async (req) => {
    const a = await auth.request(req);
    const res: AccountResponse = { accountId: a.accountId, deviceId: a.deviceId, username: a.username };
    return res;
  });

  app.get<{ Params: { username: string } }>('/v1/accounts/username/:username', async (req) => {
    const a = await auth.request(req);
    // Counted before looking, found or not: the limit says nothing about whether a name exists.
    lookupsByAddress.check(addressKey(req.ip), 'too many username lookups from this address');
    lookupsByAccount.check(a.accountId, 'too many username lookups');
    const found = await findAccount(storage, req.params.username);
    const res: AccountLookupResponse = { accountId: found.id, username: found.username };
    return res;
  });
};
