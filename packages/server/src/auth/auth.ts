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
import { addressKey } from '../abuse/address.ts';
import type { Limiters } from '../abuse/limiters.ts';
import { rateLimited, type RateLimiter } from '../abuse/rate-limiter.ts';
import { StorageUnavailable, type AccountStore, type DeviceStore } from '../storage/storage.ts';
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
  readonly limiters: Limiters;
  /** Refused credentials allowed per address and per account per minute. */
  readonly failures?: { readonly perAddressPerMinute: number; readonly perAccountPerMinute: number };
}

/** Requests record "last seen" at most this often per device (a write per request would be waste). */
const SEEN_RESOLUTION_MS = 60_000;

export class Authenticator {
  private readonly failuresByAddress: RateLimiter;
  private readonly failuresByAccount: RateLimiter;

  constructor(private readonly deps: AuthDeps) {
    const f = deps.failures ?? { perAddressPerMinute: 30, perAccountPerMinute: 20 };
    this.failuresByAddress = deps.limiters.make('auth-failures-by-address', { limit: f.perAddressPerMinute, windowMs: 60_000 });
    this.failuresByAccount = deps.limiters.make('auth-failures-by-account', { limit: f.perAccountPerMinute, windowMs: 60_000 });
  }

  /** The device behind a request's `Authorization: Basic` header; UNAUTHORIZED otherwise. */
  async request(req: FastifyRequest): Promise<Authed> {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Basic ([A-Za-z0-9+/=]{1,200})$/.exec(h) : null;
    const address = addressKey(req.ip);
    if (!m) throw this.refused(address, undefined, 'missing or malformed credentials');
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    // Device ids in canonical decimal only: "01" is not device 1.
    const cm = /^([0-9a-f-]{36})\.([1-9]\d{0,2}):([A-Za-z0-9+/=]{44})$/.exec(decoded);
    if (!cm) throw this.refused(address, undefined, 'malformed credentials');
    return this.verify(cm[1]!, Number(cm[2]), base64Decode(cm[3]!), false, address);
  }

  /** Checks a socket's auth frame; a socket's authentication always counts as being seen. */
  async socket(accountId: string, deviceId: number, password: Uint8Array, ip?: string): Promise<Authed> {
    return this.verify(accountId, deviceId, password, true, addressKey(ip));
  }

  /**
   * UNAUTHORIZED for refused credentials, counted against the address and the account;
   * RATE_LIMITED (with retryAfter) once either has had too many.
   */
  private refused(address: string, accountId: string | undefined, message: string): WireError {
    const waitAddress = this.failuresByAddress.take(address);
    const waitAccount = accountId === undefined ? 0 : this.failuresByAccount.take(accountId);
    const wait = Math.max(waitAddress, waitAccount);
    if (wait > 0) return rateLimited('too many refused credentials', wait);
    return new WireError('UNAUTHORIZED', message);
  }

  private async verify(accountId: string, deviceId: number, password: Uint8Array, seen: boolean, address: string): Promise<Authed> {
    const { storage, serverSecret, now } = this.deps;
    // Why before any lookup: an address that keeps guessing costs no more storage work.
    if (this.failuresByAddress.over(address)) throw this.refused(address, undefined, '');
    const device = await storage.device(accountId, deviceId);
    if (!device) {
      // Why without the password: the password was deleted with the device; the tombstone is all that is left.
      if ((await storage.unlinkedAt(accountId, deviceId)) !== undefined) throw new WireError('DEVICE_UNLINKED', 'this device was unlinked from its account');
      throw this.refused(address, accountId, 'unknown device or wrong password');
    }
    const account = await storage.accountById(accountId);
    // Why no lock-out on the account: its own devices' right password always passes (a lock-out would be a denial of service, and 256-bit passwords are not guessed).
    if (!account || !secretMatches(serverSecret, password, device.passwordHash)) {
      throw this.refused(address, accountId, 'unknown device or wrong password');
    }
    const t = now();
    if (seen || t - device.lastSeenAt >= SEEN_RESOLUTION_MS) {
      // Why not fatal: the last-seen time is a convenience; while the storage refuses writes (a full disk, a lock), a device still gets in and reads its queue.
      await storage.touchDevice(accountId, deviceId, t).catch((e: unknown) => {
        if (!(e instanceof StorageUnavailable)) throw e;
      });
    }
    return { accountId, deviceId, username: account.username };
  }
}
