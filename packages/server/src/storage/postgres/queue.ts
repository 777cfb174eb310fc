/**
 * PostgreSQL: per-device message queues (MessageQueue).
 *
 * Ids: each device queue numbers its envelopes 1, 2, 3, ... from its row in
 * `queue_heads`, which an enqueue updates and so keeps locked until it commits.
 * Two transactions writing one queue therefore commit in id order, whichever
 * nodes they run on: a reader that sees id n has seen every id below it, which is
 * what lets a connection read "everything after the last id I sent". Heads are
 * locked in (account, device) order to make deadlocks rare; the transaction is
 * retried when one happens.
 */
import type { DeviceAddress, EnqueueItem, EnqueueResult, Fanout, MessageQueue, NewEnvelope, StoredEnvelope } from '../storage.ts';
import { senderOf } from '../storage.ts';
import { u8, type Db, type Query } from './db.ts';

const key = (accountId: string, deviceId: number) => `${accountId}\u0000${deviceId}`;

/** Inside a transaction: reserves `n` ids in each queue; answers each queue's first new id. */
async function takeIds(q: Query, wanted: ReadonlyMap<string, { accountId: string; deviceId: number; n: number }>): Promise<Map<string, number>> {
  const heads = [...wanted.values()];
  const r = await q(
    'INSERT INTO queue_heads (account_id, device_id, last_id) SELECT a, d, n FROM unnest($1::text[], $2::int[], $3::bigint[]) AS t(a, d, n) ORDER BY a, d ' +
      'ON CONFLICT (account_id, device_id) DO UPDATE SET last_id = queue_heads.last_id + excluded.last_id RETURNING account_id, device_id, last_id',
    [heads.map((h) => h.accountId), heads.map((h) => h.deviceId), heads.map((h) => h.n)],
  );
  const first = new Map<string, number>();
  for (const row of r.rows as Array<{ account_id: string; device_id: number; last_id: number }>) {
    const k = key(row.account_id, row.device_id);
    first.set(k, row.last_id - wanted.get(k)!.n + 1);
  }
  return first;
}

/** Counts how many ids each destination needs. */
function tally(into: Map<string, { accountId: string; deviceId: number; n: number }>, accountId: string, deviceId: number): void {
  const k = key(accountId, deviceId);
  const h = into.get(k);
  if (h) h.n++;
  else into.set(k, { accountId, deviceId, n: 1 });
}

/** Hands out ids in order from what `takeIds` reserved. */
function idSource(first: Map<string, number>): (accountId: string, deviceId: number) => number {
  const next = new Map(first);
  return (accountId, deviceId) => {
    const k = key(accountId, deviceId);
    const id = next.get(k)!;
    next.set(k, id + 1);
    return id;
  };
}

/** Inside a transaction: one payload row with the content, then one small envelope row per destination. */
async function insertFanout(q: Query, f: Fanout, ids: readonly number[]): Promise<void> {
  const e = f.envelope;
  const payload = (await q('INSERT INTO payloads (content, refs) VALUES ($1, $2) RETURNING id', [e.content, f.to.length])).rows[0].id as number;
  await q(
    'INSERT INTO envelopes (account_id, device_id, id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, payload_id, size) ' +
      "SELECT a, d, i, $4, $5, $6, $7, $8, $9, '\\x'::bytea, $10, $11, $12, $13 FROM unnest($1::text[], $2::int[], $3::bigint[]) AS t(a, d, i)",
    [f.to.map((d) => d.accountId), f.to.map((d) => d.deviceId), ids, e.sourceAccountId ?? null, e.sourceUsername ?? null, e.sourceDeviceId ?? null, e.timestamp, e.serverTimestamp, e.messageType, e.ephemeral, e.groupId ?? null, payload, e.content.length],
  );
}

/** Inside a transaction: stores a fanout; answers its ids in destination order. */
export async function enqueueFanout(q: Query, f: Fanout): Promise<number[]> {
  if (f.to.length === 0) return [];
  const wanted = new Map<string, { accountId: string; deviceId: number; n: number }>();
  for (const d of f.to) tally(wanted, d.accountId, d.deviceId);
  const next = idSource(await takeIds(q, wanted));
  const ids = f.to.map((d) => next(d.accountId, d.deviceId));
  await insertFanout(q, f, ids);
  return ids;
}

