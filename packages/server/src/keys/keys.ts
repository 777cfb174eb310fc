/**
 * Prekeys: a device uploads and counts its own; a peer fetches one bundle per
 * device of an account to start sessions, consuming one one-time EC and KEM prekey
 * each (rate-limited, since draining them weakens every new session).
 */
import type { FastifyPluginAsync } from 'fastify';
import { base64Encode, uploadKeysRequest, type BundleResponseJson } from '@parley/wire';
import { findAccount } from '../accounts/lookup.ts';
import type { Authenticator } from '../auth/auth.ts';
import { addressKey } from '../abuse/address.ts';
import { HOUR_MS, MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import { readBody } from '../requests.ts';
import type { AccountStore, DeviceKeys, DeviceStore, KeyStore } from '../storage/storage.ts';

export interface KeysOptions {
  readonly storage: AccountStore & DeviceStore & KeyStore;
  readonly auth: Authenticator;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly abuse: Pick<AbuseLimits, 'bundleFetchesPerMinute' | 'bundleFetchesPerAddressPerMinute' | 'oneTimePreKeysPerDevicePerHour'>;
}

export const keysPlugin: FastifyPluginAsync<KeysOptions> = async (app, { storage, auth, now, abuse, limiters }) => {
  const byRequester = limiters.make('bundle-fetches-by-requester', { limit: abuse.bundleFetchesPerMinute, windowMs: MINUTE_MS });
  const byTarget = limiters.make('bundle-fetches-by-target', { limit: abuse.bundleFetchesPerMinute * 3, windowMs: MINUTE_MS });
  const byAddress = limiters.make('bundle-fetches-by-address', { limit: abuse.bundleFetchesPerAddressPerMinute, windowMs: MINUTE_MS });
  // Why per target device and whoever asks: many throwaway accounts must not drain one person's one-time prekeys.
  const oneTimeByDevice = limiters.make('one-time-prekeys-by-device', { limit: abuse.oneTimePreKeysPerDevicePerHour, windowMs: HOUR_MS });

  app.put('/v1/keys', async (req) => {
    const a = await auth.request(req);
    const k = readBody(req, uploadKeysRequest);
    await storage.storeKeys(a.accountId, a.deviceId, {
      preKeys: k.preKeys,
      pqPreKeys: k.pqPreKeys,
      signedPreKey: k.signedPreKey,
      pqLastResort: k.pqLastResortPreKey,
    });
    return storage.preKeyCounts(a.accountId, a.deviceId);
  });

  app.get('/v1/keys/count', async (req) => {
    const a = await auth.request(req);
    return storage.preKeyCounts(a.accountId, a.deviceId);
  });

  app.get<{ Params: { username: string } }>('/v1/keys/:username', async (req) => {
    const a = await auth.request(req);
    byAddress.check(addressKey(req.ip), 'too many prekey bundle requests from this address');
    byRequester.check(a.accountId, 'too many prekey bundle requests');
    const target = await findAccount(storage, req.params.username);
    byTarget.check(target.id, `too many prekey bundle requests for ${target.username}`);
    const devices: DeviceKeys[] = [];
    for (const d of await storage.devices(target.id)) {
      // Past the hourly allowance the bundle carries no one-time keys: the session still starts (signed and last-resort keys), and nothing is drained.
      const oneTime = oneTimeByDevice.take(`${target.id}.${d.deviceId}`) === 0;
      const keys = await storage.takeDeviceKeys(target.id, d.deviceId, oneTime);
      if (keys) devices.push(keys);
    }
    const res: BundleResponseJson = {
      accountId: target.id,
      username: target.username,
      identityKey: base64Encode(target.identityKey),
      devices: devices.map((d) => ({
        deviceId: d.deviceId,
        registrationId: d.registrationId,
        signedPreKey: { keyId: d.signedPreKey.keyId, publicKey: base64Encode(d.signedPreKey.publicKey), signature: base64Encode(d.signedPreKey.signature) },
        pqPreKey: { keyId: d.pqPreKey.keyId, publicKey: base64Encode(d.pqPreKey.publicKey), signature: base64Encode(d.pqPreKey.signature) },
        ...(d.preKey ? { preKey: { keyId: d.preKey.keyId, publicKey: base64Encode(d.preKey.publicKey) } } : {}),
      })),
    };
    return res;
  });
};
