/**
 * The SDK's store on disk (Node): one SQLite file per profile (WAL), holding the
 * device's keys, sessions and messages. Private keys never leave this file.
 */
import Database from 'better-sqlite3';
import {
  IdentityKeyPair,
  InvalidKyberPreKeyId,
  InvalidMessage,
  InvalidPreKeyId,
  InvalidSignedPreKeyId,
  KyberPreKeyRecord,
  PreKeyRecord,
  PublicKey,
  SessionRecord,
  SignedPreKeyRecord,
  type Direction,
  type ProtocolAddress,
  type TrustLevel,
} from '@parley/protocol';
import type { AccountInfo, CallLogEntry, ClientStore, Contact, MessageStatus, StoredMessage } from '../store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS identities (address TEXT PRIMARY KEY, key BLOB NOT NULL, trust TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (address TEXT PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS signed_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS kyber_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL, one_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kyber_base_keys (kyber_id INTEGER NOT NULL, signed_id INTEGER NOT NULL, base_key BLOB NOT NULL, PRIMARY KEY (kyber_id, signed_id, base_key));
CREATE TABLE IF NOT EXISTS contacts (account_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, device_ids TEXT NOT NULL, accepted INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS call_log (
  row_id INTEGER PRIMARY KEY AUTOINCREMENT, call_id TEXT NOT NULL, peer TEXT NOT NULL, direction TEXT NOT NULL,
  media TEXT NOT NULL, event TEXT NOT NULL, timestamp INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS call_log_append_only_update BEFORE UPDATE ON call_log BEGIN SELECT RAISE(ABORT, 'the call log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS call_log_append_only_delete BEFORE DELETE ON call_log BEGIN SELECT RAISE(ABORT, 'the call log is append-only'); END;
CREATE TABLE IF NOT EXISTS messages (
  row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  conversation TEXT NOT NULL, direction TEXT NOT NULL, client_id TEXT NOT NULL, sender_account TEXT NOT NULL,
  timestamp INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0,
  UNIQUE (sender_account, client_id)
);
`;

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;
  private identity: IdentityKeyPair | undefined;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    // Profiles created before message requests existed: add the columns (and trust them).
    const cols = (this.db.prepare('PRAGMA table_info(contacts)').all() as { name: string }[]).map((c) => c.name);
    if (!cols.includes('accepted')) {
      this.db.exec('ALTER TABLE contacts ADD COLUMN accepted INTEGER NOT NULL DEFAULT 1; ALTER TABLE contacts ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;');
    }
  }

  private contactRow(r: { account_id: string; username: string; device_ids: string; accepted: number; blocked: number } | undefined): Contact | undefined {
    return r ? { accountId: r.account_id, username: r.username, deviceIds: JSON.parse(r.device_ids) as number[], accepted: r.accepted === 1, blocked: r.blocked === 1 } : undefined;
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = await fn();
      this.db.exec('COMMIT');
      return r;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  private kv(k: string): Uint8Array | undefined {
    const r = this.db.prepare('SELECT v FROM kv WHERE k = ?').get(k) as { v: Buffer } | undefined;
    return r ? u8(r.v) : undefined;
  }

  private setKv(k: string, v: Uint8Array): void {
    this.db.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)').run(k, v);
  }

  getAccount(): AccountInfo | undefined {
    const a = this.kv('account');
    return a ? (JSON.parse(new TextDecoder().decode(a), (k, v) => (k === 'password' ? Uint8Array.from(v as number[]) : v)) as AccountInfo) : undefined;
  }

  saveAccount(a: AccountInfo, identity: IdentityKeyPair): void {
    this.setKv('account', new TextEncoder().encode(JSON.stringify({ ...a, password: Array.from(a.password) })));
    this.setKv('identity', identity.serialize());
    this.identity = identity;
  }

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    if (!this.identity) {
      const b = this.kv('identity');
      if (!b) throw new Error('this profile has no identity yet; run register first');
      this.identity = IdentityKeyPair.deserialize(b);
    }
    return this.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    const a = this.getAccount();
    if (!a) throw new Error('this profile has no account yet; run register first');
    return a.registrationId;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const r = this.db.prepare('SELECT key FROM identities WHERE address = ?').get(address.toString()) as { key: Buffer } | undefined;
    if (!r) {
      this.db.prepare('INSERT INTO identities (address, key, trust) VALUES (?, ?, ?)').run(address.toString(), key.serialize(), 'trusted');
      return false;
    }
    if (PublicKey.deserialize(u8(r.key)).equals(key)) return false;
    this.db.prepare('UPDATE identities SET key = ?, trust = ? WHERE address = ?').run(key.serialize(), 'changed', address.toString());
    return true;
  }

  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    const r = this.db.prepare('SELECT key, trust FROM identities WHERE address = ?').get(address.toString()) as { key: Buffer; trust: TrustLevel } | undefined;
    if (!r || direction === 'receiving') return true;
    return PublicKey.deserialize(u8(r.key)).equals(key) && r.trust !== 'changed';
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined> {
    const r = this.db.prepare('SELECT key FROM identities WHERE address = ?').get(address.toString()) as { key: Buffer } | undefined;
    return r ? PublicKey.deserialize(u8(r.key)) : undefined;
  }

  async approveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO identities (address, key, trust) VALUES (?, ?, ?)').run(address.toString(), key.serialize(), 'trusted');
  }

  async getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined> {
    const r = this.db.prepare('SELECT trust FROM identities WHERE address = ?').get(address.toString()) as { trust: TrustLevel } | undefined;
    return r?.trust;
  }

  async loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined> {
    const r = this.db.prepare('SELECT record FROM sessions WHERE address = ?').get(address.toString()) as { record: Buffer } | undefined;
    return r ? SessionRecord.deserialize(u8(r.record)) : undefined;
  }

  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO sessions (address, record) VALUES (?, ?)').run(address.toString(), record.serialize());
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.db.prepare('SELECT record FROM prekeys WHERE id = ?').get(id) as { record: Buffer } | undefined;
    if (!r) throw new InvalidPreKeyId(`no one-time prekey with id ${id}`);
    return PreKeyRecord.deserialize(u8(r.record));
  }

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO prekeys (id, record) VALUES (?, ?)').run(id, record.serialize());
  }

  async removePreKey(id: number): Promise<void> {
    this.db.prepare('DELETE FROM prekeys WHERE id = ?').run(id);
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.db.prepare('SELECT record FROM signed_prekeys WHERE id = ?').get(id) as { record: Buffer } | undefined;
    if (!r) throw new InvalidSignedPreKeyId(`no signed prekey with id ${id}`);
    return SignedPreKeyRecord.deserialize(u8(r.record));
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO signed_prekeys (id, record) VALUES (?, ?)').run(id, record.serialize());
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.db.prepare('SELECT record FROM kyber_prekeys WHERE id = ?').get(id) as { record: Buffer } | undefined;
    if (!r) throw new InvalidKyberPreKeyId(`no Kyber prekey with id ${id}`);
    return KyberPreKeyRecord.deserialize(u8(r.record));
  }

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord, oneTime = false): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO kyber_prekeys (id, record, one_time) VALUES (?, ?, ?)').run(id, record.serialize(), oneTime ? 1 : 0);
  }

  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    if (this.db.prepare('DELETE FROM kyber_prekeys WHERE id = ? AND one_time = 1').run(id).changes > 0) return;
    // Why: a last-resort key stays, so a replayed first message is recognised by its base key.
    const r = this.db.prepare('INSERT OR IGNORE INTO kyber_base_keys (kyber_id, signed_id, base_key) VALUES (?, ?, ?)').run(id, signedPreKeyId, baseKey.serialize());
    if (r.changes === 0) throw new InvalidMessage('prekey message: base key already used with this last-resort prekey (a replay)');
  }

  nextPreKeyId(kind: 'ec' | 'kem', count: number): number {
    const k = `next-${kind}-prekey-id`;
    const cur = this.kv(k);
    const start = cur ? new DataView(cur.buffer).getUint32(0) : 1;
    const next = new Uint8Array(4);
    new DataView(next.buffer).setUint32(0, start + count > 0xfffff0 ? 1 : start + count);
    this.setKv(k, next);
    return start;
  }

  contactByUsername(username: string): Contact | undefined {
    return this.contactRow(this.db.prepare('SELECT * FROM contacts WHERE username = ?').get(username) as never);
  }

  contactById(accountId: string): Contact | undefined {
    return this.contactRow(this.db.prepare('SELECT * FROM contacts WHERE account_id = ?').get(accountId) as never);
  }

  saveContact(c: Contact): void {
    this.db.prepare('DELETE FROM contacts WHERE username = ? AND account_id != ?').run(c.username, c.accountId);
    this.db
      .prepare('INSERT OR REPLACE INTO contacts (account_id, username, device_ids, accepted, blocked) VALUES (?, ?, ?, ?, ?)')
      .run(c.accountId, c.username, JSON.stringify(c.deviceIds), c.accepted ? 1 : 0, c.blocked ? 1 : 0);
  }

  addCallLogEntry(e: CallLogEntry): void {
    this.db
      .prepare('INSERT INTO call_log (call_id, peer, direction, media, event, timestamp) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.callId, e.peer, e.direction, e.media, e.event, e.timestamp);
  }

  callLog(): CallLogEntry[] {
    return (this.db.prepare('SELECT call_id, peer, direction, media, event, timestamp FROM call_log ORDER BY row_id').all() as Record<string, unknown>[]).map((r) => ({
      callId: r.call_id as string,
      peer: r.peer as string,
      direction: r.direction as CallLogEntry['direction'],
      media: r.media as CallLogEntry['media'],
      event: r.event as CallLogEntry['event'],
      timestamp: r.timestamp as number,
    }));
  }

  deleteConversation(conversation: string): void {
    this.db.prepare('DELETE FROM messages WHERE conversation = ?').run(conversation);
  }

  addMessage(m: Omit<StoredMessage, 'rowId' | 'seen'>): boolean {
    const r = this.db
      .prepare(
        'INSERT OR IGNORE INTO messages (conversation, direction, client_id, sender_account, timestamp, body, status) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(m.conversation, m.direction, m.clientId, m.senderAccountId, m.timestamp, m.body, m.status);
    return r.changes > 0;
  }

  setStatus(senderAccountId: string, clientIds: readonly string[], status: MessageStatus): void {
    const st = this.db.prepare('UPDATE messages SET status = ? WHERE sender_account = ? AND client_id = ?');
    for (const id of clientIds) st.run(status, senderAccountId, id);
  }

  messages(conversation?: string, onlyUnseen = false): StoredMessage[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (conversation) {
      where.push('conversation = ?');
      args.push(conversation);
    }
    if (onlyUnseen) where.push("seen = 0 AND direction = 'in'");
    const sql = `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY row_id`;
    return (this.db.prepare(sql).all(...args) as Record<string, unknown>[]).map((r) => ({
      rowId: r.row_id as number,
      conversation: r.conversation as string,
      direction: r.direction as 'in' | 'out',
      clientId: r.client_id as string,
      senderAccountId: r.sender_account as string,
      timestamp: r.timestamp as number,
      body: r.body as string,
      status: r.status as MessageStatus,
      seen: r.seen === 1,
    }));
  }

  markSeen(rowIds: readonly number[]): void {
    const st = this.db.prepare('UPDATE messages SET seen = 1 WHERE row_id = ?');
    for (const id of rowIds) st.run(id);
  }

  close(): void {
    this.db.close();
  }
}
