/**
 * The live connection: authenticates with the first frame, delivers envelopes to
 * a handler one at a time (the handler acknowledges after storing), and
 * reconnects with exponential back-off and jitter when the connection drops.
 * Takes a WebSocket constructor so it runs in Node (`ws`) and browsers.
 */
import { base64Encode, decodeJson, isWireErrorCode, LIMITS, PARLEY_VERSION, serverFrame, WireError, type EnvelopeFrame, type ServerFrame } from '@parley/wire';
import type { Credentials, GroupSendBodyJson, SendBodyJson } from './http.ts';
import { SendRequests } from './send-requests.ts';

/** The subset of the WebSocket API both `ws` and browsers provide. */
export interface MinimalWebSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketFactory = (url: string) => MinimalWebSocket;

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'reconnecting';

export interface SocketOptions {
  readonly baseUrl: string;
  /** Read at each (re)connection: a password change takes effect on the next one. */
  readonly credentials: () => Credentials;
  readonly createWebSocket: WebSocketFactory;
  readonly onEnvelope: (e: EnvelopeFrame) => Promise<void>;
  readonly onState?: (s: ConnectionState, error?: WireError) => void;
  readonly onQueueEmpty?: () => void;
  readonly reconnect?: boolean;
  readonly version?: string;
  /** Back-off bounds (ms). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Reconnect when the server has sent nothing (not even its heartbeat) for this long. */
  readonly idleTimeoutMs?: number;
}

/** Acks held while a backlog is processed are sent at least this often (ids per frame). */
const ACKS_PER_FRAME = 50;

export class ServerConnection {
  private ws: MinimalWebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readyWaiters: Array<{ resolve: () => void; reject: (e: WireError) => void }> = [];
  /** True between the server's `ready` and the socket closing: sends may use the socket. */
  private authenticated = false;
  private readonly requests: SendRequests;
  /** Envelope ids acknowledged and not yet sent (see `ack`). */
  private acks: number[] = [];
  /** Envelopes received and not yet through `onEnvelope`. */
  private envelopesWaiting = 0;

  constructor(private readonly opts: SocketOptions) {
    this.requests = new SendRequests(opts.baseUrl);
  }

  /** Opens the connection; resolves once authenticated, rejects with a WireError (e.g. UPGRADE_REQUIRED). */
  open(): Promise<void> {
    this.stopped = false;
    const p = new Promise<void>((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    this.connect();
    return p;
  }

  close(): void {
    this.flushAcks();
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.detach('connection closed')?.close(1000, 'bye');
    this.opts.onState?.('closed');
  }

  /**
   * The current socket stops counting: no idle timer, no sends over it, and sends still
   * waiting for an answer fail (callers fall back to HTTP). Returns the socket.
   */
  private detach(reason: string): MinimalWebSocket | undefined {
    const ws = this.ws;
    this.ws = undefined;
    this.authenticated = false;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.requests.failAll(new WireError('SERVER_UNREACHABLE', reason));
    return ws;
  }

  /** Whether `send` can use this connection now. */
  get ready(): boolean {
    return this.authenticated && this.ws?.readyState === 1;
  }

  /**
   * Sends messages over the socket (as `PUT /v1/messages/:to`). Rejects with the server's
   * WireError (MISMATCHED_DEVICES, ...), or with SERVER_UNREACHABLE / TIMEOUT when the socket
   * cannot answer, after which the caller may retry over HTTP (recipients drop duplicates).
   */
  send(to: string, body: SendBodyJson, timeoutMs = 15_000): Promise<{ serverTimestamp: number }> {
    return this.call({ type: 'send', to, request: body }, timeoutMs);
  }

  /** A group send over the socket (as `PUT /v1/groups/:groupId/messages`); answered and failing over like `send`. */
  sendGroup(groupId: string, body: GroupSendBodyJson, timeoutMs = 15_000): Promise<{ serverTimestamp: number }> {
    return this.call({ type: 'group-send', groupId, request: body }, timeoutMs);
  }

  private call(frame: Record<string, unknown>, timeoutMs: number): Promise<{ serverTimestamp: number }> {
    const ws = this.ws;
    if (!this.ready || !ws) return Promise.reject(new WireError('SERVER_UNREACHABLE', 'not connected'));
    return this.requests.call(frame, (text) => ws.send(text), timeoutMs);
  }

  /**
   * Acknowledges an envelope (after the app stored it). While more envelopes wait to be
   * processed, acks are held and leave together in one frame: when none waits any more,
   * or every ACKS_PER_FRAME ids (so the server, which keeps at most 200 unacknowledged
   * envelopes in flight, keeps sending). A backlog costs a few frames instead of one
   * per envelope. An ack lost with the connection only means the envelope comes again
   * and is dropped as a duplicate.
   */
  ack(id: number): void {
    if (!this.ws || this.ws.readyState !== 1) return;
    // Outside envelope processing: nothing else will flush it.
    if (this.acks.push(id) === 1 && this.envelopesWaiting === 0) setTimeout(() => this.flushAcks(), 0);
  }

  private flushAcks(): void {
    const ids = this.acks;
    this.acks = [];
    const ws = this.ws;
    if (ids.length === 0 || !ws || ws.readyState !== 1) return;
    // A single id in the form every server version reads.
    if (ids.length === 1) ws.send(JSON.stringify({ type: 'ack', id: ids[0] }));
    else for (let i = 0; i < ids.length; i += LIMITS.maxUnackedEnvelopes) ws.send(JSON.stringify({ type: 'ack', ids: ids.slice(i, i + LIMITS.maxUnackedEnvelopes) }));
  }

  private settle(err?: WireError): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) (err ? w.reject(err) : w.resolve());
  }

