/**
 * The SDK's store on disk (Node): one SQLite file per profile (WAL,
 * synchronous=FULL), holding the device's keys, sessions, contacts, messages,
 * groups and call log. Private keys never leave this file. Implements the split
 * `ClientStore` interface with real tables and indexes; passes the same compliance
 * suite as the in-memory reference. Profiles written by earlier versions are
 * migrated on open (`PRAGMA user_version`).
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
  SenderKeyRecord,
  SessionRecord,
  SignedPreKeyRecord,
  type ProtocolAddress,
  type TrustLevel,
} from '@parley/protocol';
import { normalizeContact, normalizeMessage, normalizeOwnProfile, type AccountInfo, type AccountSettings, type CallLogEntry, type Contact, type OwnProfile, type ConversationId, type ConversationSettings, type GroupRecord, type MessageStatus, type NewMessage, type Quote, type Reaction, type SentRecord, type StoredAttachment, type StoredMessage } from '../storage/records.ts';
import {
  StoreMisuse,
  type AccountWrite,
  type CallLogWrite,
  type ClientStore,
  type ContactsWrite,
  type ConversationSettingsWrite,
  type GroupsWrite,
  type MessagesWrite,
  type ProfileWrite,
  type ProtocolWrite,
  type SentLogWrite,
  type SettingsWrite,
  type StoreTx,
} from '../storage/store.ts';
import { SEARCH_LIMIT } from '../storage/memory-store.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS identities (address TEXT PRIMARY KEY, key BLOB NOT NULL, trust TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (address TEXT PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS signed_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS kyber_prekeys (id INTEGER PRIMARY KEY, record BLOB NOT NULL, one_time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kyber_base_keys (kyber_id INTEGER NOT NULL, signed_id INTEGER NOT NULL, base_key BLOB NOT NULL, PRIMARY KEY (kyber_id, signed_id, base_key));
CREATE TABLE IF NOT EXISTS sender_keys (address TEXT NOT NULL, distribution_id TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (address, distribution_id));
CREATE TABLE IF NOT EXISTS contacts (
  account_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, device_ids TEXT NOT NULL, accepted INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0,
  profile_key BLOB, profile_name TEXT, profile_key_shared INTEGER NOT NULL DEFAULT 0, sealed_refused_key BLOB
);
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
  kind TEXT NOT NULL DEFAULT 'text', attachment TEXT,
  quote TEXT, reactions TEXT, edits INTEGER NOT NULL DEFAULT 0, edited_at INTEGER, deleted INTEGER NOT NULL DEFAULT 0,
  expires_in INTEGER, expires_at INTEGER,
  UNIQUE (sender_account, client_id)
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation, row_id);
CREATE INDEX IF NOT EXISTS messages_by_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS conversation_settings (conversation TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (group_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sent_log (conversation TEXT NOT NULL, timestamp INTEGER NOT NULL, content BLOB NOT NULL, sent_at INTEGER NOT NULL, recipients TEXT, PRIMARY KEY (conversation, timestamp));
CREATE INDEX IF NOT EXISTS sent_log_by_time ON sent_log (timestamp);
`;
const SCHEMA_VERSION = 7;

const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

/** Group records hold bytes; JSON keeps them as base64 under a marker. */
function toJson(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? { $bytes: Buffer.from(x).toString('base64') } : x));
}
function fromJson<T>(s: string): T {
  return JSON.parse(s, (_k, x) => (x && typeof x === 'object' && typeof x.$bytes === 'string' ? u8(Buffer.from(x.$bytes, 'base64')) : x)) as T;
}

const readOnly = (): never => {
  throw new StoreMisuse('store writes happen through the handle of store.transaction(), not through the store itself');
};

type Row = Record<string, unknown>;

