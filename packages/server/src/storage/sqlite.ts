/**
 * SQLite storage (better-sqlite3, WAL, synchronous=FULL so an envelope is on disk
 * before the sender hears OK). The embedded default under ./data.
 *
 * Enqueues, the hot path, commit without waiting for the disk and are answered
 * only once an fsync of the WAL file, run off the event loop (libuv's thread
 * pool), has covered them (`WalSync`): the same guarantee as synchronous=FULL,
 * without stopping every connection for each fsync, and one fsync covers every
 * commit made while the previous one ran. Answers come in commit order.
 *
 * Device lists are cached (every send reads the recipient's): this process is the
 * only writer of its SQLite file, and every write to devices drops the entry. For
 * the same reason each queue's quota figures are kept in memory (`QueueUsage`)
 * instead of counted per send.
 *
 * better-sqlite3 is synchronous: each method does its work at once and answers a
 * settled promise, so a transaction never spans an await (no other request can
 * interleave with one). The schema is the first version's tables plus numbered,
 * additive migrations (`PRAGMA user_version`), so data directories made by earlier
 * versions keep working.
 *
 * The file system and other programs can refuse a write: a full disk, a lock held by
 * another program (a backup, an operator's `sqlite3` shell), an I/O error. Every
 * method answers those as `StorageUnavailable` with what the client should be told
 * (`driverRefusal`), so the request fails with a clear, retryable UNAVAILABLE,
 * nothing is half-written (the transaction rolls back), and the next request after
 * the cause is gone succeeds: no restart. A lock is waited for `BUSY_WAIT_MS` at
 * most, because better-sqlite3 waits on the event loop.
 */
import { chmodSync, closeSync, existsSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  AccountRow,
  DestinedEnvelope,
  DeviceAddress,
  DeviceKeys,
  DeviceLimits,
  DeviceRow,
  EnqueueItem,
  EnqueueResult,
  Fanout,
  GroupChange,
  GroupMemberRecord,
  GroupRecord,
  GroupRole,
  GroupUpdate,
  GroupWrite,
  InitialKeys,
  KeyUpload,
  LinkResult,
  NewDevice,
  NewEnvelope,
  NewGroup,
  AttachmentRecord,
  ProfileRecord,
  ProvisioningChannel,
  QueueQuota,
  Storage,
  StoredEnvelope,
} from './storage.ts';
import { driverRefusal } from './refusals.ts';
import { senderOf } from './storage.ts';
import { QueueUsage, type UsageRow } from './queue-usage.ts';

/** The tables of the first version (before migrations). */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  identity_key BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
  account_id TEXT NOT NULL REFERENCES accounts(id),
  device_id INTEGER NOT NULL,
  registration_id INTEGER NOT NULL,
  password_hash BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id)
);
CREATE TABLE IF NOT EXISTS signed_prekeys (
  account_id TEXT NOT NULL, device_id INTEGER NOT NULL, kind TEXT NOT NULL,
  key_id INTEGER NOT NULL, public_key BLOB NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id, kind)
);
CREATE TABLE IF NOT EXISTS one_time_prekeys (
  account_id TEXT NOT NULL, device_id INTEGER NOT NULL, key_id INTEGER NOT NULL, public_key BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id, key_id)
);
CREATE TABLE IF NOT EXISTS kem_prekeys (
  account_id TEXT NOT NULL, device_id INTEGER NOT NULL, key_id INTEGER NOT NULL,
  public_key BLOB NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (account_id, device_id, key_id)
);
CREATE TABLE IF NOT EXISTS envelopes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL, device_id INTEGER NOT NULL,
  source_account_id TEXT NOT NULL, source_username TEXT NOT NULL, source_device_id INTEGER NOT NULL,
  timestamp INTEGER NOT NULL, server_timestamp INTEGER NOT NULL,
  message_type TEXT NOT NULL, content BLOB NOT NULL, ephemeral INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS envelopes_by_device ON envelopes (account_id, device_id, id);
