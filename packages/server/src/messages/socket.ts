/**
 * The WebSocket at /v1/websocket: the first frame authenticates the device; then
 * the server pushes envelopes (via the delivery hub) and the client sends acks and
 * `send` / `group-send` frames, each answered by request id (socket-sends.ts).
 * Heartbeat: a socket that has not answered the previous ping is dropped, so its
 * unacknowledged envelopes go to the device's next connection. A protocol violation
 * closes the socket with a typed error frame; a refused send does not.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  checkClientVersion,
  clientFrame,
  decodeJson,
  LIMITS,
  WireError,
  type GroupSendRequest,
  type SendRequest,
  type SendResponse,
} from '@parley/wire';
import type { Authenticator, Authed } from '../auth/auth.ts';
import { toWireError } from '../errors/errors.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Upgrades } from '../upgrades.ts';
import { closeWith, newConnection, type Connection, type DeliveryHub } from './delivery.ts';
import { SocketSends } from './socket-sends.ts';
import type { Transport } from './sends.ts';

/** What a socket's send frames are handed to: the same functions as the HTTP routes. */
export interface SendHandlers {
  send(sender: Authed, to: string, request: SendRequest, via: Transport): Promise<SendResponse>;
  groupSend(sender: Authed, groupId: string, request: GroupSendRequest, via: Transport): Promise<SendResponse>;
}

export interface SocketDeps {
  readonly auth: Authenticator;
  readonly hub: DeliveryHub;
  readonly sends: SendHandlers;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  readonly minClientVersion: string;
  readonly pingIntervalMs: number;
  readonly now: () => number;
}

/**
 * Raises a socket's frame limit once it has authenticated. Why reach into ws: its
 * `maxPayload` is one value per server, read while a frame arrives; before auth a
 * socket must be refused a large frame as soon as its header announces it, not
 * after the server has buffered it (200 sockets x 1 MiB held 159 MiB).
 */
function allowLargeFrames(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: number } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = LIMITS.maxClientFrameBytes;
}

/** Frames a socket may have waiting before it has authenticated (the auth frame, and a few sent right after it). */
const PRE_AUTH_FRAMES = 8;

export class SocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPreAuthFrameBytes });
  private readonly answers: SocketSends;

  constructor(
    upgrades: Upgrades,
    private readonly deps: SocketDeps,
  ) {
    this.answers = new SocketSends(deps, LIMITS.maxSendsInFlightPerSocket, (ws, text) => deps.hub.writes.send(ws, text));
    upgrades.add('/v1/websocket', (req, socket, head) => this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req)));
  }

  /** Drops every socket (their unacknowledged envelopes stay queued) and stops accepting new ones. */
  close(): void {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }

  private onSocket(ws: WebSocket, req: IncomingMessage): void {
    const { auth, hub, sends, metrics, log, minClientVersion, pingIntervalMs } = this.deps;
    let conn: Connection | undefined;
    let authed: Authed | undefined;
    let authenticating = false;
    const authTimer = setTimeout(() => closeWith(ws, new WireError('UNAUTHORIZED', 'no authentication frame in time')), LIMITS.authTimeoutMs);
    // Heartbeat: a peer that has not answered the previous ping is gone (its network
    // died without a close); dropping it returns its unacknowledged envelopes to the queue.
    let answered = true;
    ws.on('pong', () => (answered = true));
    // A socket whose send buffer stayed over the bound for a whole ping interval is not reading: dropped.
    let overBuffered = false;
    const ping = setInterval(() => {
      const over = ws.bufferedAmount > hub.maxBufferBytes;
      if (!answered || (over && overBuffered)) {
        ws.terminate();
        return;
      }
      overBuffered = over;
      answered = false;
      ws.ping();
      if (conn) ws.send('{"type":"ping"}');
    }, pingIntervalMs);

    const onFrame = async (data: RawData, isBinary: boolean): Promise<void> => {
      if (ws.readyState !== ws.OPEN) return;
      try {
        if (isBinary) throw new WireError('BAD_REQUEST', 'frames are JSON text');
        // Why: only an authenticated device may make the server hold large frames.
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
        if (!conn && size > LIMITS.maxPreAuthFrameBytes) throw new WireError('PAYLOAD_TOO_LARGE', `authenticate before sending frames over ${LIMITS.maxPreAuthFrameBytes} bytes`);
        const frame = decodeJson(data.toString(), clientFrame, LIMITS.maxClientFrameBytes);
        if (frame.type === 'auth') {
          if (conn || authenticating) throw new WireError('BAD_REQUEST', 'already authenticated');
          checkClientVersion(frame.version, minClientVersion);
          authenticating = true;
          const mark = hub.mark;
          const a = await auth.socket(frame.accountId, frame.deviceId, frame.password, req.socket.remoteAddress);
          if (ws.readyState !== ws.OPEN) return;
          const gone = hub.disconnectedSince(a.accountId, a.deviceId, mark);
          if (gone) throw gone;
          if (hub.socketsOf(a.accountId, a.deviceId) >= hub.socketsPerDevice) {
            throw new WireError('RATE_LIMITED', `this device has ${hub.socketsPerDevice} connections open already; close one`, { retryAfter: 30 });
          }
          clearTimeout(authTimer);
          allowLargeFrames(ws);
          authed = a;
          conn = newConnection(ws, a.accountId, a.deviceId, this.deps.now());
          ws.send(JSON.stringify({ type: 'ready' }));
          hub.add(conn);
        } else if (frame.type === 'send') {
          if (!authed) throw new WireError('UNAUTHORIZED', 'authenticate first');
          const a = authed;
          this.answers.run(ws, frame.requestId, () => sends.send(a, frame.to, frame.request, 'ws'));
        } else if (frame.type === 'group-send') {
          if (!authed) throw new WireError('UNAUTHORIZED', 'authenticate first');
          const a = authed;
          this.answers.run(ws, frame.requestId, () => sends.groupSend(a, frame.groupId, frame.request, 'ws'));
        } else {
          if (!conn) throw new WireError('UNAUTHORIZED', 'authenticate first');
          for (const id of frame.ids) hub.ack(conn, id);
        }
      } catch (e) {
        const known = toWireError(e, LIMITS.maxClientFrameBytes);
        if (!known) log.error({ err: e }, 'websocket handler failed');
        const we = known ?? new WireError('INTERNAL', 'internal error');
        metrics.errors.inc({ code: we.code });
        closeWith(ws, we);
      }
    };
    // Frames are handled in arrival order: while the auth frame's check is in progress, later frames wait for it.
    let chain: Promise<void> = Promise.resolve();
    // Frames in the chain, not yet handled.
    let queued = 0;
    // Frames waiting behind the auth check: bounded, so an unauthenticated socket cannot pile them up.
    let waiting = 0;
    ws.on('message', (data, isBinary) => {
      // Authenticated with nothing waiting: handled at once (after auth no frame awaits anything, and onFrame catches all).
      if (conn && queued === 0) {
        void onFrame(data, isBinary);
        return;
      }
      const counted = !conn;
      if (counted && ++waiting > PRE_AUTH_FRAMES) {
        closeWith(ws, new WireError('BAD_REQUEST', 'authenticate before sending more frames'));
        return;
      }
      queued++;
      chain = chain.then(() => onFrame(data, isBinary)).finally(() => {
        queued--;
        if (counted) waiting--;
      });
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(authTimer);
      clearInterval(ping);
      if (conn) hub.remove(conn);
    });
  }
}
