/**
 * The SDK's store in browsers: the in-memory reference store (every concept's
 * logic) with its journal persisted to IndexedDB. Reads come from memory, so they
 * are synchronous like SQLite's; a transaction's writes commit in one IndexedDB
 * transaction after `fn` succeeds, and if that commit fails the memory is rolled
 * back too. Reloading the tab reopens the same database with everything in it.
 */
import { MemoryClientStore, TABLES, type TableName, type TableOp } from '../storage/memory-store.ts';
import type { Contact, StoredMessage } from '../storage/records.ts';

/** 5: the `convsettings` object store (disappearing-message timers). */
const DB_VERSION = 5;
/** Data written by earlier versions is brought up to this in memory and written back once. */
const DATA_VERSION = 2;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class IdbClientStore extends MemoryClientStore {
  private constructor(private readonly db: IDBDatabase) {
    super();
  }

  /** Opens (or creates) the profile database `name` and loads it. */
  static async open(name: string, factory: IDBFactory = indexedDB): Promise<IdbClientStore> {
    const open = factory.open(`parley-${name}`, DB_VERSION);
    open.onupgradeneeded = () => {
      for (const s of TABLES) if (!open.result.objectStoreNames.contains(s)) open.result.createObjectStore(s);
    };
    const db = await req(open);
    const store = new IdbClientStore(db);
    const tx = db.transaction([...TABLES], 'readonly');
    await Promise.all(
      TABLES.map(async (t) => {
        const os = tx.objectStore(t);
        const [keys, values] = await Promise.all([req(os.getAllKeys()), req(os.getAll())]);
        const m = store.tables.get(t)!;
        keys.forEach((k, i) => m.set(k as string | number, values[i]));
      }),
    );
    await store.upgradeData();
    return store;
  }

  /** Profiles from before conversation ids: conversations were usernames; call notes become system lines. */
  private async upgradeData(): Promise<void> {
    const version = (this.get('kv', 'data-version') as number | undefined) ?? (this.tables.get('kv')!.size ? 1 : DATA_VERSION);
    if (version >= DATA_VERSION) {
      if (!this.get('kv', 'data-version')) await this.writeRaw([{ table: 'kv', key: 'data-version', value: DATA_VERSION, previous: undefined }]);
      return;
    }
    const byName = new Map<string, string>();
    for (const c of this.tables.get('contacts')!.values()) byName.set((c as Contact).username, (c as Contact).accountId);
    const ops: TableOp[] = [{ table: 'kv', key: 'data-version', value: DATA_VERSION, previous: undefined }];
    const messages = this.tables.get('messages')!;
    for (const [k, v] of messages) {
      const m = v as StoredMessage & { kind?: string };
      const account = byName.get(m.conversation);
      const next = { ...m, conversation: account ? `direct:${account}` : m.conversation, kind: m.kind ?? (m.clientId.startsWith('call-') ? 'system' : 'text') };
      messages.set(k, next);
      ops.push({ table: 'messages', key: k, value: next, previous: m });
    }
    this.tables.get('kv')!.set('data-version', DATA_VERSION);
    await this.writeRaw(ops);
  }

  protected override persist(ops: readonly TableOp[]): Promise<void> {
    return this.writeRaw(ops);
  }

  private writeRaw(ops: readonly TableOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const tx = this.db.transaction([...new Set(ops.map((o) => o.table))] as TableName[], 'readwrite');
      for (const o of ops) {
        const os = tx.objectStore(o.table);
        if (o.value === undefined) os.delete(o.key);
        else os.put(o.value, o.key);
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  }

  override close(): void {
    this.db.close();
  }

  /** Deletes profile `name`'s database (after an unlink, or to start over); close it first. */
  static delete(name: string, factory: IDBFactory = indexedDB): Promise<void> {
    return new Promise((resolve, reject) => {
      const r = factory.deleteDatabase(`parley-${name}`);
      r.onsuccess = () => resolve();
      r.onerror = () => reject(r.error);
    });
  }
}
