/**
 * Who is asking: checks a device's credentials (HTTP Basic on requests, the auth
 * frame on sockets) against storage, and records when the device was last seen.
 * Credentials naming an unlinked device answer DEVICE_UNLINKED (its tombstone),
 * so the device can tell the person why it was logged out. Shared infrastructure:
 * the composition root makes one `Authenticator` and hands it to every plugin that
 * needs it, as an explicit dependency (no plugin escapes Fastify's encapsulation).
 */
import type { FastifyRequest } from 'fastify';
import { base64Decode, WireError } from '@parley/wire';
import type { AccountStore, DeviceStore } from '../storage/storage.ts';
import { secretMatches } from './credentials.ts';

/** An authenticated device. */
export interface Authed {
  readonly accountId: string;
  readonly deviceId: number;
  readonly username: string;
}

export interface AuthDeps {
  readonly storage: AccountStore & DeviceStore;
  readonly serverSecret: Uint8Array;
  readonly now: () => number;
}

/** Requests record "last seen" at most this often per device (a write per request would be waste). */
const SEEN_RESOLUTION_MS = 60_000;

export class Authenticator {
  constructor(private readonly deps: AuthDeps) {}

  /** The device behind a request's `Authorization: Basic` header; UNAUTHORIZED otherwise. */
  async request(req: FastifyRequest): Promise<Authed> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,200})$/.exec(h) : null;
    if (!m) throw new WireError('UNAUTHORIZED', 'missing or malformed credentials');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const cm = /^([0-9a-f-]{36})\.(\d{1,3}):([A-Za-z0-9+/=]{44})$/.exec(decoded);
    if (!cm) throw new WireError('UNAUTHORIZED', 'malformed credentials');
    return this.verify(cm[1]!, Number(cm[2]), base64Decode(cm[3]!), false);
  }

  /** Checks a socket's auth frame; a socket's authentication always counts as being seen. */
  async socket(accountId: string, deviceId: number, password: Uint8Array): Promise<Authed> {
    return this.verify(accountId, deviceId, password, true);
  }

  private async verify(accountId: string, deviceId: number, password: Uint8Array, seen: boolean): Promise<Authed> {
    const { storage, serverSecret, now } = this.deps;
    const device = await storage.device(accountId, deviceId);
    if (!device) {
      // Why without the password: the password was deleted with the device; the tombstone is all that is left.
      if ((await storage.unlinkedAt(accountId, deviceId)) !== undefined) throw new WireError('DEVICE_UNLINKED', 'this device was unlinked from its account');
      throw new WireError('UNAUTHORIZED', 'unknown device or wrong password');
    }
    const account = await storage.accountById(accountId);
    if (!account || !secretMatches(serverSecret, password, device.passwordHash)) {
      throw new WireError('UNAUTHORIZED', 'unknown device or wrong password');
    }
    const t = now();
    if (seen || t - device.lastSeenAt >= SEEN_RESOLUTION_MS) await storage.touchDevice(accountId, deviceId, t);
    return { accountId, deviceId, username: account.username };
  }
}
