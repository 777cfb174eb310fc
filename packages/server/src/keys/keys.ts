/**
 * Prekeys: a device uploads and counts its own; a peer fetches one bundle per
 * device of an account to start sessions, consuming one one-time EC and KEM prekey
 * each (rate-limited, since draining them weakens every new session).
 */
import type { FastifyPluginAsync } from 'fastify';
import { base64Encode, uploadKeysRequest, WireError, type BundleResponseJson } from '@parley/wire';
import { findAccount } from '../accounts/lookup.ts';
import type { Authenticator } from '../auth/auth.ts';
import { RateLimiter } from '../rate-limit.ts';
import { readBody } from '../requests.ts';
import type { AccountStore, DeviceKeys, DeviceStore, KeyStore } from '../storage/storage.ts';

export interface KeysOptions {
  readonly storage: AccountStore & DeviceStore & KeyStore;
  readonly auth: Authenticator;
  readonly now: () => number;
  /** Bundle fetches per minute per requesting account (3x that per target account). */
  readonly bundleFetchesPerMinute: number;
}

export const keysPlugin: FastifyPluginAsync<KeysOptions> = async (app, { storage, auth, now, bundleFetchesPerMinute }) => {
  const byRequester = new RateLimiter(bundleFetchesPerMinute, 60_000, now);
  const byTarget = new RateLimiter(bundleFetchesPerMinute * 3, 60_000, now);

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
    const target = await findAccount(storage, req.params.username);
    if (!byRequester.take(a.accountId) || !byTarget.take(target.id)) {
      throw new WireError('RATE_LIMITED', 'too many prekey bundle requests');
    }
    const devices: DeviceKeys[] = [];
    for (const d of await storage.devices(target.id)) {
      const keys = await storage.takeDeviceKeys(target.id, d.deviceId);
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
