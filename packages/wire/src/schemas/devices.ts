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

/**
 * `PUT /v1/devices/password` (authenticated with the current password): the device's
 * new password. Every connection made with the old one is closed with
 * CREDENTIALS_CHANGED, so a stolen copy of the credentials stops working.
 */
export const changePasswordRequest = object({ password: secret32 });
export type ChangePasswordRequest = ReturnType<typeof changePasswordRequest>;

/** One open connection of a device: when it authenticated. */
export const deviceSession = object({ deviceId, connectedAt: timestampMs });
export type DeviceSessionJson = ReturnType<typeof deviceSession>;
/** Connections listed at most (the oldest first; a device has at most the server's `--sockets-per-device` per node). */
export const MAX_LISTED_SESSIONS = 256;
/** `GET /v1/devices/sessions`: the open connections of this account's devices, on every node. */
export const deviceSessionsResponse = object({ sessions: array(deviceSession, MAX_LISTED_SESSIONS) });
export type DeviceSessionsResponse = ReturnType<typeof deviceSessionsResponse>;
