/**
 * Live delivery over WebSockets. Each authenticated connection drains its
 * device's queue in id order, keeping at most LIMITS.maxUnackedEnvelopes in
 * flight (so a slow reader cannot make the server buffer without bound);
 * envelopes are deleted only when acknowledged. The hub knows only this
 * process's connections; in a cluster it records which devices it holds in a
 * `Presence` (Redis, cluster/redis-cluster.ts), and other nodes' writes reach
 * `notify` through the router.
 *
 * Storage is async, so a queue read can be in progress while new envelopes are
 * stored: one read at a time per connection, and a notify during it makes the
 * reader read again instead of sending around it (ids stay in order, none twice).
 */
import type { WebSocket } from 'ws';
import { ERROR_TABLE, LIMITS, type EnvelopeFrame, type ServerFrame, type WireError } from '@parley/wire';
import type { MessageQueue, StoredEnvelope } from '../storage/storage.ts';
import { CorkedWrites } from './corked-writes.ts';

export interface Connection {
  readonly ws: WebSocket;
  readonly accountId: string;
  readonly deviceId: number;
  /** When the socket authenticated (listed to the account's devices as a session). */
  readonly connectedAt: number;
  lastSentId: number;
  /**
   * Ids sent and not yet acknowledged. Why a set and not a count: acknowledging one id
   * again must not make room for more (a repeated ack once let a socket that never read
   * pull a whole queue into memory).
   */
  readonly unacked: Set<number>;
  /** Bytes of the envelope frames in `unacked` (bounded by the hub's maxBufferBytes). */
  unackedBytes: number;
  /** The frame size of each unacknowledged id. */
  readonly unackedSizes: Map<number, number>;
  drained: boolean;
  /**
   * True when everything stored for the device up to now has been sent on this
   * connection (the last read of the queue came back short). Then a freshly stored
   * envelope can go out straight from memory, and acks need no read of the queue.
   */
  caughtUp: boolean;
  /** A queue read is in progress. */
  reading: boolean;
  /** Something was stored while reading: read again before calling it caught up. */
  readAgain: boolean;
}

/** A fresh connection's delivery state. */
export function newConnection(ws: WebSocket, accountId: string, deviceId: number, connectedAt: number): Connection {
  return { ws, accountId, deviceId, connectedAt, lastSentId: 0, unacked: new Set(), unackedBytes: 0, unackedSizes: new Map(), drained: false, caughtUp: false, reading: false, readAgain: false };
}

/** How long a closed socket waits for the peer's close frame before it is dropped (ws waits 30 s). */
const CLOSE_LINGER_MS = 1000;
/** Acks whose deletes the storage refused are tried again after this long. */
const ACK_RETRY_MS = 1000;

/** Sends the error frame and closes the socket with the code's WebSocket close code. */
export function closeWith(ws: WebSocket, e: WireError): void {
  if (ws.readyState !== ws.OPEN) {
    ws.terminate();
    return;
  }
  ws.send(JSON.stringify({ type: 'error', code: e.code, message: e.describe(), ...e.details }));
  ws.close(ERROR_TABLE[e.code].wsClose, e.code);
  // Why: a peer that never answers the close (or never reads) would hold the socket and its buffers for 30 s.
  setTimeout(() => ws.terminate(), CLOSE_LINGER_MS).unref();
}

/** A device held here with when each of its connections here authenticated. */
export interface HeldDevice {
  readonly accountId: string;
  readonly deviceId: number;
  readonly connectedAt: readonly number[];
}

/** One open connection of a device (what `GET /v1/devices/sessions` lists). */
export interface DeviceSession {
  readonly deviceId: number;
  readonly connectedAt: number;
}

function key(accountId: string, deviceId: number): string {
  return `${accountId}.${deviceId}`;
}

/**
 * Which node holds which device's connections, shared by the nodes of a cluster.
 * `held` resolves once other nodes can see it: the hub reads the queue only then,
 * so an envelope stored by another node is either in that read or woken after it.
 */
