/**
 * Linked devices: an account has up to LIMITS.maxDevicesPerAccount devices sharing
 * its identity key. An existing device asks for a one-time link token and hands it,
 * end-to-end encrypted, to the new device (see provisioning.ts), which then
 * registers itself with it. Device names are encrypted by the account's devices.
 */
import { array, bytes, object } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { kemSignedPreKey, signedPreKey } from './keys.ts';
import { deviceId, registrationId, secret32, timestampMs } from './common.ts';

/** `POST /v1/devices/link-token` (authenticated): valid for LIMITS.linkTtlMs, once. */
export const linkTokenResponse = object({ linkToken: secret32, expiresAt: timestampMs });
export type LinkTokenResponse = ReturnType<typeof linkTokenResponse>;

const encryptedName = bytes(1, LIMITS.maxDeviceNameBytes);

/** `POST /v1/devices` (no other authentication): answered like registration. */
export const linkDeviceRequest = object(
  {
    linkToken: secret32,
    password: secret32,
    registrationId,
    signedPreKey,
    pqLastResortPreKey: kemSignedPreKey,
  },
  { encryptedName },
);
export type LinkDeviceRequest = ReturnType<typeof linkDeviceRequest>;

export const deviceInfo = object({ deviceId, createdAt: timestampMs, lastSeenAt: timestampMs }, { encryptedName });
export type DeviceInfoJson = ReturnType<typeof deviceInfo>;
/** `GET /v1/devices`: this account's devices. `DELETE /v1/devices/:deviceId` unlinks one. */
export const deviceListResponse = object({ devices: array(deviceInfo, LIMITS.maxDevicesPerAccount, 1) });
export type DeviceListResponse = ReturnType<typeof deviceListResponse>;
