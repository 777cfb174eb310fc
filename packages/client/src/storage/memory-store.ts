/**
 * The in-memory reference store: every concept kept in plain maps ("tables") of
 * structured-cloneable values, with a journal so a failed transaction leaves
 * nothing behind. Tests and tools use it as is; the IndexedDB store is this same
 * store with the journal persisted (`persist`), so both share one implementation
 * of every concept. Protocol records are kept serialized, as on disk, so nothing
 * read can alias what is stored.
 */
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
  type Direction,
  type ProtocolAddress,
  type TrustLevel,
} from '@parley/protocol';
import { normalizeContact, normalizeMessage, normalizeOwnProfile, type AccountInfo, type AccountSettings, type CallLogEntry, type Contact, type ConversationId, type ConversationSettings, type GroupRecord, type NewMessage, type OwnProfile, type SentRecord, type StoredMessage } from './records.ts';
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
} from './store.ts';

export const TABLES = ['kv', 'identities', 'sessions', 'prekeys', 'signed', 'kyber', 'kyberseen', 'senderkeys', 'contacts', 'messages', 'calllog', 'groups', 'sentlog', 'convsettings'] as const;
export type TableName = (typeof TABLES)[number];
export type TableKey = string | number;
/** One write: `value` undefined deletes. `previous` is what a rollback restores. */
export interface TableOp {
  readonly table: TableName;
  readonly key: TableKey;
  readonly value: unknown;
  readonly previous: unknown;
}

/** Search results when no limit is given. */
export const SEARCH_LIMIT = 100;

