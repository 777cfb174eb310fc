/**
 * What each device queue holds, kept in memory for the quota check of every send
 * (`QueueQuota`): envelopes, content bytes, and envelopes per source account (the
 * key `null` is the sealed ones, which have no source). It replaces a COUNT/SUM
 * over the queue per send.
 *
 * Valid only where one process is the only writer of the queues (the embedded
 * SQLite store): the store loads a queue's figures from its rows the first time it
 * needs them, then reports every envelope it inserts or deletes, inside the same
 * transaction, so the figures are exact under any interleaving of sends. A
 * transaction that rolls back, or a delete the store does not itemize, makes it
 * `clear` (or `forget` one queue): the next check loads from the rows again.
 * A cluster counts in PostgreSQL instead (storage/postgres/queue.ts).
 */

/** One queue's figures. */
export interface Usage {
  n: number;
  bytes: number;
  /** Envelopes per source account id; `null` for sealed envelopes. */
  readonly bySource: Map<string | null, number>;
}

/** A row of the loading query: one source's envelopes in one queue. */
export interface UsageRow {
  readonly account_id: string;
  readonly device_id: number;
  readonly source: string | null;
  readonly n: number;
  readonly bytes: number;
}

function key(accountId: string, deviceId: number): string {
  return `${accountId}\u0000${deviceId}`;
}

export class QueueUsage {
  private readonly queues = new Map<string, Usage>();

  /** `capacity`: queues remembered; the oldest is dropped past it (and loaded again when needed). */
  constructor(private readonly capacity: number) {}

  /**
   * The figures of these queues, in order; `load` reads the rows of those not in
   * memory (all of them in one call) and gets only those.
   */
  usage(queues: ReadonlyArray<{ readonly accountId: string; readonly deviceId: number }>, load: (missing: ReadonlyArray<{ accountId: string; deviceId: number }>) => readonly UsageRow[]): Usage[] {
    const missing: Array<{ accountId: string; deviceId: number }> = [];
    const found = queues.map((q) => {
      const u = this.queues.get(key(q.accountId, q.deviceId));
      if (!u) missing.push({ accountId: q.accountId, deviceId: q.deviceId });
      return u;
    });
    if (missing.length === 0) return found as Usage[];
    const loaded = new Map<string, Usage>(missing.map((m) => [key(m.accountId, m.deviceId), { n: 0, bytes: 0, bySource: new Map() }]));
    for (const r of load(missing)) {
      const u = loaded.get(key(r.account_id, r.device_id));
      if (!u) continue;
      u.n += r.n;
      u.bytes += r.bytes;
      u.bySource.set(r.source, (u.bySource.get(r.source) ?? 0) + r.n);
    }
    for (const [k, u] of loaded) this.remember(k, u);
    return queues.map((q, i) => found[i] ?? loaded.get(key(q.accountId, q.deviceId))!);
  }

  /** An envelope was inserted into the queue (a queue not in memory is counted when it is loaded). */
  added(accountId: string, deviceId: number, source: string | null, size: number): void {
    const u = this.queues.get(key(accountId, deviceId));
    if (!u) return;
    u.n++;
    u.bytes += size;
    u.bySource.set(source, (u.bySource.get(source) ?? 0) + 1);
  }

  /** An envelope was deleted from the queue. */
  removed(accountId: string, deviceId: number, source: string | null, size: number): void {
    const k = key(accountId, deviceId);
    const u = this.queues.get(k);
    if (!u) return;
    const left = (u.bySource.get(source) ?? 0) - 1;
    // Never negative: figures that no longer add up are dropped and loaded again.
    if (left < 0 || u.n < 1 || u.bytes < size) {
      this.queues.delete(k);
      return;
    }
    u.n--;
    u.bytes -= size;
    if (left === 0) u.bySource.delete(source);
    else u.bySource.set(source, left);
  }

  /** The queue changed in a way not itemized (it was emptied): load it again when needed. */
  forget(accountId: string, deviceId: number): void {
    this.queues.delete(key(accountId, deviceId));
  }

  /** Every queue is loaded again when needed (a transaction rolled back, or a bulk delete). */
  clear(): void {
    this.queues.clear();
  }

  private remember(k: string, u: Usage): void {
    this.queues.set(k, u);
    while (this.queues.size > this.capacity) this.queues.delete(this.queues.keys().next().value!);
  }
}
