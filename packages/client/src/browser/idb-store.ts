/**
 * The SDK's store in browsers: IndexedDB, with an in-memory mirror so reads are
 * synchronous like the SQLite store's. Writes go to the mirror and to a journal;
 * `transaction(fn)` commits the journal in one IndexedDB transaction (all or
 * nothing, and the mirror is rolled back if `fn` fails); writes outside a
 * transaction are committed one by one, in order. Reloading the tab reopens the
 * same database with everything in it.
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
  SessionRecord,
  SignedPreKeyRecord,
  type Direction,
  type ProtocolAddress,
  type TrustLevel,
} from '@parley/protocol';
import type { AccountInfo, CallLogEntry, ClientStore, Contact, MessageStatus, StoredMessage } from '../store.ts';

const STORES = ['kv', 'identities', 'sessions', 'prekeys', 'signed', 'kyber', 'kyberseen', 'contacts', 'messages', 'calllog'] as const;
type StoreName = (typeof STORES)[number];
type Key = string | number;
interface Op {
  store: StoreName;
  key: Key;
  value: unknown;
  previous: unknown;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class IdbClientStore implements ClientStore {
  private readonly mem = new Map<StoreName, Map<Key, unknown>>(STORES.map((s) => [s, new Map()]));
  private journal: Op[] | undefined;
  private writes: Promise<void> = Promise.resolve();
  private writeError: unknown;
  private identity: IdentityKeyPair | undefined;

  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (or creates) the profile database `name` and loads it. */
  static async open(name: string, factory: IDBFactory = indexedDB): Promise<IdbClientStore> {
    const open = factory.open(`parley-${name}`, 3);
    open.onupgradeneeded = () => {
      for (const s of STORES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
    };
    const db = await req(open);
    const store = new IdbClientStore(db);
    const tx = db.transaction([...STORES], 'readonly');
    await Promise.all(
      STORES.map(async (s) => {
        const os = tx.objectStore(s);
        const [keys, values] = await Promise.all([req(os.getAllKeys()), req(os.getAll())]);
        const m = store.mem.get(s)!;
        keys.forEach((k, i) => m.set(k as Key, values[i]));
      }),
    );
    return store;
  }

  private get(store: StoreName, key: Key): unknown {
    return this.mem.get(store)!.get(key);
  }

  private put(store: StoreName, key: Key, value: unknown): void {
    const m = this.mem.get(store)!;
    const op: Op = { store, key, value, previous: m.get(key) };
    if (value === undefined) m.delete(key);
    else m.set(key, value);
    if (this.journal) this.journal.push(op);
    else this.commit([op]);
  }

  private commit(ops: Op[]): Promise<void> {
    const p = this.writes.then(
      () =>
        new Promise<void>((resolve, reject) => {
          const tx = this.db.transaction([...new Set(ops.map((o) => o.store))], 'readwrite');
          for (const o of ops) {
            const os = tx.objectStore(o.store);
            if (o.value === undefined) os.delete(o.key);
            else os.put(o.value, o.key);
          }
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
        }),
    );
    this.writes = p.catch((e) => {
      this.writeError = e;
    });
    return p;
  }

  /** Resolves when every write so far is on disk; rejects if one failed. */
  async flush(): Promise<void> {
    await this.writes;
    if (this.writeError) throw this.writeError;
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.journal) return fn();
    this.journal = [];
    let result: T;
    try {
      result = await fn();
    } catch (e) {
      for (const o of this.journal.reverse()) {
        const m = this.mem.get(o.store)!;
        if (o.previous === undefined) m.delete(o.key);
        else m.set(o.key, o.previous);
      }
      this.journal = undefined;
      throw e;
    }
    const ops = this.journal;
    this.journal = undefined;
    if (ops.length) await this.commit(ops);
    return result;
  }

  getAccount(): AccountInfo | undefined {
    return this.get('kv', 'account') as AccountInfo | undefined;
  }

  saveAccount(a: AccountInfo, identity: IdentityKeyPair): void {
    this.put('kv', 'account', { ...a, password: a.password.slice() });
    this.put('kv', 'identity', identity.serialize());
    this.identity = identity;
  }

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    if (!this.identity) {
      const b = this.get('kv', 'identity') as Uint8Array | undefined;
      if (!b) throw new Error('this browser profile has no identity yet; register first');
      this.identity = IdentityKeyPair.deserialize(b);
    }
    return this.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    const a = this.getAccount();
    if (!a) throw new Error('this browser profile has no account yet; register first');
    return a.registrationId;
  }

  private identityEntry(address: ProtocolAddress): { key: Uint8Array; trust: TrustLevel } | undefined {
    return this.get('identities', address.toString()) as { key: Uint8Array; trust: TrustLevel } | undefined;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const e = this.identityEntry(address);
    if (!e) {
      this.put('identities', address.toString(), { key: key.serialize(), trust: 'trusted' });
      return false;
    }
    if (PublicKey.deserialize(e.key).equals(key)) return false;
    this.put('identities', address.toString(), { key: key.serialize(), trust: 'changed' });
    return true;
  }

  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    const e = this.identityEntry(address);
    if (!e || direction === 'receiving') return true;
    return PublicKey.deserialize(e.key).equals(key) && e.trust !== 'changed';
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined> {
    const e = this.identityEntry(address);
    return e ? PublicKey.deserialize(e.key) : undefined;
  }

  async approveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void> {
    this.put('identities', address.toString(), { key: key.serialize(), trust: 'trusted' });
  }

  async getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined> {
    return this.identityEntry(address)?.trust;
  }

  async loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined> {
    const b = this.get('sessions', address.toString()) as Uint8Array | undefined;
    return b ? SessionRecord.deserialize(b) : undefined;
  }

  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.put('sessions', address.toString(), record.serialize());
  }

  async getPreKey(id: number): Promise<PreKeyRecord> {
    const b = this.get('prekeys', id) as Uint8Array | undefined;
    if (!b) throw new InvalidPreKeyId(`no one-time prekey with id ${id}`);
    return PreKeyRecord.deserialize(b);
  }

  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.put('prekeys', id, record.serialize());
  }

  async removePreKey(id: number): Promise<void> {
    this.put('prekeys', id, undefined);
  }

  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const b = this.get('signed', id) as Uint8Array | undefined;
    if (!b) throw new InvalidSignedPreKeyId(`no signed prekey with id ${id}`);
    return SignedPreKeyRecord.deserialize(b);
  }

  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.put('signed', id, record.serialize());
  }

  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const e = this.get('kyber', id) as { record: Uint8Array } | undefined;
    if (!e) throw new InvalidKyberPreKeyId(`no Kyber prekey with id ${id}`);
    return KyberPreKeyRecord.deserialize(e.record);
  }

  async saveKyberPreKey(id: number, record: KyberPreKeyRecord, oneTime = false): Promise<void> {
    this.put('kyber', id, { record: record.serialize(), oneTime });
  }

  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const e = this.get('kyber', id) as { oneTime: boolean } | undefined;
    if (e?.oneTime) {
      this.put('kyber', id, undefined);
      return;
    }
    // Why: a last-resort key stays, so a replayed first message is recognised by its base key.
    const k = `${id}:${signedPreKeyId}:${Array.from(baseKey.serialize(), (b) => b.toString(16).padStart(2, '0')).join('')}`;
    if (this.get('kyberseen', k)) throw new InvalidMessage('prekey message: base key already used with this last-resort prekey (a replay)');
    this.put('kyberseen', k, 1);
  }

  nextPreKeyId(kind: 'ec' | 'kem', count: number): number {
    const k = `next-${kind}-prekey-id`;
    const start = (this.get('kv', k) as number | undefined) ?? 1;
    this.put('kv', k, start + count > 0xfffff0 ? 1 : start + count);
    return start;
  }

  contactByUsername(username: string): Contact | undefined {
    for (const c of this.mem.get('contacts')!.values()) if ((c as Contact).username === username) return c as Contact;
    return undefined;
  }

  contactById(accountId: string): Contact | undefined {
    return this.get('contacts', accountId) as Contact | undefined;
  }

  saveContact(c: Contact): void {
    const other = this.contactByUsername(c.username);
    if (other && other.accountId !== c.accountId) this.put('contacts', other.accountId, undefined);
    this.put('contacts', c.accountId, { accountId: c.accountId, username: c.username, deviceIds: [...c.deviceIds], accepted: !!c.accepted, blocked: !!c.blocked });
  }

  addCallLogEntry(e: CallLogEntry): void {
    const keys = [...this.mem.get('calllog')!.keys()] as number[];
    this.put('calllog', (keys.length ? Math.max(...keys) : 0) + 1, { ...e });
  }

  callLog(): CallLogEntry[] {
    return [...this.mem.get('calllog')!.entries()].sort((a, b) => (a[0] as number) - (b[0] as number)).map(([, v]) => v as CallLogEntry);
  }

  deleteConversation(conversation: string): void {
    for (const m of this.allMessages()) if (m.conversation === conversation) this.put('messages', m.rowId, undefined);
  }

  private allMessages(): StoredMessage[] {
    return [...(this.mem.get('messages')!.values() as Iterable<StoredMessage>)].sort((a, b) => a.rowId - b.rowId);
  }

  addMessage(m: Omit<StoredMessage, 'rowId' | 'seen'>): boolean {
    const all = this.allMessages();
    if (all.some((x) => x.senderAccountId === m.senderAccountId && x.clientId === m.clientId)) return false;
    const rowId = (all[all.length - 1]?.rowId ?? 0) + 1;
    this.put('messages', rowId, { ...m, rowId, seen: false });
    return true;
  }

  setStatus(senderAccountId: string, clientIds: readonly string[], status: MessageStatus): void {
    for (const m of this.allMessages()) {
      if (m.senderAccountId === senderAccountId && clientIds.includes(m.clientId)) this.put('messages', m.rowId, { ...m, status });
    }
  }

  messages(conversation?: string, onlyUnseen = false): StoredMessage[] {
    return this.allMessages().filter((m) => (!conversation || m.conversation === conversation) && (!onlyUnseen || (!m.seen && m.direction === 'in')));
  }

  markSeen(rowIds: readonly number[]): void {
    for (const id of rowIds) {
      const m = this.get('messages', id) as StoredMessage | undefined;
      if (m && !m.seen) this.put('messages', id, { ...m, seen: true });
    }
  }

  close(): void {
    this.db.close();
  }
}