export interface Presence {
  /** The device's connections here (when each authenticated) changed; also called again for each added or removed one. */
  held(accountId: string, deviceId: number, connectedAt: readonly number[]): Promise<void>;
  /** The device's last connection on this node is gone. */
  released(accountId: string, deviceId: number): void;
}

/** Device ids are 1..127 on the wire. */
const MAX_DEVICE_ID = 127;

/** When each of a device's connections authenticated, oldest first. */
function times(set: ReadonlySet<Connection>): number[] {
  return [...set].map((c) => c.connectedAt).sort((a, b) => a - b);
}

/** Disconnections remembered for sockets whose authentication was in progress meanwhile. */
const REMEMBERED_DISCONNECTIONS = 1024;

/** Bounds on one device's connections (hardening settings). */
export interface DeliveryBounds {
  /** Envelope bytes in flight per socket. */
  readonly maxBufferBytes: number;
  /** Open sockets per device. */
  readonly socketsPerDevice: number;
}

export class DeliveryHub {
  /** Every frame to an authenticated socket goes through here: one write per socket per turn. */
  readonly writes = new CorkedWrites();
  private readonly connections = new Map<string, Set<Connection>>();
  /** Counts disconnections; `disconnected` maps a device to the count at its last one. */
  private disconnections = 0;
  private readonly disconnected = new Map<string, { readonly at: number; readonly error: WireError }>();

  constructor(
    private readonly queue: MessageQueue,
    private readonly now: () => number,
    private readonly onDelivered: () => void,
    /** A storage failure in the background (a read or an ack): logged, never thrown at a caller. */
    private readonly onError: (e: unknown) => void,
    private readonly presence?: Presence,
    private readonly bounds: DeliveryBounds = { maxBufferBytes: 2 * 1024 * 1024, socketsPerDevice: 8 },
  ) {
    this.dense = queue.queueIdsDense === true;
  }

  /** Sockets the device has here (to refuse one over `socketsPerDevice`). */
  socketsOf(accountId: string, deviceId: number): number {
    return this.connections.get(key(accountId, deviceId))?.size ?? 0;
  }

  get socketsPerDevice(): number {
    return this.bounds.socketsPerDevice;
  }

  get maxBufferBytes(): number {
    return this.bounds.maxBufferBytes;
  }

  /** Room for more envelopes on this connection (ids and bytes in flight). */
  private room(c: Connection): number {
    if (c.unackedBytes >= this.bounds.maxBufferBytes) return 0;
    return LIMITS.maxUnackedEnvelopes - c.unacked.size;
  }

  /** Queue ids are gapless (see MessageQueue.queueIdsDense). */
  private readonly dense: boolean;

  get size(): number {
    let n = 0;
    for (const s of this.connections.values()) n += s.size;
    return n;
  }

  /** A mark to pass to `disconnectedSince` after an asynchronous authentication. */
  get mark(): number {
    return this.disconnections;
  }

  /**
   * The error the device was disconnected with after `mark` was taken, if it was: a
   * socket whose credentials were checked just before an unlink or a password change
   * must not be added after it.
   */
  disconnectedSince(accountId: string, deviceId: number, mark: number): WireError | undefined {
    const d = this.disconnected.get(key(accountId, deviceId));
    return d && d.at > mark ? d.error : undefined;
  }

  /** Closes every connection of the device at once with `e` (the device was unlinked, or its password changed). */
  disconnect(accountId: string, deviceId: number, e: WireError): void {
    const k = key(accountId, deviceId);
    this.disconnected.delete(k);
    this.disconnected.set(k, { at: ++this.disconnections, error: e });
    if (this.disconnected.size > REMEMBERED_DISCONNECTIONS) this.disconnected.delete(this.disconnected.keys().next().value!);
    for (const c of this.connections.get(k) ?? []) {
      if (c.ws.readyState === c.ws.OPEN) closeWith(c.ws, e);
    }
    this.connections.delete(k);
  }