async function insertEnvelopes(q: Query, envelopes: ReadonlyArray<{ e: NewEnvelope; id: number }>): Promise<void> {
  if (envelopes.length === 0) return;
  const col = <T>(f: (e: NewEnvelope) => T) => envelopes.map((x) => f(x.e));
  await q(
    'INSERT INTO envelopes (account_id, device_id, id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, size) ' +
      'SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[], $9::text[], $10::bytea[], $11::bool[], $12::text[], $13::int[])',
    [
      col((e) => e.destinationAccountId),
      col((e) => e.destinationDeviceId),
      envelopes.map((x) => x.id),
      col((e) => e.sourceAccountId ?? null),
      col((e) => e.sourceUsername ?? null),
      col((e) => e.sourceDeviceId ?? null),
      col((e) => e.timestamp),
      col((e) => e.serverTimestamp),
      col((e) => e.messageType),
      col((e) => e.content),
      col((e) => e.ephemeral),
      col((e) => e.groupId ?? null),
      col((e) => e.content.length),
    ],
  );
}

/**
 * 1:1 envelopes only (the common batch): the ids and the rows in one statement, so
 * one round trip and one commit. The queue heads are locked in (account, device)
 * order as in `takeIds`; each envelope's id is its head's previous value plus its
 * rank among this batch's envelopes for that device, in batch order.
 */
