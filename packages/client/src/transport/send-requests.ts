/**
 * Sends over a WebSocket that the server answers by request id (the device socket's
 * `send` / `group-send`, the unidentified socket's `sealed-send`): numbering them,
 * waiting for the `sent` or `send-failed` frame (the latter as its typed WireError),
 * a TIMEOUT when no answer comes, and failing every one still waiting when the socket
 * goes. It does not own the socket or decoding frames.
 */
import { isWireErrorCode, WireError, type SendFailedFrame, type SentFrame } from '@parley/wire';

type Answered = { serverTimestamp: number };
type Waiting = { resolve: (r: Answered) => void; reject: (e: WireError) => void; timer: ReturnType<typeof setTimeout> };

export class SendRequests {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly baseUrl: string) {}

  /** Sends `frame` with a new request id through `write`; resolves or rejects with its answer. */
  call(frame: Record<string, unknown>, write: (text: string) => void, timeoutMs: number): Promise<Answered> {
    const requestId = this.nextId;
    this.nextId = requestId >= 0x7fffffff ? 1 : requestId + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        reject(new WireError('TIMEOUT', `no answer from ${this.baseUrl}`));
      }, timeoutMs);
      this.waiting.set(requestId, { resolve, reject, timer });
      write(JSON.stringify({ ...frame, requestId }));
    });
  }

  /** Settles the request `frame` answers (an answer to no request is ignored). */
  answer(frame: SentFrame | SendFailedFrame): void {
    const r = this.waiting.get(frame.requestId);
    if (!r) return;
    this.waiting.delete(frame.requestId);
    clearTimeout(r.timer);
    if (frame.type === 'sent') r.resolve({ serverTimestamp: frame.serverTimestamp });
    else {
      const { type: _t, requestId: _r, code, message, ...details } = frame;
      r.reject(new WireError(isWireErrorCode(code) ? code : 'INTERNAL', message, details));
    }
  }

  /** Fails every request still waiting with `err` (the socket is gone; callers fall back to HTTP). */
  failAll(err: WireError): void {
    for (const [id, r] of this.waiting) {
      clearTimeout(r.timer);
      this.waiting.delete(id);
      r.reject(err);
    }
  }
}