  add(c: Connection): void {
    const k = key(c.accountId, c.deviceId);
    let set = this.connections.get(k);
    if (!set) this.connections.set(k, (set = new Set()));
    set.add(c);
    if (!this.presence) {
      this.pump(c);
      return;
    }
    // Read the queue only once other nodes can find this device (see Presence.held).
    this.presence.held(c.accountId, c.deviceId, times(set)).then(
      () => this.pump(c),
      (e: unknown) => {
        // Without presence, other nodes' writes reach this connection at the next resync.
        this.onError(e);
        this.pump(c);
      },
    );
  }

  remove(c: Connection): void {
    const k = key(c.accountId, c.deviceId);
    const set = this.connections.get(k);
    set?.delete(c);
    if (set && set.size === 0) {
      this.connections.delete(k);
      this.presence?.released(c.accountId, c.deviceId);
    } else if (set) {
      this.presence?.held(c.accountId, c.deviceId, times(set)).catch(this.onError);
    }
  }

  /** The devices with a connection here (to announce them again after Redis lost its data). */
  devices(): HeldDevice[] {
    return [...this.connections.values()].map((set) => {
      const c = set.values().next().value!;
      return { accountId: c.accountId, deviceId: c.deviceId, connectedAt: times(set) };
    });
  }

  /** The open connections of the account's devices on this node, oldest first per device. */
  sessions(accountId: string): DeviceSession[] {
    const out: DeviceSession[] = [];
    for (let deviceId = 1; deviceId <= MAX_DEVICE_ID; deviceId++) {
      const set = this.connections.get(key(accountId, deviceId));
      if (set) for (const connectedAt of times(set)) out.push({ deviceId, connectedAt });
    }
    return out;
  }

  /** Every connection reads its queue (wake-ups may have been lost: Redis was unreachable). */
  resync(): void {
    for (const set of this.connections.values()) for (const c of set) this.pump(c);
  }

