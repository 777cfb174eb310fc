/**
 * Who is asking: checks a device's credentials (HTTP Basic on requests, the auth
 * frame on sockets) against storage. Shared infrastructure: the composition root
 * makes one `Authenticator` and hands it to every plugin that needs it, as an
 * explicit dependency (no plugin escapes Fastify's encapsulation).
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
}

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
    return this.check(cm[1]!, Number(cm[2]), base64Decode(cm[3]!));
  }

  /** Checks one device's password (the socket's auth frame carries it directly). */
  async check(accountId: string, deviceId: number, password: Uint8Array): Promise<Authed> {
    const { storage, serverSecret } = this.deps;
    const device = await storage.device(accountId, deviceId);
    const account = device ? await storage.accountById(accountId) : undefined;
    if (!device || !account || !secretMatches(serverSecret, password, device.passwordHash)) {
      throw new WireError('UNAUTHORIZED', 'unknown device or wrong password');
    }
    return { accountId, deviceId, username: account.username };
  }
}
