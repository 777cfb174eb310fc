/**
 * Frames written to one socket in one turn of the event loop leave together, in
 * one system call: the socket is corked at its first frame of the turn and
 * uncorked once the turn's microtasks have run (`process.nextTick` runs after
 * them). A group commit answers many `send`s and wakes many recipients in one
 * turn, so a socket that gets its `sent` answers and its envelopes there pays one
 * write for all of them instead of one per frame. Nothing is held past the turn,
 * so no latency is added. Only the write path of `ws` is involved: frames are
 * still whole WebSocket frames, in the order they were sent.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/** The TCP socket under a `ws` WebSocket. Why reach into ws: it corks around each frame but offers no way to span several. */
function tcp(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket | null })._socket ?? undefined;
}

export class CorkedWrites {
  private corked: Socket[] = [];

  /** Sends the text frame; it goes out with the socket's other frames of this turn. */
  send(ws: WebSocket, text: string): void {
    const s = tcp(ws);
    if (s && !s.writableCorked && !s.destroyed) {
      s.cork();
      if (this.corked.push(s) === 1) process.nextTick(this.flush);
    }
    ws.send(text);
  }

  private readonly flush = (): void => {
    const sockets = this.corked;
    this.corked = [];
    for (const s of sockets) s.uncork();
  };
}
