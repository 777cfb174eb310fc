/** This account's devices: listing them (with their names, which only our devices can read) and unlinking one. */
import { WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { openDeviceName } from './names.ts';

export interface DeviceInfo {
  readonly deviceId: number;
  readonly name: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** The device this SDK runs on. */
  readonly current: boolean;
}

/** Our devices as the server lists them; also brings our record of them up to date. */
export async function listDevices(ctx: ClientContext): Promise<DeviceInfo[]> {
  const me = requireAccount(ctx);
  const identity = await ctx.store.protocol.getIdentityKeyPair();
  const list = await ctx.http.devices();
  await rememberOwnDevices(ctx, list.map((d) => d.deviceId));
  return list.map((d) => ({
    deviceId: d.deviceId,
    name: (d.encryptedName && openDeviceName(identity, d.encryptedName)) || (d.deviceId === 1 ? 'First device (registered the account)' : `Device ${d.deviceId}`),
    createdAt: d.createdAt,
    lastSeenAt: d.lastSeenAt,
    current: d.deviceId === me.deviceId,
  }));
}

/** Records which devices our account has (for sync messages). Sessions with removed ones stay, to read what they sent before. */
export async function rememberOwnDevices(ctx: ClientContext, deviceIds: readonly number[]): Promise<void> {
  const me = requireAccount(ctx);
  await ctx.lock.run(() =>
    ctx.store.transaction(async (tx) => {
      tx.contacts.save({ accountId: me.accountId, username: me.username, deviceIds: [...deviceIds].sort((a, b) => a - b), accepted: true });
    }),
  );
}

/** Unlinks a device: it stops receiving at once and can no longer send. The first device can unlink any; any device itself. */
export async function unlinkDevice(ctx: ClientContext, deviceId: number): Promise<void> {
  const me = requireAccount(ctx);
  try {
    await ctx.http.unlinkDevice(deviceId);
  } catch (e) {
    if (e instanceof WireError && e.code === 'FORBIDDEN') {
      throw new ClientError('LINK_FAILED', deviceId === 1 ? 'the first device cannot be unlinked' : 'only the first device can unlink other devices; unlink this one from there, or unlink it from itself');
    }
    if (e instanceof WireError && e.code === 'NOT_FOUND') throw new ClientError('LINK_FAILED', `this account has no device ${deviceId}; parley devices lists them`);
    throw e;
  }
  if (deviceId !== me.deviceId) await listDevices(ctx);
}
