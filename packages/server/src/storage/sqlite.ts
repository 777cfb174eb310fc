/**
 * SQLite storage (better-sqlite3, WAL, synchronous=FULL so an envelope is on disk
 * before the sender hears OK). The embedded default under ./data.
 *
 * better-sqlite3 is synchronous: each method does its work at once and answers a
 * settled promise, so a transaction never spans an await (no other request can
 * interleave with one). Schema changes are additive, so data directories made by
 * earlier versions keep working.
 */
import Database from 'better-sqlite3';
import type {
  AccountRow,
  DeviceAddress,
  DeviceKeys,
  DeviceRow,
  EnqueueItem,
  InitialKeys,
  KeyUpload,
  NewEnvelope,
  Storage,
  StoredEnvelope,
} from './storage.ts';

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

function u8(b: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

export class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    const d = this.db;
    this.stmts = {
      insertAccount: d.prepare('INSERT INTO accounts (id, username, identity_key, created_at) VALUES (?, ?, ?, ?)'),
      insertDevice: d.prepare('INSERT INTO devices (account_id, device_id, registration_id, password_hash) VALUES (?, ?, ?, ?)'),
      upsertSigned: d.prepare(
        'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT (account_id, device_id, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature',
      ),
      accountByUsername: d.prepare('SELECT id, username, identity_key FROM accounts WHERE username = ?'),
      accountById: d.prepare('SELECT id, username, identity_key FROM accounts WHERE id = ?'),
      device: d.prepare('SELECT account_id, device_id, registration_id, password_hash FROM devices WHERE account_id = ? AND device_id = ?'),
      devices: d.prepare('SELECT account_id, device_id, registration_id, password_hash FROM devices WHERE account_id = ? ORDER BY device_id'),
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
        'INSERT INTO envelopes (account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      pending: d.prepare(
        'SELECT id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral ' +
          'FROM envelopes WHERE account_id = ? AND device_id = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      queueLength: d.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE account_id = ? AND device_id = ?'),
      ack: d.prepare('DELETE FROM envelopes WHERE account_id = ? AND device_id = ? AND id = ?'),
      dropEphemeral: d.prepare('DELETE FROM envelopes WHERE ephemeral = 1 AND server_timestamp < ?'),
      fullQueues: d.prepare(
        'SELECT account_id, device_id FROM envelopes WHERE account_id IN (SELECT value FROM json_each(?)) ' +
          'GROUP BY account_id, device_id HAVING COUNT(*) >= ? ORDER BY account_id, device_id',
      ),
    };
  }

  async createAccount(account: AccountRow, device: DeviceRow, keys: InitialKeys, at: number): Promise<boolean> {
    const tx = this.db.transaction(() => {
      if (this.stmts.accountByUsername.get(account.username)) return false;
      this.stmts.insertAccount.run(account.id, account.username, account.identityKey, at);
      this.stmts.insertDevice.run(device.accountId, device.deviceId, device.registrationId, device.passwordHash);
      const { signedPreKey: spk, pqLastResort: kem } = keys;
      this.stmts.upsertSigned.run(account.id, device.deviceId, 'ec', spk.keyId, spk.publicKey, spk.signature);
      this.stmts.upsertSigned.run(account.id, device.deviceId, 'kem', kem.keyId, kem.publicKey, kem.signature);
      return true;
    });
    return tx.immediate();
  }

  private account(row: unknown): AccountRow | undefined {
    if (!row) return undefined;
    const r = row as { id: string; username: string; identity_key: Buffer };
    return { id: r.id, username: r.username, identityKey: u8(r.identity_key) };
  }

  private deviceRow(row: unknown): DeviceRow {
    const r = row as { account_id: string; device_id: number; registration_id: number; password_hash: Buffer };
    return { accountId: r.account_id, deviceId: r.device_id, registrationId: r.registration_id, passwordHash: u8(r.password_hash) };
  }

  async accountByUsername(username: string): Promise<AccountRow | undefined> {
    return this.account(this.stmts.accountByUsername.get(username));
  }

  async accountById(id: string): Promise<AccountRow | undefined> {
    return this.account(this.stmts.accountById.get(id));
  }

  async device(accountId: string, deviceId: number): Promise<DeviceRow | undefined> {
    const r = this.stmts.device.get(accountId, deviceId);
    return r ? this.deviceRow(r) : undefined;
  }

  async devices(accountId: string): Promise<DeviceRow[]> {
    return this.stmts.devices.all(accountId).map((r) => this.deviceRow(r));
  }

  async storeKeys(accountId: string, deviceId: number, keys: KeyUpload): Promise<void> {
    this.db.transaction(() => {
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
    }).immediate();
  }

  async preKeyCounts(accountId: string, deviceId: number): Promise<{ preKeys: number; pqPreKeys: number }> {
    return {
      preKeys: (this.stmts.countOneTime.get(accountId, deviceId) as { n: number }).n,
      pqPreKeys: (this.stmts.countKem.get(accountId, deviceId) as { n: number }).n,
    };
  }

  async takeDeviceKeys(accountId: string, deviceId: number): Promise<DeviceKeys | undefined> {
    return this.db.transaction((): DeviceKeys | undefined => {
      const row = this.stmts.device.get(accountId, deviceId);
      const dev = row ? this.deviceRow(row) : undefined;
      const spk = this.stmts.signed.get(accountId, deviceId, 'ec') as { key_id: number; public_key: Buffer; signature: Buffer } | undefined;
      const lastResort = this.stmts.signed.get(accountId, deviceId, 'kem') as { key_id: number; public_key: Buffer; signature: Buffer } | undefined;
      if (!dev || !spk || !lastResort) return undefined;
      const opk = this.stmts.firstOneTime.get(accountId, deviceId) as { key_id: number; public_key: Buffer } | undefined;
      if (opk) this.stmts.deleteOneTime.run(accountId, deviceId, opk.key_id);
      const kem = this.stmts.firstKem.get(accountId, deviceId) as { key_id: number; public_key: Buffer; signature: Buffer } | undefined;
      if (kem) this.stmts.deleteKem.run(accountId, deviceId, kem.key_id);
      const pq = kem ?? lastResort;
      return {
        deviceId,
        registrationId: dev.registrationId,
        signedPreKey: { keyId: spk.key_id, publicKey: u8(spk.public_key), signature: u8(spk.signature) },
        pqPreKey: { keyId: pq.key_id, publicKey: u8(pq.public_key), signature: u8(pq.signature) },
        preKey: opk ? { keyId: opk.key_id, publicKey: u8(opk.public_key) } : undefined,
      };
    }).immediate();
  }

  async enqueueBatch(items: readonly EnqueueItem[]): Promise<number[][]> {
    return this.db.transaction(() => items.map((item) => item.envelopes.map((e) => this.insertEnvelope(e)))).immediate();
  }

  private insertEnvelope(e: NewEnvelope): number {
    const s = this.stmts.insertEnvelope;
    const r = s.run(
      e.destinationAccountId,
      e.destinationDeviceId,
      e.sourceAccountId,
      e.sourceUsername,
      e.sourceDeviceId,
      e.timestamp,
      e.serverTimestamp,
      e.messageType,
      e.content,
      e.ephemeral ? 1 : 0,
    );
    return Number(r.lastInsertRowid);
  }

  async pending(accountId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]> {
    return this.stmts.pending.all(accountId, deviceId, afterId, limit).map((row) => {
      const r = row as {
        id: number;
        source_account_id: string;
        source_username: string;
        source_device_id: number;
        timestamp: number;
        server_timestamp: number;
        message_type: 'prekey' | 'whisper';
        content: Buffer;
        ephemeral: number;
      };
      return {
        id: r.id,
        sourceAccountId: r.source_account_id,
        sourceUsername: r.source_username,
        sourceDeviceId: r.source_device_id,
        timestamp: r.timestamp,
        serverTimestamp: r.server_timestamp,
        messageType: r.message_type,
        content: u8(r.content),
        ephemeral: r.ephemeral === 1,
      };
    });
  }

  async queueLength(accountId: string, deviceId: number): Promise<number> {
    return (this.stmts.queueLength.get(accountId, deviceId) as { n: number }).n;
  }

  async fullQueues(accountIds: readonly string[], limit: number): Promise<DeviceAddress[]> {
    if (accountIds.length === 0) return [];
    const rows = this.stmts.fullQueues.all(JSON.stringify(accountIds), limit) as Array<{ account_id: string; device_id: number }>;
    return rows.map((r) => ({ accountId: r.account_id, deviceId: r.device_id }));
  }

  async ackBatch(items: ReadonlyArray<DeviceAddress & { readonly id: number }>): Promise<number> {
    // Why NORMAL here: a lost ack only means a redelivery, which clients drop as a duplicate;
    // accepting a message (enqueue) stays synchronous=FULL.
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.db.transaction(() => items.reduce((n, i) => n + this.stmts.ack.run(i.accountId, i.deviceId, i.id).changes, 0)).immediate();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  async dropExpiredEphemeral(olderThan: number): Promise<number> {
    return this.stmts.dropEphemeral.run(olderThan).changes;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