export const readOnly = (): never => {
  throw new StoreMisuse('store writes happen through the handle of store.transaction(), not through the store itself');
};

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export class MemoryClientStore implements ClientStore {
  protected readonly tables = new Map<TableName, Map<TableKey, unknown>>(TABLES.map((t) => [t, new Map()]));
  private journal: TableOp[] | undefined;
  private identityCache: IdentityKeyPair | undefined;
  /** Rows re-inserted by a rollback may sit out of key order; lists sort then. */
  private unordered = false;
  private messageIndex: Map<string, number> | undefined;

  // The read views: their write methods exist only to share code and always refuse.
  readonly account = this.accountView(readOnly);
  readonly contacts = this.contactsView(readOnly);
  readonly messages = this.messagesView(readOnly);
  readonly conversationSettings = this.conversationSettingsView(readOnly);
  readonly settings = this.settingsView(readOnly);
  readonly profile = this.profileView(readOnly);
  readonly callLog = this.callLogView(readOnly);
  readonly groups = this.groupsView(readOnly);
  readonly sentLog = this.sentLogView(readOnly);
  readonly protocol = this.protocolView(readOnly);

  // ---- tables

  protected get(table: TableName, key: TableKey): unknown {
    return this.tables.get(table)!.get(key);
  }

  protected rows(table: TableName): Map<TableKey, unknown> {
    const m = this.tables.get(table)!;
    if (this.unordered) {
      for (const t of this.tables.values()) {
        const sorted = [...t.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        t.clear();
        for (const [k, v] of sorted) t.set(k, v);
      }
      this.unordered = false;
    }
    return m;
  }

  private put(table: TableName, key: TableKey, value: unknown): void {
    const journal = this.journal;
    if (!journal) throw new StoreMisuse('store writes happen inside store.transaction(); this one came after its transaction ended');
    const m = this.tables.get(table)!;
    const previous = m.get(key);
    journal.push({ table, key, value, previous });
    if (value === undefined) m.delete(key);
    else m.set(key, value);
    if (table === 'messages') this.indexMessage(key as number, previous as StoredMessage | undefined, value as StoredMessage | undefined);
  }

  /** Writes the committed ops to durable storage; the in-memory store has none. */
  protected async persist(_ops: readonly TableOp[]): Promise<void> {}

  private rollback(ops: readonly TableOp[]): void {
    for (const o of [...ops].reverse()) {
      const m = this.tables.get(o.table)!;
      if (o.previous === undefined) m.delete(o.key);
      else m.set(o.key, o.previous);
    }
    this.unordered = true;
    this.messageIndex = undefined;
    if (ops.some((o) => o.table === 'kv' && o.key === 'identity')) this.identityCache = undefined;
  }

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.journal) throw new StoreMisuse('store transactions do not nest; pass the open transaction handle down instead');
    const journal: TableOp[] = [];
    this.journal = journal;
    let open = true;
    const live = () => {
      if (!open) throw new StoreMisuse('this transaction handle is closed; writes go through the handle of an open transaction');
      return undefined;
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
    let result: T;
    try {
      result = await fn(tx);
    } catch (e) {
      open = false;
      this.journal = undefined;
      this.rollback(journal);
      throw e;
    }
    open = false;
    this.journal = undefined;
    if (journal.length) {
      try {
        await this.persist(journal);
      } catch (e) {
        this.rollback(journal);
        throw e;
      }
    }
    return result;
  }

  close(): void {}

  // ---- concept views: `check` throws when a write handle is used after its transaction

  private accountView(check: () => void): AccountWrite {
    return {
      get: () => {
        const a = this.get('kv', 'account') as AccountInfo | undefined;
        return a ? { ...a, password: a.password.slice() } : undefined;
      },
      save: (a, identity) => {
        check();
        this.put('kv', 'account', { ...a, password: a.password.slice() });
        this.put('kv', 'identity', identity.serialize());
        this.identityCache = identity;
      },
      nextPreKeyId: (kind, count) => {
        check();
        const k = `next-${kind}-prekey-id`;
        const start = (this.get('kv', k) as number | undefined) ?? 1;
        this.put('kv', k, start + count > 0xfffff0 ? 1 : start + count);
        return start;
      },
    };
  }

  private contactsView(check: () => void): ContactsWrite {
    const all = () => [...this.rows('contacts').values()].map((c) => normalizeContact(c as Contact));
    return {
      byId: (id) => {
        const c = this.get('contacts', id) as Contact | undefined;
        return c ? normalizeContact(c) : undefined;
      },
      byUsername: (u) => all().find((c) => c.username === u),
      all,
      save: (c) => {
        check();
        for (const other of all()) if (other.username === c.username && other.accountId !== c.accountId) this.put('contacts', other.accountId, undefined);
        this.put('contacts', c.accountId, normalizeContact(c));
      },
    };
  }

  private indexMessage(rowId: number, previous: StoredMessage | undefined, m: StoredMessage | undefined): void {
    const idx = this.messageIndex;
    if (!idx) return;
    if (previous) idx.delete(`${previous.senderAccountId}/${previous.clientId}`);
    if (m) idx.set(`${m.senderAccountId}/${m.clientId}`, rowId);
  }

  private messageByKey(sender: string, clientId: string): StoredMessage | undefined {
    if (!this.messageIndex) {
      this.messageIndex = new Map();
      for (const [row, m] of this.rows('messages')) this.messageIndex.set(`${(m as StoredMessage).senderAccountId}/${(m as StoredMessage).clientId}`, row as number);
    }
    const row = this.messageIndex.get(`${sender}/${clientId}`);
    return row === undefined ? undefined : (this.get('messages', row) as StoredMessage | undefined);
  }

  private messagesView(check: () => void): MessagesWrite {
    const list = (conversation?: ConversationId, onlyUnseen = false): StoredMessage[] => {
      const out: StoredMessage[] = [];
      for (const v of this.rows('messages').values()) {
        const m = v as StoredMessage;
        if ((!conversation || m.conversation === conversation) && (!onlyUnseen || (!m.seen && m.direction === 'in'))) out.push(m);
      }
      return out;
    };
    return {
      list,
      find: (sender, clientId) => this.messageByKey(sender, clientId),
      add: (m: NewMessage) => {
        check();
        if (this.messageByKey(m.senderAccountId, m.clientId)) return undefined;
        const rows = [...this.rows('messages').keys()] as number[];
        const next = Math.max((this.get('kv', 'message-row') as number | undefined) ?? 0, rows.length ? rows[rows.length - 1]! : 0) + 1;
        const stored: StoredMessage = structuredClone(normalizeMessage({ ...m, rowId: next, seen: m.seen ?? false }));
        // Why a counter: a row id is never reused, even after its conversation was deleted.
        this.put('kv', 'message-row', next);
        this.put('messages', next, stored);
        return stored;
      },
      setStatus: (sender, ids, status) => {
        check();
        for (const id of ids) {
          const m = this.messageByKey(sender, id);
          if (m && m.status !== status) this.put('messages', m.rowId, { ...m, status });
        }
      },
      setAttachmentState: (sender, clientId, state) => {
        check();
        const m = this.messageByKey(sender, clientId);
        if (m?.attachment && m.attachment.state !== state) this.put('messages', m.rowId, { ...m, attachment: { ...m.attachment, state } });
      },
      replace: (m) => {
        check();
        const old = this.get('messages', m.rowId) as StoredMessage | undefined;
        if (!old) return;
        const next = structuredClone(normalizeMessage({ ...m, rowId: old.rowId, conversation: old.conversation, senderAccountId: old.senderAccountId, clientId: old.clientId }));
        this.put('messages', old.rowId, next);
      },
      search: (query, options = {}) => {
        const needle = query.toLowerCase();
        if (!needle) return [];
        const found = list(options.conversation).filter((m) => m.kind === 'text' && !m.deleted && m.body.toLowerCase().includes(needle));
        return found.reverse().slice(0, options.limit ?? SEARCH_LIMIT);
      },
      expiring: (at) => list().filter((m) => m.expiresAt !== undefined && m.expiresAt <= at),
      nextExpiry: () => {
        let next: number | undefined;
        for (const m of list()) if (m.expiresAt !== undefined && (next === undefined || m.expiresAt < next)) next = m.expiresAt;
        return next;
      },
      markSeen: (rowIds, at) => {
        check();
        for (const id of rowIds) {
          const m = this.get('messages', id) as StoredMessage | undefined;
          if (!m) continue;
          const start = at !== undefined && m.expiresInMs && m.expiresAt === undefined;
          if (!m.seen || start) this.put('messages', id, { ...m, seen: true, ...(start ? { expiresAt: at + m.expiresInMs! } : {}) });
        }
      },
      remove: (rowIds) => {
        check();
        for (const id of rowIds) if (this.get('messages', id) !== undefined) this.put('messages', id, undefined);
      },
      deleteConversation: (c) => {
        check();
        for (const m of list(c)) this.put('messages', m.rowId, undefined);
      },
    };
  }

  private settingsView(check: () => void): SettingsWrite {
    return {
      get: () => ({ ...((this.get('kv', 'settings') as AccountSettings | undefined) ?? {}) }),
      save: (v) => {
        check();
        this.put('kv', 'settings', { ...v });
      },
    };
  }

  private profileView(check: () => void): ProfileWrite {
    return {
      get: () => {
        const p = this.get('kv', 'profile') as OwnProfile | undefined;
        return p ? normalizeOwnProfile(p) : undefined;
      },
      save: (p) => {
        check();
        this.put('kv', 'profile', normalizeOwnProfile(p));
      },
    };
  }

  private conversationSettingsView(check: () => void): ConversationSettingsWrite {
    return {
      get: (c) => {
        const v = this.get('convsettings', c) as ConversationSettings | undefined;
        return v ? { ...v } : undefined;
      },
      save: (c, v) => {
        check();
        this.put('convsettings', c, { ...v });
      },
    };
  }

  private callLogView(check: () => void): CallLogWrite {
    return {
      list: () => [...this.rows('calllog').values()].map((e) => ({ ...(e as CallLogEntry) })),
      append: (e) => {
        check();
        const keys = [...this.rows('calllog').keys()] as number[];
        this.put('calllog', (keys.length ? keys[keys.length - 1]! : 0) + 1, { ...e });
      },
    };
  }

  private groupsView(check: () => void): GroupsWrite {
    return {
      get: (id) => this.get('groups', id) as GroupRecord | undefined,
      all: () => [...this.rows('groups').values()] as GroupRecord[],
      save: (g) => {
        check();
        this.put('groups', g.groupId, structuredClone(g));
      },
    };
  }

  private sentLogView(check: () => void): SentLogWrite {
    return {
      get: (c, ts) => this.get('sentlog', `${c}|${ts}`) as SentRecord | undefined,
      at: (ts) => [...this.rows('sentlog').values()].filter((r) => (r as SentRecord).timestamp === ts) as SentRecord[],
      add: (r) => {
        check();
        this.put('sentlog', `${r.conversation}|${r.timestamp}`, { ...r, content: r.content.slice(), ...(r.recipients ? { recipients: [...r.recipients] } : {}) });
      },
      prune: (before) => {
        check();
        for (const [k, v] of [...this.rows('sentlog')]) if ((v as SentRecord).sentAt < before) this.put('sentlog', k, undefined);
      },
    };
  }

  private identityPair(): IdentityKeyPair {
    if (!this.identityCache) {
      const b = this.get('kv', 'identity') as Uint8Array | undefined;
      if (!b) throw new StoreMisuse('this profile has no identity yet; register or link it first');
      this.identityCache = IdentityKeyPair.deserialize(b);
    }
    return this.identityCache;
  }

  private protocolView(check: () => void): ProtocolWrite {
    const identity = (a: ProtocolAddress) => this.get('identities', a.toString()) as { key: Uint8Array; trust: TrustLevel } | undefined;
    return {
      getIdentityKeyPair: async () => this.identityPair(),
      getLocalRegistrationId: async () => {
        const a = this.get('kv', 'account') as AccountInfo | undefined;
        if (!a) throw new StoreMisuse('this profile has no account yet; register or link it first');
        return a.registrationId;
      },
      saveIdentity: async (address, key) => {
        check();
        const e = identity(address);
        if (!e) {
          this.put('identities', address.toString(), { key: key.serialize(), trust: 'trusted' });
          return false;
        }
        if (PublicKey.deserialize(e.key).equals(key)) return false;
        this.put('identities', address.toString(), { key: key.serialize(), trust: 'changed' });
        return true;
      },
      isTrustedIdentity: async (address, key, direction: Direction) => {
        const e = identity(address);
        if (!e || direction === 'receiving') return true;
        return PublicKey.deserialize(e.key).equals(key) && e.trust !== 'changed';
      },
      getIdentity: async (address) => {
        const e = identity(address);
        return e ? PublicKey.deserialize(e.key) : undefined;
      },
      approveIdentity: async (address, key) => {
        check();
        this.put('identities', address.toString(), { key: key.serialize(), trust: 'trusted' });
      },
      getTrustLevel: async (address) => identity(address)?.trust,
      loadSession: async (address) => {
        const b = this.get('sessions', address.toString()) as Uint8Array | undefined;
        return b ? SessionRecord.deserialize(b) : undefined;
      },
      storeSession: async (address, record) => {
        check();
        this.put('sessions', address.toString(), record.serialize());
      },
      deleteSession: async (address) => {
        check();
        if (this.get('sessions', address.toString()) !== undefined) this.put('sessions', address.toString(), undefined);
      },
      getPreKey: async (id) => {
        const b = this.get('prekeys', id) as Uint8Array | undefined;
        if (!b) throw new InvalidPreKeyId(`no one-time prekey with id ${id}`);
        return PreKeyRecord.deserialize(b);
      },
      savePreKey: async (id, record) => {
        check();
        this.put('prekeys', id, record.serialize());
      },
      removePreKey: async (id) => {
        check();
        this.put('prekeys', id, undefined);
      },
      getSignedPreKey: async (id) => {
        const b = this.get('signed', id) as Uint8Array | undefined;
        if (!b) throw new InvalidSignedPreKeyId(`no signed prekey with id ${id}`);
        return SignedPreKeyRecord.deserialize(b);
      },
      saveSignedPreKey: async (id, record) => {
        check();
        this.put('signed', id, record.serialize());
      },
      getKyberPreKey: async (id) => {
        const e = this.get('kyber', id) as { record: Uint8Array } | undefined;
        if (!e) throw new InvalidKyberPreKeyId(`no Kyber prekey with id ${id}`);
        return KyberPreKeyRecord.deserialize(e.record);
      },
      saveKyberPreKey: async (id, record, oneTime = false) => {
        check();
        this.put('kyber', id, { record: record.serialize(), oneTime });
      },
      markKyberPreKeyUsed: async (id, signedPreKeyId, baseKey) => {
        check();
        const e = this.get('kyber', id) as { oneTime: boolean } | undefined;
        if (e?.oneTime) {
          this.put('kyber', id, undefined);
          return;
        }
        // Why: a last-resort key stays, so a replayed first message is recognised by its base key.
        const k = `${id}:${signedPreKeyId}:${hex(baseKey.serialize())}`;
        if (this.get('kyberseen', k)) throw new InvalidMessage('prekey message: base key already used with this last-resort prekey (a replay)');
        this.put('kyberseen', k, 1);
      },
      storeSenderKey: async (sender, distributionId, record) => {
        check();
        this.put('senderkeys', `${sender.toString()}/${distributionId.toLowerCase()}`, record.serialize());
      },
      loadSenderKey: async (sender, distributionId) => {
        const b = this.get('senderkeys', `${sender.toString()}/${distributionId.toLowerCase()}`) as Uint8Array | undefined;
        return b ? SenderKeyRecord.deserialize(b) : undefined;
      },
    };
  }
}