  /** Whether the device has a connection here (so waking it is worth building its envelopes). */
  connected(accountId: string, deviceId: number): boolean {
    return this.connections.has(key(accountId, deviceId));
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
        c.unacked.size + fresh.length <= LIMITS.maxUnackedEnvelopes &&
        c.unackedBytes < this.bounds.maxBufferBytes &&
        // Dense ids: only the very next ones, else a write by another node could be overtaken.
        fresh.every((e, i) => (this.dense ? e.id === c.lastSentId + 1 + i : e.id > c.lastSentId));
      // Stopped short (the byte bound): the rest is in the queue, read at the next ack.
      if (direct) {
        if (this.sendBatch(c, fresh) < fresh.length) c.caughtUp = false;
      } else this.pump(c);
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
      this.queue.ackBatch(batch.map((a) => ({ accountId: a.c.accountId, deviceId: a.c.deviceId, id: a.id }))).then(() => {
        const touched = new Set<Connection>();
        for (const a of batch) {
          // Only an id in flight makes room, once: repeated or invented ids count for nothing.
          if (a.c.unacked.delete(a.id)) {
            a.c.unackedBytes -= a.c.unackedSizes.get(a.id) ?? 0;
            a.c.unackedSizes.delete(a.id);
            this.onDelivered();
          }
          touched.add(a.c);
        }
        // A caught-up connection has nothing waiting in the queue: no need to read it.
        for (const c of touched) if (!c.caughtUp) this.pump(c);
      }, (e: unknown) => {
        // Why again: the storage may refuse for a while (its disk full, a lock, a database restart);
        // until the deletes commit, these envelopes keep their connection's window full.
        this.onError(e);
        setTimeout(() => {
          for (const a of batch) this.ack(a.c, a.id);
        }, ACK_RETRY_MS).unref();
      });
    });
  }

  private send(c: Connection, frame: ServerFrame): void {
    this.writes.send(c.ws, JSON.stringify(frame));
  }

  /** Reads the queue and sends what fits; at most one read per connection at a time. */
  private pump(c: Connection): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    // Why: while a read is in progress, fresh envelopes must not overtake what it returns.
    c.caughtUp = false;
    if (c.reading) {
      c.readAgain = true;
      return;
    }
    c.reading = true;
    this.read(c).catch((e: unknown) => {
      this.onError(e);
      // The device gets its envelopes on its next connection.
      c.ws.terminate();
    });
  }

  private async read(c: Connection): Promise<void> {
    try {
      for (;;) {
        c.readAgain = false;
        const room = this.room(c);
        if (room <= 0) return; // not caught up: the next ack reads the queue
        const batch = await this.queue.pending(c.accountId, c.deviceId, c.lastSentId, room);
        if (c.ws.readyState !== c.ws.OPEN) return;
        // Stopped short by the byte bound: the next ack reads on.
        if (batch.length > 0 && this.sendBatch(c, batch) < batch.length) return;
        // A short batch means the queue is drained: no second query to learn that.
        if (batch.length < room && !c.readAgain) break;
      }
      c.caughtUp = true;
      if (!c.drained) {
        c.drained = true;
        this.send(c, { type: 'queue-empty' });
      }
    } finally {
      // Why here and not after the promise settles: a pump in between would find a read "in progress" and be lost.
      c.reading = false;
    }
  }

  /** Base64 of group contents, cached per content: a group message's envelopes share one, encoded once for every connection. */
  private readonly encoded = new WeakMap<Uint8Array, string>();

  private base64(content: Uint8Array): string {
    let b = this.encoded.get(content);
    if (b === undefined) {
      b = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('base64');
      this.encoded.set(content, b);
    }
    return b;
  }

  /** Sends what the connection has room for, in order; answers how many of `batch` it took (sent, skipped or expired). */
  private sendBatch(c: Connection, batch: readonly StoredEnvelope[]): number {
    const expiredBefore = this.now() - LIMITS.ephemeralTtlMs;
    const expired: number[] = [];
    let taken = 0;
    for (const e of batch) {
      if (e.id <= c.lastSentId) {
        taken++;
        continue;
      }
      // Why stop on bytes: a socket that does not read must not make the server hold its whole queue.
      if (c.unacked.size > 0 && c.unackedBytes >= this.bounds.maxBufferBytes) break;
      taken++;
      c.lastSentId = e.id;
      if (e.ephemeral && e.serverTimestamp < expiredBefore) {
        // Why: a call offer minutes old must not ring now; drop it.
        expired.push(e.id);
        continue;
      }
      const content = e.groupId === undefined ? Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength).toString('base64') : this.base64(e.content);
      const frame: EnvelopeFrame =
        e.messageType === 'sealed'
          ? // Why no source: the server does not know who sent a sealed envelope.
            { type: 'envelope', id: e.id, timestamp: e.timestamp, serverTimestamp: e.serverTimestamp, messageType: 'sealed', content, ephemeral: e.ephemeral }
          : {
              type: 'envelope',
              id: e.id,
              sourceAccountId: e.sourceAccountId!,
              sourceUsername: e.sourceUsername!,
              sourceDeviceId: e.sourceDeviceId!,
              timestamp: e.timestamp,
              serverTimestamp: e.serverTimestamp,
              messageType: e.messageType,
              content,
              ephemeral: e.ephemeral,
              ...(e.groupId === undefined ? {} : { groupId: e.groupId }),
            };
      const text = JSON.stringify(frame);
      this.writes.send(c.ws, text);
      c.unacked.add(e.id);
      c.unackedSizes.set(e.id, text.length);
      c.unackedBytes += text.length;
    }
    if (expired.length > 0) {
      this.queue.ackBatch(expired.map((id) => ({ accountId: c.accountId, deviceId: c.deviceId, id }))).catch(this.onError);
    }
    return taken;
  }
}
