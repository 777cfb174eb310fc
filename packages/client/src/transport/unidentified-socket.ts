/**
 * The unidentified connection: a second WebSocket, to /v1/websocket/unidentified,
 * that never authenticates and carries only sealed 1:1 sends (`sealed-send`
 * frames, answered `sent` / `send-failed` by request id), so a connected client
 * does not make one HTTP request per sealed message (as Signal's unidentified
 * socket). It carries no credentials and receives nothing: envelopes come over the
 * authenticated connection (socket.ts). Reconnects with exponential back-off and
 * jitter while open; a silent one (no frame, not even the server's heartbeat, for
 * the idle timeout) is abandoned. Takes the same WebSocket factory as socket.ts, so
 * it runs in Node and browsers. It does not own when it is used: sealed/send.ts
 * sends over it when it is ready and over HTTP otherwise.
 */
import { base64Encode, decodeJson, isWireErrorCode, LIMITS, PARLEY_VERSION, UNIDENTIFIED_SOCKET_PATH, unidentifiedServerFrame, WireError, type UnidentifiedServerFrame } from '@parley/wire';
import type { MinimalWebSocket, WebSocketFactory } from './socket.ts';
import { SendRequests } from './send-requests.ts';

export interface UnidentifiedSocketOptions {
  readonly baseUrl: string;
  readonly createWebSocket: WebSocketFactory;
  readonly version?: string;
  /** Back-off bounds (ms). */
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Reconnect when the server has sent nothing (not even its heartbeat) for this long. */
  readonly idleTimeoutMs?: number;
}

/** A sealed send's body as JSON (`sealedSendRequest` in @parley/wire): copies in base64, no sender, no message type. */
export interface SealedSendBodyJson {
  timestamp: number;
  ephemeral?: true;
  messages: Array<{ deviceId: number; registrationId: number; content: string }>;
}


export class UnidentifiedConnection {
  private ws: MinimalWebSocket | undefined;
  private isOpen = false;
  private stopped = true;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly requests: SendRequests;

  constructor(private readonly opts: UnidentifiedSocketOptions) {
    this.requests = new SendRequests(opts.baseUrl);
  }

  /** Starts connecting (and reconnecting after drops) until `close`. Sends go over HTTP until it is open. */
  open(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.connect();
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const ws = this.detach('connection closed');
    try {
      ws?.close(1000, 'bye');
    } catch {
      // already closing
    }
  }

  /** Whether `send` can use this connection now. */
  get ready(): boolean {
    return this.isOpen && this.ws?.readyState === 1;
  }

  /**
   * A sealed send (as `PUT /v1/messages/:to` with the access key). Rejects with the server's
   * WireError (ACCESS_KEY_REFUSED, MISMATCHED_DEVICES, ...), or with SERVER_UNREACHABLE /
   * TIMEOUT when the socket cannot answer, after which the caller may retry over HTTP.
   */
  send(to: string, accessKey: Uint8Array, body: SealedSendBodyJson, timeoutMs = 15_000): Promise<{ serverTimestamp: number }> {
    const ws = this.ws;
    if (!this.ready || !ws) return Promise.reject(new WireError('SERVER_UNREACHABLE', 'the unidentified connection is not open'));
    return this.requests.call({ type: 'sealed-send', to, accessKey: base64Encode(accessKey), request: body }, (text) => ws.send(text), timeoutMs);
  }

  /** The current socket stops counting; sends waiting for an answer fail (callers fall back to HTTP). */
  private detach(reason: string): MinimalWebSocket | undefined {
    const ws = this.ws;
    this.ws = undefined;
    this.isOpen = false;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.requests.failAll(new WireError('SERVER_UNREACHABLE', reason));
    return ws;
  }

  private connect(): void {
    const base = this.opts.baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
    const url = `${base}${UNIDENTIFIED_SOCKET_PATH}?version=${encodeURIComponent(this.opts.version ?? PARLEY_VERSION)}`;
    let ws: MinimalWebSocket;
    try {
      ws = this.opts.createWebSocket(url);
    } catch {
      this.scheduleReconnect();
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
      if (this.ws !== ws) return;
      this.isOpen = true;
      this.attempt = 0;
    };
    ws.onmessage = (ev) => {
      if (this.ws === ws) alive();
      let frame: UnidentifiedServerFrame;
      try {
        frame = decodeJson(String(ev.data), unidentifiedServerFrame, 64 * 1024);
      } catch {
        // A malformed frame from the server is ignored; a send it should have answered times out and goes over HTTP.
        return;
      }
      if (frame.type === 'sent' || frame.type === 'send-failed') {
        this.requests.answer(frame);
      } else if (frame.type === 'error') {
        fatal = new WireError(isWireErrorCode(frame.code) ? frame.code : 'INTERNAL', frame.message);
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (this.ws === ws) this.detach(`connection to ${this.opts.baseUrl} closed before the server answered`);
      if (this.stopped) return;
      // Why stop: an outdated client stays outdated; HTTP tells the user (UPGRADE_REQUIRED) with every send.
      if (fatal?.code === 'UPGRADE_REQUIRED') {
        this.stopped = true;
        return;
      }
      this.scheduleReconnect();
    };
  }

  /** Gives up on a silent socket: its sends fail over to HTTP, and a new one is opened. */
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
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const min = this.opts.minDelayMs ?? 250;
    const max = this.opts.maxDelayMs ?? 30_000;
    const delay = Math.min(max, min * 2 ** this.attempt) * (0.5 + Math.random() * 0.5);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }
}