`;

/** Migration n takes the schema from user_version n to n + 1; each runs in one transaction. */
const MIGRATIONS: readonly string[] = [
  // 1: linked devices (when created and seen, encrypted names, tombstones), link tokens, provisioning.
  `
  ALTER TABLE devices ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE devices ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE devices ADD COLUMN encrypted_name BLOB;
  UPDATE devices SET
    created_at = (SELECT created_at FROM accounts WHERE accounts.id = devices.account_id),
    last_seen_at = (SELECT created_at FROM accounts WHERE accounts.id = devices.account_id);
  CREATE TABLE device_tombstones (
    account_id TEXT NOT NULL, device_id INTEGER NOT NULL, unlinked_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, device_id)
  );
  CREATE TABLE link_tokens (
    token_hash BLOB PRIMARY KEY, account_id TEXT NOT NULL, expires_at INTEGER NOT NULL
  );
  CREATE TABLE provisioning_channels (
    id TEXT PRIMARY KEY, public_key BLOB NOT NULL, read_token_hash BLOB NOT NULL, expires_at INTEGER NOT NULL,
    -- 0: waiting for the message, 1: message waiting, 2: message taken
    state INTEGER NOT NULL DEFAULT 0, message BLOB
  );
  `,
  // 2: groups; envelopes name their group; one content shared by a group message's envelopes.
  `
  ALTER TABLE envelopes ADD COLUMN group_id TEXT;
  ALTER TABLE envelopes ADD COLUMN payload_id INTEGER;
  -- A fanout's content, stored once; refs counts the envelopes pointing at it.
  CREATE TABLE payloads (id INTEGER PRIMARY KEY AUTOINCREMENT, content BLOB NOT NULL, refs INTEGER NOT NULL);
  -- Every way an envelope leaves (ack, expiry, unlink) releases its payload.
  CREATE TRIGGER envelopes_release_payload AFTER DELETE ON envelopes WHEN OLD.payload_id IS NOT NULL BEGIN
    UPDATE payloads SET refs = refs - 1 WHERE id = OLD.payload_id;
    DELETE FROM payloads WHERE id = OLD.payload_id AND refs <= 0;
  END;
  CREATE TABLE groups (
    id TEXT PRIMARY KEY, revision INTEGER NOT NULL, encrypted_attributes BLOB NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
  );
  -- seq orders members by when they joined.
  CREATE TABLE group_members (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, group_id TEXT NOT NULL, account_id TEXT NOT NULL,
    role TEXT NOT NULL, joined_at INTEGER NOT NULL, UNIQUE (group_id, account_id)
  );
  CREATE INDEX group_members_by_account ON group_members (account_id, seq);
  `,
  // 3: attachment uploads (metadata; the bytes are in the blob store).
  `
  CREATE TABLE attachments (
    id TEXT PRIMARY KEY, owner_account_id TEXT NOT NULL, owner_device_id INTEGER NOT NULL,
    size INTEGER NOT NULL, committed INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
  );
  CREATE INDEX attachments_by_expiry ON attachments (expires_at);
  CREATE INDEX attachments_unfinished_by_owner ON attachments (owner_account_id) WHERE committed < size;
  `,
  // 4: each envelope's content size, so a device's queue is bounded in bytes (envelopes from before count 0).
  `
  ALTER TABLE envelopes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
  `,
  // 5: encrypted profiles (one current version per account) and their access keys.
  `
  CREATE TABLE profiles (
    account_id TEXT PRIMARY KEY, version TEXT NOT NULL, name BLOB NOT NULL,
    avatar BLOB, access_key BLOB NOT NULL, updated_at INTEGER NOT NULL
  );
  `,
  // 6: sealed-sender envelopes have no source: the source columns become nullable, NULL exactly
  // for them (SQLite cannot drop NOT NULL, so the table is rebuilt; its id sequence carries over).
  `
  DROP TRIGGER envelopes_release_payload;
  CREATE TABLE envelopes_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL, device_id INTEGER NOT NULL,
    source_account_id TEXT, source_username TEXT, source_device_id INTEGER,
    timestamp INTEGER NOT NULL, server_timestamp INTEGER NOT NULL,
    message_type TEXT NOT NULL, content BLOB NOT NULL, ephemeral INTEGER NOT NULL,
    group_id TEXT, payload_id INTEGER, size INTEGER NOT NULL DEFAULT 0,
    CHECK ((message_type = 'sealed') = (source_account_id IS NULL AND source_username IS NULL AND source_device_id IS NULL))
  );
  INSERT INTO envelopes_next (id, account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, payload_id, size)
    SELECT id, account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, payload_id, size FROM envelopes;
  INSERT INTO sqlite_sequence (name, seq) SELECT 'envelopes_next', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'envelopes_next');
  UPDATE sqlite_sequence SET seq = (SELECT MAX(seq) FROM sqlite_sequence WHERE name IN ('envelopes', 'envelopes_next')) WHERE name = 'envelopes_next';
  DROP TABLE envelopes;
  ALTER TABLE envelopes_next RENAME TO envelopes;
  CREATE INDEX envelopes_by_device ON envelopes (account_id, device_id, id);
  CREATE TRIGGER envelopes_release_payload AFTER DELETE ON envelopes WHEN OLD.payload_id IS NOT NULL BEGIN
    UPDATE payloads SET refs = refs - 1 WHERE id = OLD.payload_id;
    DELETE FROM payloads WHERE id = OLD.payload_id AND refs <= 0;
  END;
  `,
];

/** A row's source fields: all three, or none (a sealed envelope). */
function sourceOf(r: { source_account_id: string | null; source_username: string | null; source_device_id: number | null }): Pick<StoredEnvelope, 'sourceAccountId' | 'sourceUsername' | 'sourceDeviceId'> {
  if (r.source_account_id === null || r.source_username === null || r.source_device_id === null) return {};
  return { sourceAccountId: r.source_account_id, sourceUsername: r.source_username, sourceDeviceId: r.source_device_id };
}

function u8(b: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

interface DeviceSqlRow {
  account_id: string;
  device_id: number;
  registration_id: number;
  password_hash: Buffer;
  created_at: number;
  last_seen_at: number;
  encrypted_name: Buffer | null;
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
  ephemeral: number;
  group_id: string | null;
}

const DEVICE_LISTS_CACHED = 10_000;

/** An `ackBatch` call whose deletes are not committed yet. */
interface WaitingAck {
  readonly items: ReadonlyArray<DeviceAddress & { readonly id: number }>;
  readonly resolve: (n: number) => void;
  readonly reject: (e: unknown) => void;
}
/** Queues whose quota figures are kept in memory (a few hundred bytes each). */
const QUEUE_USAGES_CACHED = 100_000;

/**
 * How long a write waits for a lock another program holds before it is refused (the
 * driver's default is 5 s). Why short: the wait blocks the event loop, so every
 * connection of this node would stall for it.
 */
export const BUSY_WAIT_MS = 200;

/**
 * Makes relaxed (synchronous=NORMAL) WAL commits durable off the event loop: an
 * fsync of the WAL file covers every commit appended before it. Waiters are
 * answered in commit order; at most one fsync runs at a time.
 */
class WalSync {
  private fd: number | undefined;
  private committed = 0;
  private syncing = false;
  private readonly waiting: Array<{ seq: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  constructor(private readonly walPath: string) {}

  /** Call right after a relaxed commit: resolves once it is on disk. */
  committedNow(): Promise<void> {
    const seq = ++this.committed;
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ seq, resolve, reject }));
    this.next();
    return done;
  }

  private next(): void {
    if (this.syncing || this.waiting.length === 0) return;
    if (this.fd === undefined) {
      this.fd = openSync(this.walPath, 'r');
      // The WAL file's directory entry, once: a new file is durable only with it.
      const dir = openSync(dirname(this.walPath), 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    }
    this.syncing = true;
    const upTo = this.committed;
    // fdatasync, as SQLite itself syncs its WAL: the data, not the file's times.
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      while (this.waiting.length > 0 && this.waiting[0]!.seq <= upTo) {
        const w = this.waiting.shift()!;
        if (err) w.reject(err);
        else w.resolve();
      }
      this.next();
    });
  }

  /** Makes everything durable now (the store is closing). */
  close(): void {
    if (this.fd === undefined) return;
    fdatasyncSync(this.fd);
    for (const w of this.waiting.splice(0)) w.resolve();
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The database file and its WAL and shared-memory files, created owner-only (0600) or
 * narrowed to it. SQLite gives the WAL and -shm files the database file's mode.
 */
function privateFiles(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const f of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(f)) chmodSync(f, 0o600);
  }
}

const DEVICE_COLUMNS = 'account_id, device_id, registration_id, password_hash, created_at, last_seen_at, encrypted_name';

export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly stmts;

  /** Acks waiting to be deleted with the next enqueue (see ackBatch). */
  private acksWaiting: WaitingAck[] = [];

  /** Each queue's quota figures, kept exact by every insert and delete below (this process is the only writer). */
  private readonly usage = new QueueUsage(QUEUE_USAGES_CACHED);

  /** Durability of relaxed enqueue commits (none for an in-memory database: every commit is FULL then). */
  private readonly walSync: WalSync | undefined;

  /** Truncates the WAL now and then, so acknowledged (deleted) envelopes do not linger in it. */
  private readonly checkpointTimer: NodeJS.Timeout | undefined;
  /** Rows deleted since the last truncating checkpoint. */
  private deletedSinceCheckpoint = false;

  /**
   * `checkpointMs`: how often the WAL is checkpointed and truncated after deletions
   * (default 10 s). Why: with secure_delete a deleted row is overwritten in the database
   * file, but the WAL still holds the pages it was written in until it is reset.
   */
  constructor(path: string, opts: { checkpointMs?: number } = {}) {
    const onDisk = !(path === ':memory:' || path === '');
    if (onDisk) privateFiles(path);
    this.walSync = onDisk ? new WalSync(`${path}-wal`) : undefined;
    this.db = new Database(path, { timeout: BUSY_WAIT_MS });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    // Why: deleted content (acknowledged envelopes, consumed prekeys) is overwritten with zeros, not left in free pages.
    this.db.pragma('secure_delete = ON');
    if (onDisk) privateFiles(path);
    this.checkpointTimer = onDisk
      ? setInterval(() => {
          if (this.deletedSinceCheckpoint) this.checkpoint();
        }, opts.checkpointMs ?? 10_000)
      : undefined;
    this.checkpointTimer?.unref();
    this.db.exec(SCHEMA);
    this.migrate();
    const d = this.db;
    this.stmts = {
      insertAccount: d.prepare('INSERT INTO accounts (id, username, identity_key, created_at) VALUES (?, ?, ?, ?)'),
      insertDevice: d.prepare(
        'INSERT INTO devices (account_id, device_id, registration_id, password_hash, created_at, last_seen_at, encrypted_name) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertSigned: d.prepare(
        'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (account_id, device_id, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature',
      ),
      accountByUsername: d.prepare('SELECT id, username, identity_key FROM accounts WHERE username = ?'),
      accountById: d.prepare('SELECT id, username, identity_key FROM accounts WHERE id = ?'),
      device: d.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE account_id = ? AND device_id = ?`),
      devices: d.prepare(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE account_id = ? ORDER BY device_id`),
      countDevices: d.prepare('SELECT COUNT(*) AS n FROM devices WHERE account_id = ?'),
      maxDeviceId: d.prepare(
        'SELECT MAX(m) AS m FROM (SELECT MAX(device_id) AS m FROM devices WHERE account_id = ? UNION ALL SELECT MAX(device_id) FROM device_tombstones WHERE account_id = ?)',
      ),
      touchDevice: d.prepare('UPDATE devices SET last_seen_at = ? WHERE account_id = ? AND device_id = ?'),
      changePassword: d.prepare('UPDATE devices SET password_hash = ? WHERE account_id = ? AND device_id = ?'),
      tombstone: d.prepare('SELECT unlinked_at FROM device_tombstones WHERE account_id = ? AND device_id = ?'),
      insertTombstone: d.prepare('INSERT OR REPLACE INTO device_tombstones (account_id, device_id, unlinked_at) VALUES (?, ?, ?)'),
      deleteDevice: d.prepare('DELETE FROM devices WHERE account_id = ? AND device_id = ?'),
      deleteDeviceQueue: d.prepare('DELETE FROM envelopes WHERE account_id = ? AND device_id = ?'),
      deleteDeviceSigned: d.prepare('DELETE FROM signed_prekeys WHERE account_id = ? AND device_id = ?'),
      deleteDeviceOneTime: d.prepare('DELETE FROM one_time_prekeys WHERE account_id = ? AND device_id = ?'),
      deleteDeviceKem: d.prepare('DELETE FROM kem_prekeys WHERE account_id = ? AND device_id = ?'),
      insertLinkToken: d.prepare('INSERT INTO link_tokens (token_hash, account_id, expires_at) VALUES (?, ?, ?)'),
      linkToken: d.prepare('SELECT account_id, expires_at FROM link_tokens WHERE token_hash = ?'),
      deleteLinkToken: d.prepare('DELETE FROM link_tokens WHERE token_hash = ?'),
      dropLinkTokens: d.prepare('DELETE FROM link_tokens WHERE expires_at <= ?'),
      insertChannel: d.prepare('INSERT OR IGNORE INTO provisioning_channels (id, public_key, read_token_hash, expires_at) VALUES (?, ?, ?, ?)'),
      channel: d.prepare('SELECT id, public_key, read_token_hash, expires_at, state FROM provisioning_channels WHERE id = ? AND expires_at > ?'),
      putChannelMessage: d.prepare('UPDATE provisioning_channels SET state = 1, message = ? WHERE id = ? AND state = 0'),
      channelMessage: d.prepare('SELECT message FROM provisioning_channels WHERE id = ? AND expires_at > ? AND state = 1'),
      takeChannelMessage: d.prepare('UPDATE provisioning_channels SET state = 2, message = NULL WHERE id = ?'),
      dropChannels: d.prepare('DELETE FROM provisioning_channels WHERE expires_at <= ?'),
      insertOneTime: d.prepare('INSERT OR REPLACE INTO one_time_prekeys (account_id, device_id, key_id, public_key) VALUES (?, ?, ?, ?)'),
      insertKem: d.prepare('INSERT OR REPLACE INTO kem_prekeys (account_id, device_id, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)'),
      countOneTime: d.prepare('SELECT COUNT(*) AS n FROM one_time_prekeys WHERE account_id = ? AND device_id = ?'),
      countKem: d.prepare('SELECT COUNT(*) AS n FROM kem_prekeys WHERE account_id = ? AND device_id = ?'),
      signed: d.prepare('SELECT key_id, public_key, signature FROM signed_prekeys WHERE account_id = ? AND device_id = ? AND kind = ?'),
      firstOneTime: d.prepare('SELECT key_id, public_key FROM one_time_prekeys WHERE account_id = ? AND device_id = ? ORDER BY key_id LIMIT 1'),
      deleteOneTime: d.prepare('DELETE FROM one_time_prekeys WHERE account_id = ? AND device_id = ? AND key_id = ?'),
      firstKem: d.prepare('SELECT key_id, public_key, signature FROM kem_prekeys WHERE account_id = ? AND device_id = ? ORDER BY key_id LIMIT 1'),
      deleteKem: d.prepare('DELETE FROM kem_prekeys WHERE account_id = ? AND device_id = ? AND key_id = ?'),
      insertEnvelope: d.prepare(
        'INSERT INTO envelopes (account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, payload_id, size) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // What a quota needs of queues not in memory yet (QueueUsage): envelopes and bytes per source (NULL: sealed).
      usageOfOne: d.prepare(
        'SELECT account_id, device_id, source_account_id AS source, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM envelopes WHERE account_id = ? AND device_id = ? GROUP BY source_account_id',
      ),
      usageOfMany: d.prepare(
        'SELECT account_id, device_id, source_account_id AS source, COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM envelopes ' +
          "WHERE (account_id, device_id) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)) GROUP BY account_id, device_id, source_account_id",
      ),
      insertPayload: d.prepare('INSERT INTO payloads (content, refs) VALUES (?, ?)'),
      // One statement for a whole fanout: the loop over destinations runs inside SQLite.
      insertFanout: d.prepare(
        'INSERT INTO envelopes (account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral, group_id, payload_id, size) ' +
          "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?, ?, ?, ?, ?, ?, X'', ?, ?, ?, ? FROM json_each(?) ORDER BY key RETURNING id",
      ),
      pending: d.prepare(
        'SELECT e.id, e.source_account_id, e.source_username, e.source_device_id, e.timestamp, e.server_timestamp, e.message_type, ' +
          'COALESCE(p.content, e.content) AS content, e.ephemeral, e.group_id ' +
          'FROM envelopes e LEFT JOIN payloads p ON p.id = e.payload_id WHERE e.account_id = ? AND e.device_id = ? AND e.id > ? ORDER BY e.id LIMIT ?',
      ),
      accountsByIds: d.prepare('SELECT id, username, identity_key FROM accounts WHERE id IN (SELECT value FROM json_each(?))'),
      devicesOfAccounts: d.prepare('SELECT account_id, device_id FROM devices WHERE account_id IN (SELECT value FROM json_each(?)) ORDER BY account_id, device_id'),
      group: d.prepare('SELECT id, revision, encrypted_attributes FROM groups WHERE id = ?'),
      groupRevision: d.prepare('SELECT revision FROM groups WHERE id = ?'),
      groupMembers: d.prepare(
        'SELECT m.account_id, a.username, m.role, d.device_id, d.registration_id FROM group_members m ' +
          'JOIN accounts a ON a.id = m.account_id LEFT JOIN devices d ON d.account_id = m.account_id ' +
          'WHERE m.group_id = ? ORDER BY m.seq, d.device_id',
      ).raw(true),
      memberIds: d.prepare('SELECT account_id FROM group_members WHERE group_id = ? ORDER BY seq'),
      groupsOf: d.prepare('SELECT group_id FROM group_members WHERE account_id = ? ORDER BY seq'),
      groupCounts: d.prepare('SELECT account_id, COUNT(*) AS n FROM group_members WHERE account_id IN (SELECT value FROM json_each(?)) GROUP BY account_id'),
      insertGroup: d.prepare('INSERT INTO groups (id, revision, encrypted_attributes, created_at, updated_at) VALUES (?, 0, ?, ?, ?)'),
      updateGroup: d.prepare('UPDATE groups SET revision = ?, encrypted_attributes = COALESCE(?, encrypted_attributes), updated_at = ? WHERE id = ?'),
      deleteGroup: d.prepare('DELETE FROM groups WHERE id = ?'),
      insertMember: d.prepare('INSERT INTO group_members (group_id, account_id, role, joined_at) VALUES (?, ?, ?, ?)'),
      deleteMember: d.prepare('DELETE FROM group_members WHERE group_id = ? AND account_id = ?'),
      setRole: d.prepare('UPDATE group_members SET role = ? WHERE group_id = ? AND account_id = ?'),
      queueLength: d.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE account_id = ? AND device_id = ?'),
      ack: d.prepare('DELETE FROM envelopes WHERE account_id = ? AND device_id = ? AND id = ? RETURNING source_account_id AS source, size'),
      dropEphemeral: d.prepare('DELETE FROM envelopes WHERE ephemeral = 1 AND server_timestamp < ?'),
      fullQueuesOfOne: d.prepare('SELECT account_id, device_id FROM envelopes WHERE account_id = ? GROUP BY device_id HAVING COUNT(*) >= ? ORDER BY device_id'),
      insertAttachment: d.prepare(
        'INSERT OR IGNORE INTO attachments (id, owner_account_id, owner_device_id, size, committed, created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
      ),
      attachment: d.prepare('SELECT id, owner_account_id, owner_device_id, size, committed, created_at, expires_at FROM attachments WHERE id = ?'),
      commitAttachment: d.prepare(
        'UPDATE attachments SET committed = @to, expires_at = CASE WHEN @to = size THEN @finished ELSE expires_at END WHERE id = @id AND committed = @from AND @to <= size',
      ),
      pendingUploads: d.prepare('SELECT COUNT(*) AS n FROM attachments WHERE owner_account_id = ? AND committed < size'),
      expiredAttachments: d.prepare('SELECT id FROM attachments WHERE expires_at <= ? ORDER BY expires_at LIMIT ?').pluck(),
      existingAttachments: d.prepare('SELECT id FROM attachments WHERE id IN (SELECT value FROM json_each(?))').pluck(),
      deleteAttachment: d.prepare('DELETE FROM attachments WHERE id = ?'),
      setProfile: d.prepare(
        'INSERT INTO profiles (account_id, version, name, avatar, access_key, updated_at) VALUES (@accountId, @version, @name, @avatar, @accessKey, @updatedAt) ' +
          'ON CONFLICT (account_id) DO UPDATE SET version = @version, name = @name, avatar = @avatar, access_key = @accessKey, updated_at = @updatedAt',
      ),
      profile: d.prepare('SELECT account_id, version, name, avatar, access_key, updated_at FROM profiles WHERE account_id = ?'),
      accessKey: d.prepare('SELECT access_key FROM profiles WHERE account_id = ?').pluck(),
      fullQueues: d.prepare(
        'SELECT account_id, device_id FROM envelopes WHERE account_id IN (SELECT value FROM json_each(?)) ' +
          'GROUP BY account_id, device_id HAVING COUNT(*) >= ? ORDER BY account_id, device_id',
      ),
    };
  }

  private migrate(): void {
    const from = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = from; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }).immediate();
    }
  }

  /** Runs `f` with synchronous=NORMAL: for writes whose loss in a power cut is harmless (acks, last-seen times). */
  private relaxed<T>(f: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      return f();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  // ---- accounts

  async createAccount(account: AccountRow, device: NewDevice, keys: InitialKeys, at: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        if (this.stmts.accountByUsername.get(account.username)) return false;
        this.stmts.insertAccount.run(account.id, account.username, account.identityKey, at);
        this.insertDevice(account.id, 1, device, keys, at);
        return true;
      })
      .immediate();
  }

  private insertDevice(accountId: string, deviceId: number, device: NewDevice, keys: InitialKeys, at: number): void {
    this.deviceLists.delete(accountId);
    this.stmts.insertDevice.run(accountId, deviceId, device.registrationId, device.passwordHash, at, at, device.encryptedName ?? null);
    const { signedPreKey: spk, pqLastResort: kem } = keys;
    this.stmts.upsertSigned.run(accountId, deviceId, 'ec', spk.keyId, spk.publicKey, spk.signature);
    this.stmts.upsertSigned.run(accountId, deviceId, 'kem', kem.keyId, kem.publicKey, kem.signature);
  }

  private account(row: unknown): AccountRow | undefined {
    if (!row) return undefined;
    const r = row as { id: string; username: string; identity_key: Buffer };
    return { id: r.id, username: r.username, identityKey: u8(r.identity_key) };
  }

  async accountByUsername(username: string): Promise<AccountRow | undefined> {
    return this.account(this.stmts.accountByUsername.get(username));
  }

  async accountById(id: string): Promise<AccountRow | undefined> {
    return this.account(this.stmts.accountById.get(id));
  }

  async accountsByIds(ids: readonly string[]): Promise<AccountRow[]> {
    if (ids.length === 0) return [];
    return this.stmts.accountsByIds.all(JSON.stringify(ids)).map((r) => this.account(r)!);
  }

  // ---- devices

  private deviceRow(r: DeviceSqlRow): DeviceRow {
    return {
      accountId: r.account_id,
      deviceId: r.device_id,
      registrationId: r.registration_id,
      passwordHash: u8(r.password_hash),
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      encryptedName: r.encrypted_name ? u8(r.encrypted_name) : undefined,
    };
  }

  async device(accountId: string, deviceId: number): Promise<DeviceRow | undefined> {
    const r = this.stmts.device.get(accountId, deviceId) as DeviceSqlRow | undefined;
    return r ? this.deviceRow(r) : undefined;
  }

  /** Accounts' device lists, the most recent DEVICE_LISTS_CACHED of them. */
  private readonly deviceLists = new Map<string, readonly DeviceRow[]>();

  async devices(accountId: string): Promise<DeviceRow[]> {
    let list = this.deviceLists.get(accountId);
    if (!list) {
      list = (this.stmts.devices.all(accountId) as DeviceSqlRow[]).map((r) => this.deviceRow(r));
      if (this.deviceLists.size >= DEVICE_LISTS_CACHED) this.deviceLists.delete(this.deviceLists.keys().next().value!);
      this.deviceLists.set(accountId, list);
    }
    return [...list];
  }

  async unlinkedAt(accountId: string, deviceId: number): Promise<number | undefined> {
    return (this.stmts.tombstone.get(accountId, deviceId) as { unlinked_at: number } | undefined)?.unlinked_at;
  }

  async touchDevice(accountId: string, deviceId: number, at: number): Promise<void> {
    this.deviceLists.delete(accountId);
    this.relaxed(() => this.stmts.touchDevice.run(at, accountId, deviceId));
  }

  async changePassword(accountId: string, deviceId: number, passwordHash: Uint8Array): Promise<boolean> {
    this.deviceLists.delete(accountId);
    return this.stmts.changePassword.run(passwordHash, accountId, deviceId).changes === 1;
  }

  async createLinkToken(accountId: string, tokenHash: Uint8Array, expiresAt: number): Promise<void> {
    this.stmts.insertLinkToken.run(tokenHash, accountId, expiresAt);
  }

  async linkDevice(tokenHash: Uint8Array, device: NewDevice, keys: InitialKeys, at: number, limits: DeviceLimits): Promise<LinkResult> {
    return this.db
      .transaction((): LinkResult => {
        const token = this.stmts.linkToken.get(tokenHash) as { account_id: string; expires_at: number } | undefined;
        if (!token || token.expires_at <= at) return { status: 'expired' };
        const account = this.account(this.stmts.accountById.get(token.account_id));
        if (!account) return { status: 'expired' };
        const active = (this.stmts.countDevices.get(account.id) as { n: number }).n;
        const next = ((this.stmts.maxDeviceId.get(account.id, account.id) as { m: number | null }).m ?? 0) + 1;
        if (active >= limits.maxDevices || next > limits.maxDeviceId) return { status: 'too-many' };
        this.stmts.deleteLinkToken.run(tokenHash);
        this.insertDevice(account.id, next, device, keys, at);
        return { status: 'linked', account, deviceId: next };
      })
      .immediate();
  }

  async unlinkDevice(accountId: string, deviceId: number, at: number): Promise<boolean> {
    this.deviceLists.delete(accountId);
    this.deletedSinceCheckpoint = true;
    return this.db
      .transaction(() => {
        if (this.stmts.deleteDevice.run(accountId, deviceId).changes === 0) return false;
        this.usage.forget(accountId, deviceId);
        for (const s of [this.stmts.deleteDeviceQueue, this.stmts.deleteDeviceSigned, this.stmts.deleteDeviceOneTime, this.stmts.deleteDeviceKem]) {
          s.run(accountId, deviceId);
        }
        this.stmts.insertTombstone.run(accountId, deviceId, at);
        return true;
      })
      .immediate();
  }

  async dropExpiredLinkTokens(now: number): Promise<number> {
    return this.stmts.dropLinkTokens.run(now).changes;
  }

  // ---- provisioning

  async openChannel(c: ProvisioningChannel): Promise<boolean> {
    return this.stmts.insertChannel.run(c.id, c.publicKey, c.readTokenHash, c.expiresAt).changes === 1;
  }

  async channel(id: string, now: number): Promise<ProvisioningChannel | undefined> {
    const r = this.stmts.channel.get(id, now) as { id: string; public_key: Buffer; read_token_hash: Buffer; expires_at: number } | undefined;
    return r ? { id: r.id, publicKey: u8(r.public_key), readTokenHash: u8(r.read_token_hash), expiresAt: r.expires_at } : undefined;
  }

  async putChannelMessage(id: string, message: Uint8Array, now: number): Promise<'stored' | 'conflict' | 'expired'> {
    return this.db
      .transaction(() => {
        if (!this.stmts.channel.get(id, now)) return 'expired' as const;
        return this.stmts.putChannelMessage.run(message, id).changes === 1 ? ('stored' as const) : ('conflict' as const);
      })
      .immediate();
  }

  async takeChannelMessage(id: string, now: number): Promise<Uint8Array | undefined> {
    this.deletedSinceCheckpoint = true;
    return this.db
      .transaction(() => {
        const r = this.stmts.channelMessage.get(id, now) as { message: Buffer } | undefined;
        if (!r) return undefined;
        this.stmts.takeChannelMessage.run(id);
        return u8(r.message);
      })
      .immediate();
  }

  async dropExpiredChannels(now: number): Promise<number> {
    return this.stmts.dropChannels.run(now).changes;
  }

  // ---- keys

  async storeKeys(accountId: string, deviceId: number, keys: KeyUpload): Promise<void> {
    this.db
      .transaction(() => {
        for (const k of keys.preKeys ?? []) this.stmts.insertOneTime.run(accountId, deviceId, k.keyId, k.publicKey);
        for (const k of keys.pqPreKeys ?? []) this.stmts.insertKem.run(accountId, deviceId, k.keyId, k.publicKey, k.signature);
        if (keys.signedPreKey) {
          const k = keys.signedPreKey;
          this.stmts.upsertSigned.run(accountId, deviceId, 'ec', k.keyId, k.publicKey, k.signature);
        }
        if (keys.pqLastResort) {
          const k = keys.pqLastResort;
          this.stmts.upsertSigned.run(accountId, deviceId, 'kem', k.keyId, k.publicKey, k.signature);
        }
      })
      .immediate();
  }

  async preKeyCounts(accountId: string, deviceId: number): Promise<{ preKeys: number; pqPreKeys: number }> {
    return {
      preKeys: (this.stmts.countOneTime.get(accountId, deviceId) as { n: number }).n,
      pqPreKeys: (this.stmts.countKem.get(accountId, deviceId) as { n: number }).n,
    };
  }

  async takeDeviceKeys(accountId: string, deviceId: number, oneTime = true): Promise<DeviceKeys | undefined> {
    return this.db
      .transaction((): DeviceKeys | undefined => {
        const dev = this.stmts.device.get(accountId, deviceId) as DeviceSqlRow | undefined;
        const spk = this.stmts.signed.get(accountId, deviceId, 'ec') as { key_id: number; public_key: Buffer; signature: Buffer } | undefined;
        const lastResort = this.stmts.signed.get(accountId, deviceId, 'kem') as { key_id: number; public_key: Buffer; signature: Buffer } | undefined;
        if (!dev || !spk || !lastResort) return undefined;
        const opk = oneTime ? (this.stmts.firstOneTime.get(accountId, deviceId) as { key_id: number; public_key: Buffer } | undefined) : undefined;
        if (opk) this.stmts.deleteOneTime.run(accountId, deviceId, opk.key_id);
        const kem = oneTime ? (this.stmts.firstKem.get(accountId, deviceId) as { key_id: number; public_key: Buffer; signature: Buffer } | undefined) : undefined;
        if (kem) this.stmts.deleteKem.run(accountId, deviceId, kem.key_id);
        const pq = kem ?? lastResort;
        return {
          deviceId,
          registrationId: dev.registration_id,
          signedPreKey: { keyId: spk.key_id, publicKey: u8(spk.public_key), signature: u8(spk.signature) },
          pqPreKey: { keyId: pq.key_id, publicKey: u8(pq.public_key), signature: u8(pq.signature) },
          preKey: opk ? { keyId: opk.key_id, publicKey: u8(opk.public_key) } : undefined,
        };
      })
      .immediate();
  }

  // ---- groups

  async createGroup(group: NewGroup, update: GroupUpdate, at: number): Promise<GroupWrite> {
    return this.countedWrite(() =>
      this.db
        .transaction((): GroupWrite => {
          if (this.stmts.groupRevision.get(group.groupId)) return { status: 'conflict' };
          this.stmts.insertGroup.run(group.groupId, group.encryptedAttributes, at, at);
          for (const m of group.members) this.stmts.insertMember.run(group.groupId, m.accountId, m.role, at);
          const envelopes = this.writeUpdate(group.groupId, group.members.map((m) => m.accountId), update);
          return { status: 'done', revision: 0, envelopes };
        })
        .immediate(),
    );
  }

  async changeGroup(change: GroupChange, update: GroupUpdate, at: number): Promise<GroupWrite> {
    return this.countedWrite(() =>
      this.db
        .transaction((): GroupWrite => {
          const current = this.stmts.groupRevision.get(change.groupId) as { revision: number } | undefined;
          if (!current || current.revision !== change.fromRevision) return { status: 'conflict' };
          const before = (this.stmts.memberIds.all(change.groupId) as Array<{ account_id: string }>).map((r) => r.account_id);
          for (const id of change.remove) this.stmts.deleteMember.run(change.groupId, id);
          for (const m of change.add) this.stmts.insertMember.run(change.groupId, m.accountId, m.role, at);
          for (const r of change.roles) this.stmts.setRole.run(r.role, change.groupId, r.accountId);
          const revision = change.fromRevision + 1;
          if (this.stmts.memberIds.all(change.groupId).length === 0) this.stmts.deleteGroup.run(change.groupId);
          else this.stmts.updateGroup.run(revision, change.encryptedAttributes ?? null, at, change.groupId);
          const envelopes = this.writeUpdate(change.groupId, [...before, ...change.add.map((m) => m.accountId)], update);
          return { status: 'done', revision, envelopes };
        })
        .immediate(),
    );
  }

  /** Inside a transaction: the update envelope for every device of these accounts. */
  private writeUpdate(groupId: string, accountIds: readonly string[], update: GroupUpdate): DestinedEnvelope[] {
    const to = (this.stmts.devicesOfAccounts.all(JSON.stringify([...new Set(accountIds)])) as Array<{ account_id: string; device_id: number }>).map((r) => ({
      accountId: r.account_id,
      deviceId: r.device_id,
    }));
    const envelope = { ...update, messageType: 'group-update' as const, groupId, ephemeral: false };
    const ids = this.insertFanout({ envelope, to });
    return to.map((destination, i) => ({ ...envelope, id: ids[i]!, destination }));
  }

  async group(groupId: string): Promise<GroupRecord | undefined> {
    const g = this.stmts.group.get(groupId) as { id: string; revision: number; encrypted_attributes: Buffer } | undefined;
    if (!g) return undefined;
    // Rows as arrays (raw): a group of 1,024 members reads ~6,000 of them.
    const rows = this.stmts.groupMembers.all(groupId) as Array<[string, string, GroupRole, number | null, number | null]>;
    const members: Array<GroupMemberRecord & { devices: Array<{ deviceId: number; registrationId: number }> }> = [];
    for (const [accountId, username, role, deviceId, registrationId] of rows) {
      let m = members.at(-1);
      if (m?.accountId !== accountId) members.push((m = { accountId, username, role, devices: [] }));
      if (deviceId !== null) m.devices.push({ deviceId, registrationId: registrationId! });
    }
    return { groupId: g.id, revision: g.revision, encryptedAttributes: u8(g.encrypted_attributes), members };
  }

  async groupsOf(accountId: string): Promise<GroupRecord[]> {
    const out: GroupRecord[] = [];
    for (const r of this.stmts.groupsOf.all(accountId) as Array<{ group_id: string }>) {
      const g = await this.group(r.group_id);
      if (g) out.push(g);
    }
    return out;
  }

  async groupCounts(accountIds: readonly string[]): Promise<Map<string, number>> {
    if (accountIds.length === 0) return new Map();
    const rows = this.stmts.groupCounts.all(JSON.stringify(accountIds)) as Array<{ account_id: string; n: number }>;
    return new Map(rows.map((r) => [r.account_id, r.n]));
  }

  // ---- message queue

  async enqueueBatch(items: readonly EnqueueItem[]): Promise<EnqueueResult[]> {
    if (!this.walSync) return this.enqueueNow(items);
    // Why relaxed: the fsync that makes it durable runs off the event loop, and the caller hears of it only after.
    const results = this.relaxed(() => this.enqueueNow(items));
    await this.walSync.committedNow();
    return results;
  }

  /**
   * Runs a transaction that inserts or deletes envelopes: when it rolls back, the
   * queue figures it already counted are wrong, so all are loaded again when needed.
   */
  private countedWrite<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      this.usage.clear();
      throw e;
    }
  }

  private enqueueNow(items: readonly EnqueueItem[]): EnqueueResult[] {
    // Acks waiting go in this transaction, first (so their room counts for the quotas).
    const acks = this.acksWaiting.splice(0);
    let counts: number[] = [];
    let results: EnqueueResult[];
    try {
      results = this.enqueueWith(items, () => (counts = this.deleteAcked(acks)));
    } catch (e) {
      // Rolled back with the batch: the acks go on their own.
      if (acks.length > 0) {
        this.acksWaiting.unshift(...acks);
        if (this.acksWaiting.length === acks.length) setImmediate(() => this.flushAcks());
      }
      throw e;
    }
    acks.forEach((w, i) => w.resolve(counts[i]!));
    return results;
  }

  private enqueueWith(items: readonly EnqueueItem[], before: () => void): EnqueueResult[] {
    return this.countedWrite(() =>
      this.db
        .transaction(() => {
          before();
          return items.map((item): EnqueueResult => {
            // Counted inside the transaction, after the items before it: the quota is exact.
            if (item.quota && !this.fits(item, item.quota)) return 'queue-full';
            if ('envelopes' in item) return item.envelopes.map((e) => this.insertEnvelope(e, null));
            const guard = item.ifGroupRevision;
            if (guard && (this.stmts.groupRevision.get(guard.groupId) as { revision: number } | undefined)?.revision !== guard.revision) return 'group-changed';
            return this.insertFanout(item.fanout);
          });
        })
        .immediate(),
    );
  }

  /** Inside a transaction: whether every queue the item writes to stays within `quota` with it. */
  private fits(item: EnqueueItem, quota: QueueQuota): boolean {
    const adding = new Map<string, { accountId: string; deviceId: number; n: number; bytes: number }>();
    const add = (accountId: string, deviceId: number, size: number) => {
      const k = `${accountId}\u0000${deviceId}`;
      const a = adding.get(k);
      if (a) {
        a.n++;
        a.bytes += size;
      } else adding.set(k, { accountId, deviceId, n: 1, bytes: size });
    };
    let sender: string | undefined;
    if ('envelopes' in item) {
      if (item.envelopes.length === 0) return true;
      sender = senderOf(item.envelopes[0]!);
      for (const e of item.envelopes) add(e.destinationAccountId, e.destinationDeviceId, e.content.length);
    } else {
      sender = senderOf(item.fanout.envelope);
      for (const d of item.fanout.to) add(d.accountId, d.deviceId, item.fanout.envelope.content.length);
    }
    if (adding.size === 0) return true;
    const queues = [...adding.values()];
    const used = this.usage.usage(queues, (missing) =>
      (missing.length === 1
        ? this.stmts.usageOfOne.all(missing[0]!.accountId, missing[0]!.deviceId)
        : this.stmts.usageOfMany.all(JSON.stringify(missing.map((m) => [m.accountId, m.deviceId])))) as UsageRow[],
    );
    for (const [i, a] of queues.entries()) {
      const u = used[i]!;
      if (u.n + a.n > quota.maxPerDevice) return false;
      if (u.bytes + a.bytes > quota.maxBytesPerDevice) return false;
      // A sealed item's bucket is the queue's sealed envelopes (their senders are unknown).
      if (sender === undefined ? (u.bySource.get(null) ?? 0) + a.n > quota.maxSealed : (u.bySource.get(sender) ?? 0) + a.n > quota.maxPerSender) return false;
    }
    return true;
  }

  /** One payload row holding the content, then one small envelope row per destination. */
  private insertFanout(f: Fanout): number[] {
    if (f.to.length === 0) return [];
    const payloadId = Number(this.stmts.insertPayload.run(f.envelope.content, f.to.length).lastInsertRowid);
    const e = f.envelope;
    const rows = this.stmts.insertFanout.all(
      e.sourceAccountId ?? null,
      e.sourceUsername ?? null,
      e.sourceDeviceId ?? null,
      e.timestamp,
      e.serverTimestamp,
      e.messageType,
      e.ephemeral ? 1 : 0,
      e.groupId ?? null,
      payloadId,
      e.content.length,
      JSON.stringify(f.to.map((d) => [d.accountId, d.deviceId])),
    ) as Array<{ id: number }>;
    for (const d of f.to) this.usage.added(d.accountId, d.deviceId, e.sourceAccountId ?? null, e.content.length);
    // Ids are assigned in destination order (one statement, rows inserted in json_each key order).
    return rows.map((r) => r.id).sort((x, y) => x - y);
  }

  private insertEnvelope(e: NewEnvelope, payloadId: number | null): number {
    const r = this.stmts.insertEnvelope.run(
      e.destinationAccountId,
      e.destinationDeviceId,
      e.sourceAccountId ?? null,
      e.sourceUsername ?? null,
      e.sourceDeviceId ?? null,
      e.timestamp,
      e.serverTimestamp,
      e.messageType,
      e.content,
      e.ephemeral ? 1 : 0,
      e.groupId ?? null,
      payloadId,
      e.content.length,
    );
    this.usage.added(e.destinationAccountId, e.destinationDeviceId, e.sourceAccountId ?? null, e.content.length);
    return Number(r.lastInsertRowid);
  }

  async pending(accountId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return (this.stmts.pending.all(accountId, deviceId, afterId, limit) as EnvelopeSqlRow[]).map((r) => ({
      id: r.id,
      ...sourceOf(r),
      timestamp: r.timestamp,
      serverTimestamp: r.server_timestamp,
      messageType: r.message_type,
      content: u8(r.content),
      ephemeral: r.ephemeral === 1,
      ...(r.group_id === null ? {} : { groupId: r.group_id }),
    }));
  }

  async queueLength(accountId: string, deviceId: number): Promise<number> {
    return (this.stmts.queueLength.get(accountId, deviceId) as { n: number }).n;
  }

  async fullQueues(accountIds: readonly string[], limit: number): Promise<DeviceAddress[]> {
    if (accountIds.length === 0) return [];
    // One account (every 1:1 send): the index range alone, no JSON list to parse.
    const rows = (accountIds.length === 1 ? this.stmts.fullQueuesOfOne.all(accountIds[0], limit) : this.stmts.fullQueues.all(JSON.stringify(accountIds), limit)) as Array<{ account_id: string; device_id: number }>;
    return rows.map((r) => ({ accountId: r.account_id, deviceId: r.device_id }));
  }

  /**
   * Deletes acknowledged envelopes, in the next enqueue's transaction when one comes
   * within two turns of the event loop (enqueues are batched per turn: one commit per
   * turn for both instead of two), else in a transaction of their own. Resolves once
   * the deletes are committed. Why relaxed (synchronous=NORMAL, no fsync awaited): a lost
   * ack only means a redelivery, which clients drop as a duplicate.
   */
  async ackBatch(items: ReadonlyArray<DeviceAddress & { readonly id: number }>): Promise<number> {
    if (items.length === 0) return 0;
    return new Promise((resolve, reject) => {
      if (this.acksWaiting.push({ items, resolve, reject }) === 1) setImmediate(() => setImmediate(() => this.flushAcks()));
    });
  }

  /** Acks no enqueue took: deleted in a transaction of their own. */
  private flushAcks(): void {
    if (this.acksWaiting.length === 0 || !this.db.open) return;
    const waiting = this.acksWaiting.splice(0);
    try {
      const counts = this.relaxed(() => this.countedWrite(() => this.db.transaction(() => this.deleteAcked(waiting)).immediate()));
      waiting.forEach((w, i) => w.resolve(counts[i]!));
    } catch (e) {
      for (const w of waiting) w.reject(e);
    }
  }

  /** Inside a transaction: deletes the waiting acks' envelopes; answers how many each found. */
  private deleteAcked(waiting: readonly WaitingAck[]): number[] {
    if (waiting.length > 0) this.deletedSinceCheckpoint = true;
    return waiting.map((w) => {
      let n = 0;
      for (const i of w.items) {
        const gone = this.stmts.ack.get(i.accountId, i.deviceId, i.id) as { source: string | null; size: number } | undefined;
        if (!gone) continue;
        this.usage.removed(i.accountId, i.deviceId, gone.source, gone.size);
        n++;
      }
      return n;
    });
  }

  async dropExpiredEphemeral(olderThan: number): Promise<number> {
    const n = this.stmts.dropEphemeral.run(olderThan).changes;
    if (n > 0) {
      this.deletedSinceCheckpoint = true;
      // Not itemized (call messages only, every 30 s at most): every queue is loaded again when needed.
      this.usage.clear();
    }
    return n;
  }

  // ---- attachments

  async createAttachment(a: Omit<AttachmentRecord, 'committed'>): Promise<boolean> {
    return this.stmts.insertAttachment.run(a.id, a.ownerAccountId, a.ownerDeviceId, a.size, a.createdAt, a.expiresAt).changes === 1;
  }

  async attachment(id: string): Promise<AttachmentRecord | undefined> {
    const r = this.stmts.attachment.get(id) as
      | { id: string; owner_account_id: string; owner_device_id: number; size: number; committed: number; created_at: number; expires_at: number }
      | undefined;
    return r
      ? { id: r.id, ownerAccountId: r.owner_account_id, ownerDeviceId: r.owner_device_id, size: r.size, committed: r.committed, createdAt: r.created_at, expiresAt: r.expires_at }
      : undefined;
  }

  async commitAttachment(id: string, from: number, to: number, finishedExpiresAt: number): Promise<boolean> {
    return this.stmts.commitAttachment.run({ id, from, to, finished: finishedExpiresAt }).changes === 1;
  }

  async pendingUploads(accountId: string): Promise<number> {
    return (this.stmts.pendingUploads.get(accountId) as { n: number }).n;
  }

  async expiredAttachments(now: number, limit: number): Promise<string[]> {
    return this.stmts.expiredAttachments.all(now, limit) as string[];
  }

  async existingAttachments(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    return new Set(this.stmts.existingAttachments.all(JSON.stringify(ids)) as string[]);
  }

  async deleteAttachment(id: string): Promise<void> {
    this.stmts.deleteAttachment.run(id);
  }

  // ---- profiles

  async setProfile(p: ProfileRecord): Promise<void> {
    this.stmts.setProfile.run({ accountId: p.accountId, version: p.version, name: p.name, avatar: p.avatar ?? null, accessKey: p.accessKey, updatedAt: p.updatedAt });
    // Why: the previous version's ciphertext should not linger in the WAL (rotation on block).
    this.deletedSinceCheckpoint = true;
  }

  async profile(accountId: string): Promise<ProfileRecord | undefined> {
    const r = this.stmts.profile.get(accountId) as { account_id: string; version: string; name: Buffer; avatar: Buffer | null; access_key: Buffer; updated_at: number } | undefined;
    return r ? { accountId: r.account_id, version: r.version, name: u8(r.name), avatar: r.avatar ? u8(r.avatar) : undefined, accessKey: u8(r.access_key), updatedAt: r.updated_at } : undefined;
  }

  async accessKey(accountId: string): Promise<Uint8Array | undefined> {
    const r = this.stmts.accessKey.get(accountId) as Buffer | undefined;
    return r ? u8(r) : undefined;
  }

  /**
   * Copies the WAL into the database and truncates it to nothing (SQLite's TRUNCATE
   * checkpoint), so deleted rows survive in neither file. Runs on a timer after
   * deletions; callable at any time.
   */
  checkpoint(): void {
    this.deletedSinceCheckpoint = false;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flushAcks();
    clearInterval(this.checkpointTimer);
    this.walSync?.close();
    if (this.walSync) this.checkpoint();
    this.db.close();
  }
}

// Every method, public and internal, turns the driver's refusals into StorageUnavailable (see the header).
for (const name of Object.getOwnPropertyNames(SqliteStorage.prototype)) {
  const d = Object.getOwnPropertyDescriptor(SqliteStorage.prototype, name)!;
  if (name === 'constructor' || typeof d.value !== 'function') continue;
  const method = d.value as (...args: unknown[]) => unknown;
  Object.defineProperty(SqliteStorage.prototype, name, {
    ...d,
    value: function guarded(this: SqliteStorage, ...args: unknown[]): unknown {
      try {
        const r = method.apply(this, args);
        return r instanceof Promise ? r.catch((e: unknown) => Promise.reject(driverRefusal(e))) : r;
      } catch (e) {
        throw driverRefusal(e);
      }
    },
  });
}
