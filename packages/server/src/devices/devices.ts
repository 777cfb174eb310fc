/**
 * Linked devices: link tokens, linking a new device with one, listing and
 * unlinking devices, a device changing its own password (which signs out every
 * copy of the old one), and listing the devices' open connections (sessions);
 * provisioning channels (provisioning.ts) are registered here too. An account has at most LIMITS.maxDevicesPerAccount active devices; ids
 * increase and are never reused. Unlinking deletes the device's queue, keys and
 * password, leaves a tombstone (its credentials then answer DEVICE_UNLINKED), and
 * closes its sockets at once.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import {
  base64Encode,
  changePasswordRequest,
  deviceId as deviceIdDecoder,
  MAX_LISTED_SESSIONS,
  LIMITS,
  linkDeviceRequest,
  WireError,
  type AccountResponse,
  type DeviceSessionsResponse,
} from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';
import { hashSecret, secretMatches } from '../auth/credentials.ts';
import type { Router } from '../messages/router.ts';
import type { Limiters } from '../abuse/limiters.ts';
import { readBody } from '../requests.ts';
import type { DeviceStore, ProvisioningStore } from '../storage/storage.ts';
import { provisioningPlugin } from './provisioning.ts';

export interface DevicesOptions {
  readonly storage: DeviceStore & ProvisioningStore;
  readonly auth: Authenticator;
  /** Closes an unlinked device's sockets on every node; carries provisioning wake-ups. */
  readonly router: Router;
  readonly serverSecret: Uint8Array;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly provisioningPollMs: number;
}

/** Device ids are 1..127 on the wire (deviceId decoder). */
const MAX_DEVICE_ID = 127;
/** A device may change its password this often per hour (each change closes its connections). */
const PASSWORD_CHANGES_PER_HOUR = 10;
/** Expired link tokens and channels are dropped this often. */
const SWEEP_MS = 60_000;

export const devicesPlugin: FastifyPluginAsync<DevicesOptions> = async (app, opts) => {
  const { storage, auth, router, serverSecret, now, limiters } = opts;
  const tokensByAccount = limiters.make('link-tokens-by-account', { limit: LIMITS.linkTokensPerMinute, windowMs: 60_000 });
  const passwordChanges = limiters.make('password-changes-by-device', { limit: PASSWORD_CHANGES_PER_HOUR, windowMs: 3_600_000 });

  await app.register(provisioningPlugin, { storage, auth, router, serverSecret, now, limiters, pollMs: opts.provisioningPollMs });

  app.post('/v1/devices/link-token', async (req) => {
    const a = await auth.request(req);
    tokensByAccount.check(a.accountId, 'too many link codes');
    const token = new Uint8Array(randomBytes(32));
    const expiresAt = now() + LIMITS.linkTtlMs;
    await storage.createLinkToken(a.accountId, hashSecret(serverSecret, token), expiresAt);
    return { linkToken: base64Encode(token), expiresAt };
  });

  app.post('/v1/devices', async (req, reply) => {
    const r = readBody(req, linkDeviceRequest);
    const result = await storage.linkDevice(
      hashSecret(serverSecret, r.linkToken),
      { registrationId: r.registrationId, passwordHash: hashSecret(serverSecret, r.password), encryptedName: r.encryptedName },
      { signedPreKey: r.signedPreKey, pqLastResort: r.pqLastResortPreKey },
      now(),
      { maxDevices: LIMITS.maxDevicesPerAccount, maxDeviceId: MAX_DEVICE_ID },
    );
    if (result.status === 'expired') throw new WireError('LINK_EXPIRED', 'the link code expired or was used');
    if (result.status === 'too-many') throw new WireError('TOO_MANY_DEVICES', `an account may have at most ${LIMITS.maxDevicesPerAccount} devices`);
    const res: AccountResponse = { accountId: result.account.id, deviceId: result.deviceId, username: result.account.username };
    return reply.status(201).send(res);
  });

  app.get('/v1/devices', async (req) => {
    const a = await auth.request(req);
    const devices = (await storage.devices(a.accountId)).map((d) => ({
      deviceId: d.deviceId,
      createdAt: d.createdAt,
      lastSeenAt: d.lastSeenAt,
      ...(d.encryptedName ? { encryptedName: base64Encode(d.encryptedName) } : {}),
    }));
    return { devices };
  });

  app.delete<{ Params: { deviceId: string } }>('/v1/devices/:deviceId', async (req, reply) => {
    const a = await auth.request(req);
    const raw = req.params.deviceId;
    // Canonical decimal only: "01" and "001" are not device 1.
    const target = deviceIdDecoder(/^[1-9]\d{0,2}$/.test(raw) ? Number(raw) : raw, 'deviceId');
    // Why: device 1 holds the account (it registered it); the others are linked to it.
    if (target === 1) throw new WireError('FORBIDDEN', 'the first device cannot be unlinked');
    if (a.deviceId !== 1 && a.deviceId !== target) throw new WireError('FORBIDDEN', 'only the first device may unlink other devices');
    if (!(await storage.unlinkDevice(a.accountId, target, now()))) throw new WireError('NOT_FOUND', `no device ${target}`);
    router.disconnect(a.accountId, target, new WireError('DEVICE_UNLINKED', 'this device was unlinked from its account'));
    return reply.status(204).send();
  });

  // Credential rotation: the device proves the current password (the request's
  // credentials) and sets a new one; every connection made with the old one, on every
  // node, is closed with CREDENTIALS_CHANGED.
  app.put('/v1/devices/password', async (req, reply) => {
    const a = await auth.request(req);
    passwordChanges.check(`${a.accountId}.${a.deviceId}`, 'too many password changes');
    const r = readBody(req, changePasswordRequest);
    const current = await storage.device(a.accountId, a.deviceId);
    if (current && secretMatches(serverSecret, r.password, current.passwordHash)) throw new WireError('BAD_REQUEST', 'the new password is the current one; send a fresh random one');
    if (!(await storage.changePassword(a.accountId, a.deviceId, hashSecret(serverSecret, r.password)))) {
      throw new WireError('DEVICE_UNLINKED', 'this device was unlinked from its account');
    }
    router.disconnect(a.accountId, a.deviceId, new WireError('CREDENTIALS_CHANGED', "this device's password was changed"));
    return reply.status(204).send();
  });

  app.get('/v1/devices/sessions', async (req) => {
    const a = await auth.request(req);
    const sessions = (await router.sessions(a.accountId)).slice(0, MAX_LISTED_SESSIONS);
    const res: DeviceSessionsResponse = { sessions };
    return res;
  });

  const sweep = setInterval(() => {
    const t = now();
    Promise.all([storage.dropExpiredLinkTokens(t), storage.dropExpiredChannels(t)]).catch((err: unknown) => app.log.error({ err }, 'link sweep failed'));
  }, SWEEP_MS);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
};
