/**
 * Owns the bounds that keep one client from exhausting the server's memory,
 * file descriptors or someone's inbox: their values (settings in config.ts,
 * reasons in docs/LIMITS.md) and the connection guard on the HTTP server (time
 * to send a request, idle connections, connections per address). It does not own
 * rate limits (abuse/), the WebSocket's own bounds (messages/socket.ts,
 * messages/delivery.ts) or queue quotas (enforced by storage in the enqueue).
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from '../abuse/address.ts';

export interface Hardening {
  /** Time a client has to send a whole HTTP request, headers and body. */
  readonly requestTimeoutMs: number;
  /** An HTTP connection with no traffic either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Envelope bytes in flight per WebSocket; a socket whose send buffer stays over it is dropped. */
  readonly maxSocketBufferBytes: number;
  /** Undelivered envelope bytes per device. */
  readonly maxQueuedBytesPerDevice: number;
  /** Undelivered envelopes from one sender account in one device's queue. */
  readonly maxQueuedPerSender: number;
  /** Undelivered sealed-sender envelopes (sender unknown) in one device's queue. */
  readonly maxQueuedSealedPerDevice: number;
}

export const DEFAULT_HARDENING: Hardening = {
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxSocketBufferBytes: 2 * 1024 * 1024,
  maxQueuedBytesPerDevice: 100 * 1024 * 1024,
  maxQueuedPerSender: 1000,
  maxQueuedSealedPerDevice: 2000,
};

/** Open TCP connections per address (HTTP, and WebSockets, which start as HTTP). */
export class ConnectionGuard {
  private readonly open = new Map<string, number>();
  /** Connections closed at once because their address had too many (for tests and metrics). */
  refused = 0;

  constructor(private readonly perAddress: number) {}

  /** How many connections are open from `ip` (by its address key). */
  count(ip: string | undefined): number {
    return this.open.get(addressKey(ip)) ?? 0;
  }

  get addresses(): number {
    return this.open.size;
  }

  /** Installs the guard and the timeouts on the server: before it listens. */
  install(server: Server, h: Pick<Hardening, 'requestTimeoutMs' | 'idleTimeoutMs'>): void {
    // Why requestTimeout: a body trickled a byte at a time otherwise holds its connection for ever.
    server.requestTimeout = h.requestTimeoutMs;
    server.headersTimeout = Math.min(h.requestTimeoutMs, 20_000);
    server.keepAliveTimeout = Math.min(h.idleTimeoutMs, 10_000);
    // Node checks request deadlines on this interval; the default (30 s) would let a trickle last 60 s.
    (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.min(1000, h.requestTimeoutMs);
    server.on('connection', (socket: Socket) => this.admit(socket, h.idleTimeoutMs));
  }

  private admit(socket: Socket, idleMs: number): void {
    const key = addressKey(socket.remoteAddress);
    const n = this.open.get(key) ?? 0;
    if (n >= this.perAddress) {
      this.refused++;
      // Why destroy and not an HTTP answer: an answer costs what the cap is there to save.
      socket.destroy();
      return;
    }
    this.open.set(key, n + 1);
    // Idle HTTP connections: an upgraded WebSocket clears this (its heartbeat takes over).
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    });
  }
}
