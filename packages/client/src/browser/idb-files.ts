/**
 * Attachment files in browsers: one IndexedDB database per profile beside the
 * client store's (`parley-<profile>-attachments`), with downloaded attachments as
 * Blobs (browsers keep large ones on disk, not in memory) and download spools as
 * numbered chunks, so a download resumes after the tab is reloaded. A commit
 * writes one Blob; until then nothing of it is visible.
 */
import { checkName, sliceChunks, type AttachmentFiles, type AttachmentSink, type AttachmentSource, type Spool } from '../attachments/files.ts';

const DB_VERSION = 1;
const FILES = 'files';
const SPOOLS = 'spools';

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** Spool chunks are keyed `[name, index]`. */
const chunksOf = (name: string) => IDBKeyRange.bound([name, 0], [name, Number.MAX_SAFE_INTEGER]);

export class IdbAttachmentFiles implements AttachmentFiles {
  private constructor(private readonly db: IDBDatabase) {}

  /** Opens (or creates) the attachment files of profile `name`. */
  static async open(name: string, factory: IDBFactory = indexedDB): Promise<IdbAttachmentFiles> {
    const open = factory.open(`parley-${name}-attachments`, DB_VERSION);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(FILES)) db.createObjectStore(FILES);
      if (!db.objectStoreNames.contains(SPOOLS)) db.createObjectStore(SPOOLS);
    };
    return new IdbAttachmentFiles(await req(open));
  }

  close(): void {
    this.db.close();
  }

  async spool(name: string): Promise<Spool> {
    checkName(name);
    const tx = this.db.transaction(SPOOLS, 'readonly');
    const existing = (await req(tx.objectStore(SPOOLS).getAll(chunksOf(name)))) as Uint8Array[];
    // Lengths only are kept in memory; chunks are read back as needed.
    const lengths = existing.map((c) => c.length);
    const total = () => lengths.reduce((n, l) => n + l, 0);
    return {
      length: async () => total(),
      append: async (chunk) => {
        const t = this.db.transaction(SPOOLS, 'readwrite');
        t.objectStore(SPOOLS).put(chunk.slice(), [name, lengths.length]);
        await done(t);
        lengths.push(chunk.length);
      },
      read: async (offset, length) => {
        if (offset + length > total()) throw new RangeError(`read past the end (${offset}+${length})`);
        // The chunks the range touches, by index.
        let first = 0;
        let start = 0;
        while (first < lengths.length && start + lengths[first]! <= offset) start += lengths[first++]!;
        let last = first;
        for (let end = start; last < lengths.length && end < offset + length; ) end += lengths[last++]!;
        const t = this.db.transaction(SPOOLS, 'readonly');
        const chunks = (await req(t.objectStore(SPOOLS).getAll(IDBKeyRange.bound([name, first], [name, last - 1])))) as Uint8Array[];
        return sliceChunks(chunks, offset - start, length);
      },
      discard: async () => {
        const t = this.db.transaction(SPOOLS, 'readwrite');
        t.objectStore(SPOOLS).delete(chunksOf(name));
        await done(t);
        lengths.length = 0;
      },
    };
  }

  async create(name: string): Promise<AttachmentSink> {
    checkName(name);
    const parts: Blob[] = [];
    return {
      write: async (chunk) => void parts.push(new Blob([chunk.slice() as BlobPart])),
      commit: async () => {
        const t = this.db.transaction(FILES, 'readwrite');
        t.objectStore(FILES).put(new Blob(parts), name);
        await done(t);
      },
      discard: async () => void (parts.length = 0),
    };
  }

  async open(name: string): Promise<AttachmentSource | undefined> {
    checkName(name);
    const t = this.db.transaction(FILES, 'readonly');
    const blob = (await req(t.objectStore(FILES).get(name))) as Blob | undefined;
    if (!blob) return undefined;
    return {
      size: blob.size,
      read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
      blob: async () => blob,
    };
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    const t = this.db.transaction([FILES, SPOOLS], 'readwrite');
    t.objectStore(FILES).delete(name);
    t.objectStore(SPOOLS).delete(chunksOf(name));
    await done(t);
  }

  async list(): Promise<string[]> {
    const t = this.db.transaction([FILES, SPOOLS], 'readonly');
    const [files, spools] = await Promise.all([req(t.objectStore(FILES).getAllKeys()), req(t.objectStore(SPOOLS).getAllKeys())]);
    return [...new Set([...(files as string[]), ...(spools as Array<[string, number]>).map((k) => k[0])])];
  }
}
