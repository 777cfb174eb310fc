/**
 * This device's credentials and where they are in use: changing the device's
 * password (the server then closes every connection made with the old one, so a
 * stolen copy stops working), finishing a change whose answer was lost, and
 * listing the open connections (sessions) of the account's devices, so a copy in
 * use somewhere else shows up.
 *
 * A change is crash-safe: the new password is kept as `nextPassword` before it is
 * sent, and becomes the password only once the server has taken it. When the answer
 * never came, `settlePasswordChange` asks the server which of the two it has.
 */
import { WireError } from '@parley/wire';
import type { AccountInfo } from '../storage/records.ts';
import { randomBytes } from '../internal/random.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { listDevices } from './devices.ts';

/** One open connection of one of the account's devices. */
export interface SessionInfo {
  readonly deviceId: number;
  readonly deviceName: string;
  /** When the connection signed in. */
  readonly connectedAt: number;
  /** The connection belongs to this device (this app, or anything else using this device's password). */
  readonly thisDevice: boolean;
}

async function saveAccount(ctx: ClientContext, a: AccountInfo): Promise<void> {
  const identity = await ctx.store.protocol.getIdentityKeyPair();
  await ctx.store.transaction(async (tx) => tx.account.save(a, identity));
}

/** Network failures leave a change's outcome unknown; any answer from the server means it did not happen. */
const unanswered = (e: unknown) => e instanceof WireError && (e.code === 'SERVER_UNREACHABLE' || e.code === 'TIMEOUT');

/**
 * Changes this device's password. Every connection made with the old password, on
 * every server node, is closed (this app's own reconnects at once with the new one).
 * Throws the server's WireError (RATE_LIMITED after 10 an hour) with nothing changed;
 * on a network failure the change is finished by the next call or connection.
 */
export async function rotateCredentials(ctx: ClientContext): Promise<void> {
  await ctx.lock.run(async () => {
    await settlePendingChange(ctx);
    const me = requireAccount(ctx);
    const next = randomBytes(32);
    await saveAccount(ctx, { ...me, nextPassword: next });
    try {
      await ctx.http.changePassword(next);
    } catch (e) {
      if (!unanswered(e)) await saveAccount(ctx, { ...me, nextPassword: undefined });
      throw e;
    }
    await adopt(ctx, { ...me, password: next, nextPassword: undefined });
  });
}

/** Finishes a password change whose answer was lost (run before connecting); a no-op otherwise. */
export async function settlePasswordChange(ctx: ClientContext): Promise<void> {
  await ctx.lock.run(() => settlePendingChange(ctx));
}

async function settlePendingChange(ctx: ClientContext): Promise<void> {
  const me = ctx.store.account.get();
  if (!me?.nextPassword) return;
  try {
    await ctx.http.whoami({ accountId: me.accountId, deviceId: me.deviceId, password: me.nextPassword });
  } catch (e) {
    if (!(e instanceof WireError && e.code === 'UNAUTHORIZED')) throw e;
    // The server refused the new password: it never took it, the old one stands.
    await saveAccount(ctx, { ...me, nextPassword: undefined });
    return;
  }
  await adopt(ctx, { ...me, password: me.nextPassword, nextPassword: undefined });
}

async function adopt(ctx: ClientContext, a: AccountInfo): Promise<void> {
  await saveAccount(ctx, a);
  ctx.http.credentials = { accountId: a.accountId, deviceId: a.deviceId, password: a.password };
}

/** The open connections of the account's devices, with the devices' names; this device's first. */
export async function listSessions(ctx: ClientContext): Promise<SessionInfo[]> {
  const me = requireAccount(ctx);
  const [sessions, devices] = await Promise.all([ctx.http.deviceSessions(), listDevices(ctx)]);
  const names = new Map(devices.map((d) => [d.deviceId, d.name]));
  return sessions
    .map((s) => ({ deviceId: s.deviceId, deviceName: names.get(s.deviceId) ?? `Device ${s.deviceId}`, connectedAt: s.connectedAt, thisDevice: s.deviceId === me.deviceId }))
    .sort((a, b) => Number(b.thisDevice) - Number(a.thisDevice) || a.deviceId - b.deviceId || a.connectedAt - b.connectedAt);
}
