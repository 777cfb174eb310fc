/**
 * The unidentified socket at /v1/websocket/unidentified: a WebSocket that never
 * authenticates, over which a connected client hands the server its sealed 1:1
 * sends (`sealed-send` frames) instead of making one HTTP request, often a new TCP
 * connection, per message (Signal keeps the same second socket). Each frame is run
 * by the code behind the HTTP route (sealed-sends.ts: the per-address limit, the
 * access-key check, device coverage, the queue's sealed bucket) and answered by
 * request id (messages/socket-sends.ts).
 *
 * The socket carries no identity: it accepts no `auth` frame (malformed here),
 * is never registered with the delivery hub (so it never receives an envelope and
 * is not one of a device's connections), and the server learns from it what it
 * learns from the HTTP route: the address, the time, the recipient and the size of
 * each send, and that the sends on one socket came from one client.
 *
 * Bounds: open sockets per address (refused with 429 before the upgrade: a refusal
 * must cost less than the socket it saves), frames no larger than the largest
 * sealed send (refused as their header announces more), sends in progress per
 * socket, the heartbeat of the device socket. The client's version comes in the
 * `version` query parameter (a browser cannot set headers on a WebSocket); an old
 * one is told UPGRADE_REQUIRED in an error frame, as on the device socket.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { checkClientVersion, decodeJson, MAX_SEALED_SEND_FRAME_BYTES, UNIDENTIFIED_SOCKET_PATH, unidentifiedClientFrame, WireError } from '@parley/wire';
import { addressKey } from '../abuse/address.ts';
import { toWireError } from '../errors/errors.ts';
import { closeWith } from '../messages/delivery.ts';
import { SocketSends } from '../messages/socket-sends.ts';
import { trackUnidentifiedSockets, type Metrics } from '../metrics/metrics.ts';
import type { Upgrades } from '../upgrades.ts';
import type { SealedSends } from './sealed-sends.ts';

/**
 * Sealed sends one unidentified socket may have in progress. A client sends them one at
 * a time (under its operation lock); each may hold a frame of up to ~600 KiB until stored.
 */
export const SEALED_SENDS_IN_FLIGHT_PER_SOCKET = 8;
/** What an address over its socket cap is told to wait (seconds). */
const RETRY_AFTER_S = 30;

export interface UnidentifiedSocketDeps {
  readonly sealedSends: SealedSends;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly minClientVersion: string;
  readonly pingIntervalMs: number;
  /** Open unidentified sockets per address (abuse limit `unidentifiedSocketsPerAddress`). */
  readonly perAddress: number;
}

export class UnidentifiedSockets {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_SEALED_SEND_FRAME_BYTES });
  private readonly answers: SocketSends;
  /** Open sockets (and upgrades in progress) per address key. */
  private readonly open = new Map<string, number>();
  /** Upgrades refused because their address had too many open (for tests and metrics). */
  refused = 0;

  constructor(
    upgrades: Upgrades,
    private readonly deps: UnidentifiedSocketDeps,
  ) {
    this.answers = new SocketSends(deps, SEALED_SENDS_IN_FLIGHT_PER_SOCKET);
    upgrades.add(UNIDENTIFIED_SOCKET_PATH, (req, socket, head) => this.upgrade(req, socket, head));
    trackUnidentifiedSockets(deps.metrics, () => this.wss.clients.size);
  }

  /** Drops every unidentified socket (sends in progress still finish storing) and stops accepting new ones. */
  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const key = addressKey(socket.remoteAddress);
    const n = this.open.get(key) ?? 0;
    if (n >= this.deps.perAddress) {
      this.refused++;
      this.deps.metrics.errors.inc({ code: 'RATE_LIMITED' });
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${RETRY_AFTER_S}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    // Counted from the upgrade request, so upgrades in progress at once count too; released when the TCP connection closes, however.
    this.open.set(key, n + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    });
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req));
  }

  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    const { sealedSends, metrics, log, minClientVersion, pingIntervalMs } = this.deps;
    const fail = (e: unknown) => {
      const known = toWireError(e, MAX_SEALED_SEND_FRAME_BYTES);
      if (!known) log.error({ err: e }, 'unidentified socket handler failed');
      const we = known ?? new WireError('INTERNAL', 'internal error');
      metrics.errors.inc({ code: we.code });
      closeWith(ws, we);
    };
    try {
      const version = new URL(req.url ?? '/', 'http://unidentified').searchParams.get('version');
      checkClientVersion(version ?? undefined, minClientVersion);
    } catch (e) {
      fail(e);
      return;
    }
    // Heartbeat, as on the device socket: a peer that has not answered the previous ping is gone.
    let answered = true;
    ws.on('pong', () => (answered = true));
    const ping = setInterval(() => {
      if (!answered) {
        ws.terminate();
        return;
      }
      answered = false;
      ws.ping();
      // Browsers cannot see WebSocket pings: the frame tells the client the server is there.
      ws.send('{"type":"ping"}');
    }, pingIntervalMs);
    const ip = req.socket.remoteAddress;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== ws.OPEN) return;
      try {
        if (isBinary) throw new WireError('BAD_REQUEST', 'frames are JSON text');
        const frame = decodeJson(data.toString(), unidentifiedClientFrame, MAX_SEALED_SEND_FRAME_BYTES);
        this.answers.run(ws, frame.requestId, () => sealedSends.accept(frame.to, frame.accessKey, frame.request, ip, 'unidentified-ws'));
      } catch (e) {
        fail(e);
      }
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => clearInterval(ping));
  }
}

export interface UnidentifiedSocketOptions extends Omit<UnidentifiedSocketDeps, 'log'> {
  readonly upgrades: Upgrades;
}

/** Serves the unidentified socket on the app's HTTP server. */
export const unidentifiedSocketPlugin: FastifyPluginAsync<UnidentifiedSocketOptions> = async (app, opts) => {
  const sockets = new UnidentifiedSockets(opts.upgrades, { ...opts, log: app.log });
  // Before the HTTP server stops: upgraded sockets would otherwise keep it open.
  app.addHook('preClose', async () => sockets.close());
};