export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;
  private identityCache: IdentityKeyPair | undefined;
  private inTransaction = false;
  private readonly stmt = new Map<string, Database.Statement>();

  readonly account: AccountWrite;
  readonly contacts: ContactsWrite;
  readonly messages: MessagesWrite;
  readonly conversationSettings: ConversationSettingsWrite;
  readonly settings: SettingsWrite;
  readonly profile: ProfileWrite;
  readonly callLog: CallLogWrite;
  readonly groups: GroupsWrite;
  readonly sentLog: SentLogWrite;
  readonly protocol: ProtocolWrite;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    // Why a function: SQLite's lower() and LIKE fold ASCII only; search folds as the other stores do.
    this.db.function('parley_fold', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toLowerCase() : s));
    this.migrate();
    this.account = this.accountView(readOnly);
    this.contacts = this.contactsView(readOnly);
    this.messages = this.messagesView(readOnly);
    this.conversationSettings = this.conversationSettingsView(readOnly);
    this.settings = this.settingsView(readOnly);
    this.profile = this.profileView(readOnly);
    this.callLog = this.callLogView(readOnly);
    this.groups = this.groupsView(readOnly);
    this.sentLog = this.sentLogView(readOnly);
    this.protocol = this.protocolView(readOnly);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version >= SCHEMA_VERSION) return;
    const tx = this.db.transaction(() => {
      const had = (t: string) => !!this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?").get(t);
      const cols = (t: string) => (this.db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
      const oldContacts = had('contacts') && !cols('contacts').includes('accepted');
      const oldMessages = had('messages') && !cols('messages').includes('kind');
      if (oldContacts) {
        // Profiles from before message requests: everyone they knew was a contact.
        this.db.exec('ALTER TABLE contacts ADD COLUMN accepted INTEGER NOT NULL DEFAULT 1; ALTER TABLE contacts ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;');
      }
      if (oldMessages) {
        // Conversations were usernames; they are conversation ids now. Call notes become system lines.
        this.db.exec("ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text'");
        this.db.exec("UPDATE messages SET conversation = 'direct:' || (SELECT account_id FROM contacts WHERE username = messages.conversation) WHERE conversation IN (SELECT username FROM contacts)");
        this.db.exec("UPDATE messages SET kind = 'system' WHERE client_id LIKE 'call-%'");
      }
      // Version 3: messages may carry an attachment (its pointer and state, as JSON).
      if (had('messages') && !cols('messages').includes('attachment')) this.db.exec('ALTER TABLE messages ADD COLUMN attachment TEXT');
      // Version 4: replies (quote), reactions, edits and deletion for everyone.
      if (had('messages') && !cols('messages').includes('quote')) {
        this.db.exec(`ALTER TABLE messages ADD COLUMN quote TEXT; ALTER TABLE messages ADD COLUMN reactions TEXT;
          ALTER TABLE messages ADD COLUMN edits INTEGER NOT NULL DEFAULT 0; ALTER TABLE messages ADD COLUMN edited_at INTEGER;
          ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;`);
      }
      // Version 5: disappearing messages (the conversation_settings table comes with SCHEMA).
      if (had('messages') && !cols('messages').includes('expires_at')) this.db.exec('ALTER TABLE messages ADD COLUMN expires_in INTEGER; ALTER TABLE messages ADD COLUMN expires_at INTEGER;');
      // Version 6: profiles (a contact's shared profile key and name; whether they have ours).
      if (had('contacts') && !cols('contacts').includes('profile_key')) {
        this.db.exec('ALTER TABLE contacts ADD COLUMN profile_key BLOB; ALTER TABLE contacts ADD COLUMN profile_name TEXT; ALTER TABLE contacts ADD COLUMN profile_key_shared INTEGER NOT NULL DEFAULT 0;');
      }
      // Version 7: the profile key of a contact's whose access key the server refused (sealed/refusals.ts).
      if (had('contacts') && !cols('contacts').includes('sealed_refused_key')) this.db.exec('ALTER TABLE contacts ADD COLUMN sealed_refused_key BLOB');
      this.db.exec(SCHEMA);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
    tx.immediate();
  }

  private q(sql: string): Database.Statement {
    let s = this.stmt.get(sql);
    if (!s) this.stmt.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.inTransaction) throw new StoreMisuse('store transactions do not nest; pass the open transaction handle down instead');
    this.inTransaction = true;
    let open = true;
    const live = () => {
      if (!open) throw new StoreMisuse('this transaction handle is closed; writes go through the handle of an open transaction');
    };
    const tx: StoreTx = {
      account: this.accountView(live),
      contacts: this.contactsView(live),
      messages: this.messagesView(live),
      conversationSettings: this.conversationSettingsView(live),
      settings: this.settingsView(live),
      profile: this.profileView(live),
      callLog: this.callLogView(live),
      groups: this.groupsView(live),
      sentLog: this.sentLogView(live),
      protocol: this.protocolView(live),
    };
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = await fn(tx);
      this.db.exec('COMMIT');
      return r;
    } catch (e) {
      this.db.exec('ROLLBACK');
      this.identityCache = undefined;
      throw e;
    } finally {
      open = false;
      this.inTransaction = false;
    }
  }

  close(): void {
    this.db.close();
  }

  private kv(k: string): Uint8Array | undefined {
    const r = this.q('SELECT v FROM kv WHERE k = ?').get(k) as { v: Buffer } | undefined;
    return r ? u8(r.v) : undefined;
  }

  private setKv(k: string, v: Uint8Array): void {
    this.q('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)').run(k, v);
  }

  private accountView(check: () => void): AccountWrite {
    return {
      get: () => {
        const a = this.kv('account');
        return a ? (JSON.parse(new TextDecoder().decode(a), (k, v) => (k === 'password' || k === 'nextPassword' ? Uint8Array.from(v as number[]) : v)) as AccountInfo) : undefined;
      },
      save: (a, identity) => {
        check();
        this.setKv('account', new TextEncoder().encode(JSON.stringify({ ...a, password: Array.from(a.password), nextPassword: a.nextPassword && Array.from(a.nextPassword) })));
        this.setKv('identity', identity.serialize());
        this.identityCache = identity;
      },
      nextPreKeyId: (kind, count) => {
        check();
        const k = `next-${kind}-prekey-id`;
        const cur = this.kv(k);
        const start = cur ? new DataView(cur.buffer).getUint32(0) : 1;
        const next = new Uint8Array(4);
        new DataView(next.buffer).setUint32(0, start + count > 0xfffff0 ? 1 : start + count);
        this.setKv(k, next);
        return start;
      },
    };
  }

  private contact(r: Row | undefined): Contact | undefined {
    return r
      ? normalizeContact({
          accountId: r.account_id as string,
          username: r.username as string,
          deviceIds: JSON.parse(r.device_ids as string) as number[],
          accepted: r.accepted === 1,
          blocked: r.blocked === 1,
          ...(r.profile_key ? { profileKey: u8(r.profile_key as Buffer) } : {}),
          ...(r.profile_name !== null ? { profileName: r.profile_name as string } : {}),
          profileKeyShared: r.profile_key_shared === 1,
          ...(r.sealed_refused_key ? { sealedRefusedKey: u8(r.sealed_refused_key as Buffer) } : {}),
        })
      : undefined;
  }

  private contactsView(check: () => void): ContactsWrite {
    return {
      byId: (id) => this.contact(this.q('SELECT * FROM contacts WHERE account_id = ?').get(id) as Row | undefined),
      byUsername: (u) => this.contact(this.q('SELECT * FROM contacts WHERE username = ?').get(u) as Row | undefined),
      all: () => (this.q('SELECT * FROM contacts ORDER BY rowid').all() as Row[]).map((r) => this.contact(r)!),
      save: (c) => {
        check();
        this.q('DELETE FROM contacts WHERE username = ? AND account_id != ?').run(c.username, c.accountId);
        this.q('INSERT OR REPLACE INTO contacts (account_id, username, device_ids, accepted, blocked, profile_key, profile_name, profile_key_shared, sealed_refused_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
          c.accountId,
          c.username,
          JSON.stringify(c.deviceIds),
          c.accepted ? 1 : 0,
          c.blocked ? 1 : 0,
          c.profileKey ?? null,
          c.profileName || null,
          c.profileKeyShared ? 1 : 0,
          c.sealedRefusedKey ?? null,
        );
      },
    };
  }

  private message(r: Row): StoredMessage {
    return {
      rowId: r.row_id as number,
      conversation: r.conversation as ConversationId,
      direction: r.direction as 'in' | 'out',
      kind: r.kind as 'text' | 'system',
      clientId: r.client_id as string,
      senderAccountId: r.sender_account as string,
      timestamp: r.timestamp as number,
      body: r.body as string,
      status: r.status as MessageStatus,
      seen: r.seen === 1,
      ...(typeof r.attachment === 'string' ? { attachment: fromJson<StoredAttachment>(r.attachment) } : {}),
      ...(typeof r.quote === 'string' ? { quote: JSON.parse(r.quote) as Quote } : {}),
      ...(typeof r.reactions === 'string' ? { reactions: JSON.parse(r.reactions) as Reaction[] } : {}),
      ...((r.edits as number) > 0 ? { edits: r.edits as number } : {}),
      ...(typeof r.edited_at === 'number' ? { editedAt: r.edited_at } : {}),
      ...(r.deleted === 1 ? { deleted: true } : {}),
      ...(typeof r.expires_in === 'number' ? { expiresInMs: r.expires_in } : {}),
      ...(typeof r.expires_at === 'number' ? { expiresAt: r.expires_at } : {}),
    };
  }

  /** The columns after `seen`, in table order, for an insert or a rewrite. */
  private changeable(m: NewMessage): unknown[] {
    return [
      m.attachment ? toJson(m.attachment) : null,
      m.quote ? JSON.stringify(m.quote) : null,
      m.reactions?.length ? JSON.stringify(m.reactions) : null,
      m.edits ?? 0,
      m.editedAt ?? null,
      m.deleted ? 1 : 0,
      m.expiresInMs ?? null,
      m.expiresAt ?? null,
    ];
  }

  private messagesView(check: () => void): MessagesWrite {
    return {
      list: (conversation, onlyUnseen = false) => {
        const where: string[] = [];
        const args: unknown[] = [];
        if (conversation) {
          where.push('conversation = ?');
          args.push(conversation);
        }
        if (onlyUnseen) where.push("seen = 0 AND direction = 'in'");
        return (this.q(`SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY row_id`).all(...args) as Row[]).map((r) => this.message(r));
      },
      find: (sender, clientId) => {
        const r = this.q('SELECT * FROM messages WHERE sender_account = ? AND client_id = ?').get(sender, clientId) as Row | undefined;
        return r ? this.message(r) : undefined;
      },
      add: (input) => {
        check();
        const m = normalizeMessage(input);
        const r = this.q(
          'INSERT OR IGNORE INTO messages (conversation, direction, kind, client_id, sender_account, timestamp, body, status, seen, attachment, quote, reactions, edits, edited_at, deleted, expires_in, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ).run(m.conversation, m.direction, m.kind, m.clientId, m.senderAccountId, m.timestamp, m.body, m.status, m.seen ? 1 : 0, ...this.changeable(m));
        return r.changes > 0 ? { ...m, rowId: Number(r.lastInsertRowid), seen: !!m.seen } : undefined;
      },
      replace: (input) => {
        check();
        const m = normalizeMessage(input);
        this.q('UPDATE messages SET body = ?, status = ?, seen = ?, attachment = ?, quote = ?, reactions = ?, edits = ?, edited_at = ?, deleted = ?, expires_in = ?, expires_at = ? WHERE row_id = ?').run(
          m.body,
          m.status,
          m.seen ? 1 : 0,
          ...this.changeable(m),
          m.rowId,
        );
      },
      setAttachmentState: (sender, clientId, state) => {
        check();
        const r = this.q('SELECT attachment FROM messages WHERE sender_account = ? AND client_id = ?').get(sender, clientId) as { attachment: string | null } | undefined;
        if (!r?.attachment) return;
        const a = fromJson<StoredAttachment>(r.attachment);
        this.q('UPDATE messages SET attachment = ? WHERE sender_account = ? AND client_id = ?').run(toJson({ ...a, state }), sender, clientId);
      },
      setStatus: (sender, ids, status) => {
        check();
        const st = this.q('UPDATE messages SET status = ? WHERE sender_account = ? AND client_id = ?');
        for (const id of ids) st.run(status, sender, id);
      },
      search: (query, options = {}) => {
        const needle = query.toLowerCase();
        if (!needle) return [];
        const where = ["kind = 'text'", 'deleted = 0', 'instr(parley_fold(body), ?) > 0'];
        const args: unknown[] = [needle];
        if (options.conversation) {
          where.push('conversation = ?');
          args.push(options.conversation);
        }
        return (this.q(`SELECT * FROM messages WHERE ${where.join(' AND ')} ORDER BY row_id DESC LIMIT ?`).all(...args, options.limit ?? SEARCH_LIMIT) as Row[]).map((r) => this.message(r));
      },
      expiring: (at) => (this.q('SELECT * FROM messages WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY row_id').all(at) as Row[]).map((r) => this.message(r)),
      nextExpiry: () => {
        const r = this.q('SELECT MIN(expires_at) AS next FROM messages WHERE expires_at IS NOT NULL').get() as { next: number | null };
        return r.next ?? undefined;
      },
      markSeen: (rowIds, at) => {
        check();
        const st = this.q('UPDATE messages SET seen = 1 WHERE row_id = ?');
        const start = this.q('UPDATE messages SET expires_at = ? + expires_in WHERE row_id = ? AND expires_in IS NOT NULL AND expires_at IS NULL');
        for (const id of rowIds) {
          st.run(id);
          if (at !== undefined) start.run(at, id);
        }
      },
      remove: (rowIds) => {
        check();
        const st = this.q('DELETE FROM messages WHERE row_id = ?');
        for (const id of rowIds) st.run(id);
      },
      deleteConversation: (c) => {
        check();
        this.q('DELETE FROM messages WHERE conversation = ?').run(c);
      },
    };
  }

  private settingsView(check: () => void): SettingsWrite {
    return {
      get: () => {
        const b = this.kv('settings');
        return b ? (JSON.parse(new TextDecoder().decode(b)) as AccountSettings) : {};
      },
      save: (v) => {
        check();
        this.setKv('settings', new TextEncoder().encode(JSON.stringify(v)));
      },
    };
  }

  private profileView(check: () => void): ProfileWrite {
    return {
      get: () => {
        const b = this.kv('profile');
        return b ? normalizeOwnProfile(fromJson<OwnProfile>(new TextDecoder().decode(b))) : undefined;
      },
      save: (p) => {
        check();
        this.setKv('profile', new TextEncoder().encode(toJson(normalizeOwnProfile(p))));
      },
    };
  }

  private conversationSettingsView(check: () => void): ConversationSettingsWrite {
    return {
      get: (c) => {
        const r = this.q('SELECT record FROM conversation_settings WHERE conversation = ?').get(c) as { record: string } | undefined;
        return r ? (JSON.parse(r.record) as ConversationSettings) : undefined;
      },
      save: (c, v) => {
        check();
        this.q('INSERT OR REPLACE INTO conversation_settings (conversation, record) VALUES (?, ?)').run(c, JSON.stringify(v));
      },
    };
  }

  private callLogView(check: () => void): CallLogWrite {
    return {
      list: () =>
        (this.q('SELECT call_id, peer, direction, media, event, timestamp FROM call_log ORDER BY row_id').all() as Row[]).map((r) => ({
          callId: r.call_id as string,
          peer: r.peer as string,
          direction: r.direction as CallLogEntry['direction'],
          media: r.media as CallLogEntry['media'],
          event: r.event as CallLogEntry['event'],
          timestamp: r.timestamp as number,
        })),
      append: (e) => {
        check();
        this.q('INSERT INTO call_log (call_id, peer, direction, media, event, timestamp) VALUES (?, ?, ?, ?, ?, ?)').run(e.callId, e.peer, e.direction, e.media, e.event, e.timestamp);
      },
    };
  }

  private groupsView(check: () => void): GroupsWrite {
    return {
      get: (id) => {
        const r = this.q('SELECT record FROM groups WHERE group_id = ?').get(id) as { record: string } | undefined;
        return r ? fromJson<GroupRecord>(r.record) : undefined;
      },
      all: () => (this.q('SELECT record FROM groups ORDER BY rowid').all() as { record: string }[]).map((r) => fromJson<GroupRecord>(r.record)),
      save: (g) => {
        check();
        this.q('INSERT OR REPLACE INTO groups (group_id, record) VALUES (?, ?)').run(g.groupId, toJson(g));
      },
    };
  }

  private sent(r: Row): SentRecord {
    const rec: SentRecord = { conversation: r.conversation as ConversationId, timestamp: r.timestamp as number, content: u8(r.content as Buffer), sentAt: r.sent_at as number };
    return r.recipients ? { ...rec, recipients: JSON.parse(r.recipients as string) as string[] } : rec;
  }

  private sentLogView(check: () => void): SentLogWrite {
    return {
      get: (c, ts) => {
        const r = this.q('SELECT * FROM sent_log WHERE conversation = ? AND timestamp = ?').get(c, ts) as Row | undefined;
        return r ? this.sent(r) : undefined;
      },
      at: (ts) => (this.q('SELECT * FROM sent_log WHERE timestamp = ?').all(ts) as Row[]).map((r) => this.sent(r)),
      add: (r) => {
        check();
        this.q('INSERT OR REPLACE INTO sent_log (conversation, timestamp, content, sent_at, recipients) VALUES (?, ?, ?, ?, ?)').run(r.conversation, r.timestamp, r.content, r.sentAt, r.recipients ? JSON.stringify(r.recipients) : null);
      },
      prune: (before) => {
        check();
        this.q('DELETE FROM sent_log WHERE sent_at < ?').run(before);
      },
    };
  }

  private identityPair(): IdentityKeyPair {
    if (!this.identityCache) {
      const b = this.kv('identity');
      if (!b) throw new StoreMisuse('this profile has no identity yet; register or link it first');
      this.identityCache = IdentityKeyPair.deserialize(b);
    }
    return this.identityCache;
  }

  private protocolView(check: () => void): ProtocolWrite {
    const identity = (a: ProtocolAddress) => this.q('SELECT key, trust FROM identities WHERE address = ?').get(a.toString()) as { key: Buffer; trust: TrustLevel } | undefined;
    const record = (table: string, id: number) => (this.q(`SELECT record FROM ${table} WHERE id = ?`).get(id) as { record: Buffer } | undefined)?.record;
    return {
      getIdentityKeyPair: async () => this.identityPair(),
      getLocalRegistrationId: async () => {
        const a = this.account.get();
        if (!a) throw new StoreMisuse('this profile has no account yet; register or link it first');
        return a.registrationId;
      },
      saveIdentity: async (address, key) => {
        check();
        const r = identity(address);
        if (!r) {
          this.q('INSERT INTO identities (address, key, trust) VALUES (?, ?, ?)').run(address.toString(), key.serialize(), 'trusted');
          return false;
        }
        if (PublicKey.deserialize(u8(r.key)).equals(key)) return false;
        this.q('UPDATE identities SET key = ?, trust = ? WHERE address = ?').run(key.serialize(), 'changed', address.toString());
        return true;
      },
      isTrustedIdentity: async (address, key, direction) => {
        const r = identity(address);
        if (!r || direction === 'receiving') return true;
        return PublicKey.deserialize(u8(r.key)).equals(key) && r.trust !== 'changed';
      },
      getIdentity: async (address) => {
        const r = identity(address);
        return r ? PublicKey.deserialize(u8(r.key)) : undefined;
      },
      approveIdentity: async (address, key) => {
        check();
        this.q('INSERT OR REPLACE INTO identities (address, key, trust) VALUES (?, ?, ?)').run(address.toString(), key.serialize(), 'trusted');
      },
      getTrustLevel: async (address) => identity(address)?.trust,
      loadSession: async (address) => {
        const r = this.q('SELECT record FROM sessions WHERE address = ?').get(address.toString()) as { record: Buffer } | undefined;
        return r ? SessionRecord.deserialize(u8(r.record)) : undefined;
      },
      storeSession: async (address, rec) => {
        check();
        this.q('INSERT OR REPLACE INTO sessions (address, record) VALUES (?, ?)').run(address.toString(), rec.serialize());
      },
      deleteSession: async (address) => {
        check();
        this.q('DELETE FROM sessions WHERE address = ?').run(address.toString());
      },
      getPreKey: async (id) => {
        const r = record('prekeys', id);
        if (!r) throw new InvalidPreKeyId(`no one-time prekey with id ${id}`);
        return PreKeyRecord.deserialize(u8(r));
      },
      savePreKey: async (id, rec) => {
        check();
        this.q('INSERT OR REPLACE INTO prekeys (id, record) VALUES (?, ?)').run(id, rec.serialize());
      },
      removePreKey: async (id) => {
        check();
        this.q('DELETE FROM prekeys WHERE id = ?').run(id);
      },
      getSignedPreKey: async (id) => {
        const r = record('signed_prekeys', id);
        if (!r) throw new InvalidSignedPreKeyId(`no signed prekey with id ${id}`);
        return SignedPreKeyRecord.deserialize(u8(r));
      },
      saveSignedPreKey: async (id, rec) => {
        check();
        this.q('INSERT OR REPLACE INTO signed_prekeys (id, record) VALUES (?, ?)').run(id, rec.serialize());
      },
      getKyberPreKey: async (id) => {
        const r = record('kyber_prekeys', id);
        if (!r) throw new InvalidKyberPreKeyId(`no Kyber prekey with id ${id}`);
        return KyberPreKeyRecord.deserialize(u8(r));
      },
      saveKyberPreKey: async (id, rec, oneTime = false) => {
        check();
        this.q('INSERT OR REPLACE INTO kyber_prekeys (id, record, one_time) VALUES (?, ?, ?)').run(id, rec.serialize(), oneTime ? 1 : 0);
      },
      markKyberPreKeyUsed: async (id, signedPreKeyId, baseKey) => {
        check();
        if (this.q('DELETE FROM kyber_prekeys WHERE id = ? AND one_time = 1').run(id).changes > 0) return;
        // Why: a last-resort key stays, so a replayed first message is recognised by its base key.
        const r = this.q('INSERT OR IGNORE INTO kyber_base_keys (kyber_id, signed_id, base_key) VALUES (?, ?, ?)').run(id, signedPreKeyId, baseKey.serialize());
        if (r.changes === 0) throw new InvalidMessage('prekey message: base key already used with this last-resort prekey (a replay)');
      },
      storeSenderKey: async (sender, distributionId, rec) => {
        check();
        this.q('INSERT OR REPLACE INTO sender_keys (address, distribution_id, record) VALUES (?, ?, ?)').run(sender.toString(), distributionId.toLowerCase(), rec.serialize());
      },
      loadSenderKey: async (sender, distributionId) => {
        const r = this.q('SELECT record FROM sender_keys WHERE address = ? AND distribution_id = ?').get(sender.toString(), distributionId.toLowerCase()) as { record: Buffer } | undefined;
        return r ? SenderKeyRecord.deserialize(u8(r.record)) : undefined;
      },
    };
  }
}