const ENQUEUE_ONE_STATEMENT = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::text[], $9::bytea[], $10::bool[], $11::text[])
    WITH ORDINALITY AS t(a, d, sa, su, sd, ts, sts, mt, c, eph, g, o)
), counts AS (
  SELECT a, d, COUNT(*)::bigint AS n FROM input GROUP BY a, d
), heads AS (
  INSERT INTO queue_heads (account_id, device_id, last_id) SELECT a, d, n FROM counts ORDER BY a, d
  ON CONFLICT (account_id, device_id) DO UPDATE SET last_id = queue_heads.last_id + excluded.last_id
  RETURNING account_id, device_id, last_id
), numbered AS (
  SELECT i.*, h.last_id - c.n + ROW_NUMBER() OVER (PARTITION BY i.a, i.d ORDER BY i.o) AS id
  FROM input i JOIN counts c ON c.a = i.a AND c.d = i.d JOIN heads h ON h.account_id = i.a AND h.device_id = i.d
), stored AS (
  INSERT INTO envelopes (account_id, device_id, id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, size)
  SELECT a, d, id, sa, su, sd, ts, sts, mt, c, eph, g, octet_length(c) FROM numbered
)
SELECT id FROM numbered ORDER BY o`;

async function enqueueEnvelopes(db: Db, envelopes: readonly NewEnvelope[]): Promise<number[]> {
  const col = <T>(f: (e: NewEnvelope) => T) => envelopes.map(f);
  const r = await db.statement(ENQUEUE_ONE_STATEMENT, [
    col((e) => e.destinationAccountId),
    col((e) => e.destinationDeviceId),
    col((e) => e.sourceAccountId ?? null),
    col((e) => e.sourceUsername ?? null),
    col((e) => e.sourceDeviceId ?? null),
    col((e) => e.timestamp),
    col((e) => e.serverTimestamp),
    col((e) => e.messageType),
    col((e) => e.content),
    col((e) => e.ephemeral),
    col((e) => e.groupId ?? null),
  ]);
  return (r.rows as Array<{ id: number }>).map((row) => row.id);
}

interface EnvelopeSqlRow {
  id: number;
  source_account_id: string | null;
  source_username: string | null;
  source_device_id: number | null;
  timestamp: number;
  server_timestamp: number;
  message_type: StoredEnvelope['messageType'];
  content: Buffer;
  ephemeral: boolean;
  group_id: string | null;
}

/** The quota bucket of a sealed item (no account id is empty). */
const SEALED = '';

/** The sender account of an item (SEALED for a sealed one), and the (device, content size) of each envelope it writes. */
function itemWrites(item: EnqueueItem): { sender: string; writes: Array<{ accountId: string; deviceId: number; size: number }> } {
  if ('envelopes' in item) {
    const first = item.envelopes[0];
    return { sender: first ? (senderOf(first) ?? SEALED) : SEALED, writes: item.envelopes.map((e) => ({ accountId: e.destinationAccountId, deviceId: e.destinationDeviceId, size: e.content.length })) };
  }
  const size = item.fanout.envelope.content.length;
  return { sender: senderOf(item.fanout.envelope) ?? SEALED, writes: item.fanout.to.map((d) => ({ accountId: d.accountId, deviceId: d.deviceId, size })) };
}

/**
 * Inside a transaction: which items keep their quotas, counted exactly. The heads of
 * every queue concerned are locked first (in order, as takeIds does), so the counts
 * read next (a new snapshot: READ COMMITTED) include every enqueue committed to those
 * queues, and no other can commit until this one does. Items are then admitted in
 * order, each counted with the ones admitted before it.
 */
async function admit(q: Query, items: readonly EnqueueItem[], candidates: readonly boolean[]): Promise<boolean[]> {
  const admitted = items.map((_, n) => candidates[n]!);
  const quoted = items.map((item, n) => (candidates[n] && item.quota ? itemWrites(item) : undefined));
  const devices = new Map<string, { accountId: string; deviceId: number }>();
  const senders = new Set<string>();
  for (const w of quoted) {
    if (!w) continue;
    senders.add(w.sender);
    for (const d of w.writes) devices.set(key(d.accountId, d.deviceId), d);
  }
  if (devices.size === 0) return admitted;
  const list = [...devices.values()].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.deviceId - b.deviceId));
  const accounts = list.map((d) => d.accountId);
  const ids = list.map((d) => d.deviceId);
  await q(
    'INSERT INTO queue_heads (account_id, device_id, last_id) SELECT a, d, 0 FROM unnest($1::text[], $2::int[]) AS t(a, d) ORDER BY a, d ' +
      'ON CONFLICT (account_id, device_id) DO UPDATE SET last_id = queue_heads.last_id',
    [accounts, ids],
  );
  // One query for both: per device and sender (sealed envelopes as the sender ''), with senders outside this batch folded into one row.
  const usage = new Map<string, { n: number; bytes: number }>();
  const mine = new Map<string, number>();
  const r = await q(
    "SELECT account_id, device_id, CASE WHEN source_account_id IS NULL THEN '' WHEN source_account_id = ANY($3::text[]) THEN source_account_id END AS sender, COUNT(*)::int AS n, COALESCE(SUM(size), 0)::bigint AS bytes " +
      'FROM envelopes WHERE (account_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::int[])) GROUP BY 1, 2, 3',
    [accounts, ids, [...senders]],
  );
  for (const row of r.rows as Array<{ account_id: string; device_id: number; sender: string | null; n: number; bytes: number }>) {
    const k = key(row.account_id, row.device_id);
    const u = usage.get(k) ?? { n: 0, bytes: 0 };
    usage.set(k, { n: u.n + row.n, bytes: u.bytes + row.bytes });
    if (row.sender !== null) mine.set(`${k}\u0000${row.sender}`, row.n);
  }
  items.forEach((item, n) => {
    const w = quoted[n];
    if (!w || !item.quota) return;
    const add = new Map<string, { n: number; bytes: number }>();
    for (const d of w.writes) {
      const k = key(d.accountId, d.deviceId);
      const a = add.get(k) ?? { n: 0, bytes: 0 };
      a.n++;
      a.bytes += d.size;
      add.set(k, a);
    }
    const fits = [...add].every(([k, a]) => {
      const u = usage.get(k) ?? { n: 0, bytes: 0 };
      const perSender = w.sender === SEALED ? item.quota!.maxSealed : item.quota!.maxPerSender;
      return u.n + a.n <= item.quota!.maxPerDevice && u.bytes + a.bytes <= item.quota!.maxBytesPerDevice && (mine.get(`${k}\u0000${w.sender}`) ?? 0) + a.n <= perSender;
    });
    if (!fits) {
      admitted[n] = false;
      return;
    }
    for (const [k, a] of add) {
      const u = usage.get(k) ?? { n: 0, bytes: 0 };
      usage.set(k, { n: u.n + a.n, bytes: u.bytes + a.bytes });
      mine.set(`${k}\u0000${w.sender}`, (mine.get(`${k}\u0000${w.sender}`) ?? 0) + a.n);
    }
  });
  return admitted;
}

export function messageQueue(db: Db): MessageQueue {
  return {
    async enqueueBatch(items) {
      // One statement for plain 1:1 batches; quotas need the counts read under the heads' locks (the transaction below).
      if (items.every((i) => 'envelopes' in i && !i.quota)) {
        const all = items.flatMap((i) => ('envelopes' in i ? i.envelopes : []));
        if (all.length === 0) return items.map(() => []);
        const ids = await enqueueEnvelopes(db, all);
        let at = 0;
        return items.map((i) => ('envelopes' in i ? ids.slice(at, (at += i.envelopes.length)) : []));
      }
      return db.tx(async (q) => {
        // Group revisions are read FOR SHARE: a group change (FOR UPDATE) waits for this commit, or this read waits for it.
        const guarded = [...new Set(items.flatMap((i) => ('fanout' in i && i.ifGroupRevision ? [i.ifGroupRevision.groupId] : [])))];
        const revisions = new Map<string, number>();
        if (guarded.length > 0) {
          const r = await q('SELECT id, revision FROM groups WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE', [guarded]);
          for (const row of r.rows as Array<{ id: string; revision: number }>) revisions.set(row.id, row.revision);
        }
        const current = items.map((i) => !('fanout' in i) || !i.ifGroupRevision || revisions.get(i.ifGroupRevision.groupId) === i.ifGroupRevision.revision);
        const ok = await admit(q, items, current);
        const wanted = new Map<string, { accountId: string; deviceId: number; n: number }>();
        items.forEach((item, n) => {
          if (!ok[n]) return;
          if ('envelopes' in item) for (const e of item.envelopes) tally(wanted, e.destinationAccountId, e.destinationDeviceId);
          else for (const d of item.fanout.to) tally(wanted, d.accountId, d.deviceId);
        });
        const refused = (n: number): EnqueueResult => (current[n] ? 'queue-full' : 'group-changed');
        if (wanted.size === 0) return items.map((_, n): EnqueueResult => (ok[n] ? [] : refused(n)));
        const next = idSource(await takeIds(q, wanted));
        const direct: Array<{ e: NewEnvelope; id: number }> = [];
        const results: EnqueueResult[] = [];
        for (const [n, item] of items.entries()) {
          if (!ok[n]) {
            results.push(refused(n));
          } else if ('envelopes' in item) {
            const ids = item.envelopes.map((e) => next(e.destinationAccountId, e.destinationDeviceId));
            item.envelopes.forEach((e, i) => direct.push({ e, id: ids[i]! }));
            results.push(ids);
          } else {
            const ids = item.fanout.to.map((d) => next(d.accountId, d.deviceId));
            if (ids.length > 0) await insertFanout(q, item.fanout, ids);
            results.push(ids);
          }
        }
        await insertEnvelopes(q, direct);
        return results;
      });
    },
    async pending(accountId, deviceId, afterId, limit) {
      const r = await db.query(
        'SELECT e.id, e.source_account_id, e.source_username, e.source_device_id, e.timestamp, e.server_timestamp, e.message_type, ' +
          'COALESCE(p.content, e.content) AS content, e.ephemeral, e.group_id ' +
          'FROM envelopes e LEFT JOIN payloads p ON p.id = e.payload_id WHERE e.account_id = $1 AND e.device_id = $2 AND e.id > $3 ORDER BY e.id LIMIT $4',
        [accountId, deviceId, afterId, limit],
      );
      return (r.rows as EnvelopeSqlRow[]).map((row) => ({
        id: row.id,
        ...(row.source_account_id === null || row.source_username === null || row.source_device_id === null
          ? {}
          : { sourceAccountId: row.source_account_id, sourceUsername: row.source_username, sourceDeviceId: row.source_device_id }),
        timestamp: row.timestamp,
        serverTimestamp: row.server_timestamp,
        messageType: row.message_type,
        content: u8(row.content),
        ephemeral: row.ephemeral,
        ...(row.group_id === null ? {} : { groupId: row.group_id }),
      }));
    },
    async queueLength(accountId, deviceId) {
      return (await db.query('SELECT COUNT(*)::int AS n FROM envelopes WHERE account_id = $1 AND device_id = $2', [accountId, deviceId])).rows[0].n;
    },
    async fullQueues(accountIds, limit) {
      if (accountIds.length === 0) return [];
      const r = await db.query(
        'SELECT account_id, device_id FROM envelopes WHERE account_id = ANY($1::text[]) GROUP BY account_id, device_id HAVING COUNT(*) >= $2 ORDER BY account_id, device_id',
        [accountIds, limit],
      );
      return (r.rows as Array<{ account_id: string; device_id: number }>).map((row): DeviceAddress => ({ accountId: row.account_id, deviceId: row.device_id }));
    },
    async ackBatch(items) {
      if (items.length === 0) return 0;
      const sorted = [...items].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.deviceId - b.deviceId || a.id - b.id));
      // Why relaxed (synchronous_commit off): a lost ack only means a redelivery, which clients drop as a duplicate.
      const r = await db.statement(
        'DELETE FROM envelopes WHERE (account_id, device_id, id) IN (SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[]))',
        [sorted.map((i) => i.accountId), sorted.map((i) => i.deviceId), sorted.map((i) => i.id)],
        true,
      );
      return r.rowCount ?? 0;
    },
    async dropExpiredEphemeral(olderThan) {
      return (await db.query('DELETE FROM envelopes WHERE ephemeral AND server_timestamp < $1', [olderThan])).rowCount ?? 0;
    },
  };
}