  private connect(): void {
    const url = `${this.opts.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/websocket`;
    this.opts.onState?.(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws: MinimalWebSocket;
    try {
      ws = this.opts.createWebSocket(url);
    } catch {
      this.scheduleReconnect(new WireError('SERVER_UNREACHABLE', `cannot reach ${this.opts.baseUrl}`));
      return;
    }
    this.ws = ws;
    let fatal: WireError | undefined;
    // Why: a connection whose network died sends no close; only silence gives it away.
    const alive = () => {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => this.abandon(ws), this.opts.idleTimeoutMs ?? LIMITS.clientIdleTimeoutMs);
    };
    alive();
    ws.onopen = () => {
      const c = this.opts.credentials();
      ws.send(JSON.stringify({ type: 'auth', version: this.opts.version ?? PARLEY_VERSION, accountId: c.accountId, deviceId: c.deviceId, password: base64Encode(c.password) }));
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) alive();
      let frame: ServerFrame;
      try {
        frame = decodeJson(String(ev.data), serverFrame, 4 * 1024 * 1024);
      } catch {
        // A malformed frame from the server is ignored; the envelope stays queued for a retry.
        return;
      }
      if (frame.type === 'sent' || frame.type === 'send-failed') {
        this.requests.answer(frame);
      } else if (frame.type === 'ready') {
        this.authenticated = true;
        this.attempt = 0;
        this.opts.onState?.('open');
        this.settle();
      } else if (frame.type === 'queue-empty') {
        this.chain = this.chain.then(() => this.opts.onQueueEmpty?.());
      } else if (frame.type === 'error') {
        const { code, message, ...details } = frame as { code: string; message: string } & Record<string, unknown>;
        fatal = new WireError(isWireErrorCode(code) ? code : 'INTERNAL', message.replace(/^[A-Z_]+: /, '').replace(/ - .*$/, ''), details);
      } else if (frame.type === 'envelope') {
        // Envelopes are handled strictly one after another, in server order.
        this.envelopesWaiting++;
        this.chain = this.chain
          .then(() => this.opts.onEnvelope(frame))
          .catch(() => undefined)
          .then(() => {
            this.envelopesWaiting--;
            if (this.envelopesWaiting === 0 || this.acks.length >= ACKS_PER_FRAME) this.flushAcks();
          });
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      if (this.ws === ws) this.detach(`connection to ${this.opts.baseUrl} closed before the server answered`);
      if (this.stopped) return;
      if (fatal && (fatal.code === 'UPGRADE_REQUIRED' || fatal.code === 'UNAUTHORIZED' || fatal.code === 'DEVICE_UNLINKED')) {
        this.stopped = true;
        this.opts.onState?.('closed', fatal);
        this.settle(fatal);
        return;
      }
      this.scheduleReconnect(fatal ?? new WireError('SERVER_UNREACHABLE', `connection to ${this.opts.baseUrl} closed (${ev.code})`));
    };
  }

  /** Gives up on a silent socket: it no longer counts, its sends fail over to HTTP, and a new one is opened. */
  private abandon(ws: MinimalWebSocket): void {
    if (this.ws !== ws || this.stopped) return;
    this.detach(`no answer from ${this.opts.baseUrl}`);
    ws.onmessage = null;
    ws.onclose = null;
    try {
      ws.close(4000, 'no sign of life');
    } catch {
      // already closing
    }
    this.scheduleReconnect(new WireError('SERVER_UNREACHABLE', `no answer from ${this.opts.baseUrl}; reconnecting`));
  }

  private scheduleReconnect(err: WireError): void {
    if (this.opts.reconnect === false) {
      this.stopped = true;
      this.opts.onState?.('closed', err);
      this.settle(err);
      return;
    }
    const min = this.opts.minDelayMs ?? 250;
    const max = this.opts.maxDelayMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.5 + Math.random() * 0.5);
    this.attempt++;
    this.opts.onState?.('reconnecting', err);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
