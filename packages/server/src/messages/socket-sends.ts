/**
 * Owns sends made over a WebSocket (the device socket's `send` / `group-send`
 * frames, the unidentified socket's `sealed-send` frames): how many may be in
 * progress per socket, and their answers, a `sent` frame or a `send-failed` frame
 * carrying the typed error (the socket stays open). It does not own decoding the
 * frames or running the sends: each socket hands in the function that runs one.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { LIMITS, WireError, type SendFailedFrame, type SendResponse } from '@parley/wire';
import { toWireError } from '../errors/errors.ts';
import type { Metrics } from '../metrics/metrics.ts';

export class SocketSends {
  /** Sends in progress per socket; bounded so one socket cannot queue unbounded work. */
  private readonly inFlight = new WeakMap<WebSocket, number>();

  constructor(
    private readonly deps: { readonly metrics: Metrics; readonly log: FastifyBaseLogger },
    /** Sends one socket may have in progress; past it each is answered RATE_LIMITED. */
    private readonly maxInFlight: number,
    /** How an answer is written (the device socket's go with its envelopes of the same turn: corked-writes.ts). */
    private readonly write: (ws: WebSocket, text: string) => void = (ws, text) => ws.send(text),
  ) {}

  /** Runs one send for `ws` and answers it by `requestId` (when the socket is still open). */
  run(ws: WebSocket, requestId: number, send: () => Promise<SendResponse>): void {
    const { metrics, log } = this.deps;
    const n = this.inFlight.get(ws) ?? 0;
    const answer = (frame: object) => {
      if (ws.readyState === ws.OPEN) this.write(ws, JSON.stringify(frame));
    };
    const refuse = (e: WireError) => {
      metrics.errors.inc({ code: e.code });
      const f: SendFailedFrame = { type: 'send-failed', requestId, code: e.code, message: e.message };
      // Only the device lists a client acts on (the frame's decoder allows nothing else).
      for (const k of ['missingDevices', 'extraDevices', 'staleDevices'] as const) {
        const list = e.details[k];
        if (Array.isArray(list)) f[k] = list as number[];
      }
      answer(f);
    };
    if (n >= this.maxInFlight) {
      refuse(new WireError('RATE_LIMITED', `more than ${this.maxInFlight} sends in progress on this connection; wait for their answers`));
      return;
    }
    this.inFlight.set(ws, n + 1);
    send()
      .then(
        (r) => answer({ type: 'sent', requestId, serverTimestamp: r.serverTimestamp }),
        (e: unknown) => {
          const we = toWireError(e, LIMITS.maxClientFrameBytes);
          if (!we) log.error({ err: e }, 'send over websocket failed');
          refuse(we ?? new WireError('INTERNAL', 'internal error'));
        },
      )
      .finally(() => this.inFlight.set(ws, (this.inFlight.get(ws) ?? 1) - 1));
  }
}
