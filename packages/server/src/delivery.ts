/**
 * Live delivery over WebSockets. Each authenticated connection drains its
 * device's queue in id order, keeping at most LIMITS.maxUnackedEnvelopes in
 * flight (so a slow reader cannot make the server buffer without bound);
 * envelopes are deleted only when acknowledged. Presence is in-process here;
 * a Redis-backed hub will implement the same `notify` for several nodes.
 */
import type { WebSocket } from 'ws';
import { base64Encode, LIMITS, type EnvelopeFrame, type ServerFrame } from '@parley/wire';
import type { Storage, StoredEnvelope } from './storage/storage.ts';

export interface Connection {
  readonly ws: WebSocket;
  readonly accountId: string;
  readonly deviceId: number;
  lastSentId: number;
  inFlight: number;
  drained: boolean;
  /**
   * True when everything stored for the device up to now has been sent on this
   * connection (the last read of the queue came back short). Then a freshly stored
   * envelope can go out straight from memory, and acks need no read of the queue.
   */
  caughtUp: boolean;
}

function key(accountId: string, deviceId: number): string {
  return `${accountId}.${deviceId}`;
}

export class DeliveryHub {
  private readonly connections = new Map<string, Set<Connection>>();

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
    private readonly onDelivered: () => void,
  ) {}

  get size(): number {
    let n = 0;
    for (const s of this.connections.values()) n += s.size;
    return n;
  }

  add(c: Connection): void {
    const k = key(c.accountId, c.deviceId);
    let set = this.connections.get(k);
    if (!set) this.connections.set(k, (set = new Set()));
    set.add(c);
    this.pump(c);
  }

  remove(c: Connection): void {
    const k = key(c.accountId, c.deviceId);
    const set = this.connections.get(k);
    set?.delete(c);
    if (set && set.size === 0) this.connections.delete(k);
  }

  /**
   * New envelopes are queued for this device. `fresh`, the envelopes just stored (in id
   * order), goes out directly to connections that are caught up and have room; any other
   * connection reads its queue, so nothing depends on this shortcut for correctness.
   */
  notify(accountId: string, deviceId: number, fresh?: readonly StoredEnvelope[]): void {
    for (const c of this.connections.get(key(accountId, deviceId)) ?? []) {
      const direct =
        fresh !== undefined &&
        c.caughtUp &&
        c.ws.readyState === c.ws.OPEN &&
        c.inFlight + fresh.length <= LIMITS.maxUnackedEnvelopes &&
        fresh.every((e) => e.id > c.lastSentId);
      if (direct) this.sendBatch(c, fresh);
      else this.pump(c);
    }
  }

  private acks: Array<{ c: Connection; id: number }> = [];
  private ackScheduled = false;

  /** Records an acknowledgement; acks arriving in one event-loop turn are deleted in one transaction. */
  ack(c: Connection, id: number): void {
    this.acks.push({ c, id });
    if (this.ackScheduled) return;
    this.ackScheduled = true;
    setImmediate(() => {
      const batch = this.acks;
      this.acks = [];
      this.ackScheduled = false;
      this.storage.ackBatch(batch.map((a) => ({ accountId: a.c.accountId, deviceId: a.c.deviceId, id: a.id })));
      const touched = new Set<Connection>();
      for (const a of batch) {
        if (a.id <= a.c.lastSentId) {
          a.c.inFlight = Math.max(0, a.c.inFlight - 1);
          this.onDelivered();
        }
        touched.add(a.c);
      }
      // A caught-up connection has nothing waiting in the queue: no need to read it.
      for (const c of touched) if (!c.caughtUp) this.pump(c);
    });
  }

  private send(c: Connection, frame: ServerFrame): void {
    c.ws.send(JSON.stringify(frame));
  }

  private pump(c: Connection): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    for (;;) {
      const room = LIMITS.maxUnackedEnvelopes - c.inFlight;
      if (room <= 0) {
        // Why: envelopes may be waiting unsent; the next ack must read the queue.
        c.caughtUp = false;
        return;
      }
      const batch = this.storage.pending(c.accountId, c.deviceId, c.lastSentId, room);
      if (batch.length > 0) this.sendBatch(c, batch);
      // A short batch means the queue is drained: no second query to learn that.
      if (batch.length < room) {
        c.caughtUp = true;
        break;
      }
    }
    if (!c.drained) {
      c.drained = true;
      this.send(c, { type: 'queue-empty' });
    }
  }

  private sendBatch(c: Connection, batch: readonly StoredEnvelope[]): void {
    const expiredBefore = this.now() - LIMITS.ephemeralTtlMs;
    for (const e of batch) {
      c.lastSentId = e.id;
      if (e.ephemeral && e.serverTimestamp < expiredBefore) {
        // Why: a call offer minutes old must not ring now; drop it.
        this.storage.ack(c.accountId, c.deviceId, e.id);
        continue;
      }
      const frame: EnvelopeFrame = {
        type: 'envelope',
        id: e.id,
        sourceAccountId: e.sourceAccountId,
        sourceUsername: e.sourceUsername,
        sourceDeviceId: e.sourceDeviceId,
        timestamp: e.timestamp,
        serverTimestamp: e.serverTimestamp,
        messageType: e.messageType,
        content: base64Encode(e.content),
        ephemeral: e.ephemeral,
      };
      this.send(c, frame);
      c.inFlight++;
    }
  }
}
