/**
 * Where attachment bytes live on this device, behind interfaces, so the SDK core
 * needs no file system: `AttachmentSource` is what is uploaded (bytes in memory, a
 * Blob, a file through @parley/client/node), `AttachmentFiles` keeps what was
 * downloaded (verified plaintext, by name) and the ciphertext of downloads in
 * progress (spools, so a download resumes). The SDK chooses every name (from the
 * message's sender and id); an app never saves under a name a sender chose
 * without sanitizing it. The in-memory implementation is here; a directory
 * (`@parley/client/node`) and IndexedDB (`@parley/client/browser`) persist.
 */

/** Bytes read by offset: a file to upload, or one kept on this device. */
export interface AttachmentSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (callers stay within `size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The bytes as a Blob, when the store has one at hand (browsers). */
  blob?(): Promise<Blob>;
}

/** Verified plaintext, written in order; kept only once committed. */
export interface AttachmentSink {
  write(chunk: Uint8Array): Promise<void>;
  /** Keeps what was written under the sink's name (replacing what was there). */
  commit(): Promise<void>;
  /** Drops what was written. */
  discard(): Promise<void>;
}

/** The ciphertext of a download so far. */
export interface Spool {
  length(): Promise<number>;
  append(chunk: Uint8Array): Promise<void>;
  /** Exactly `length` bytes at `offset`, within what was appended. */
  read(offset: number, length: number): Promise<Uint8Array>;
  discard(): Promise<void>;
}

/** One device's attachment files. Names match FILE_NAME (chosen by the SDK). */
export interface AttachmentFiles {
  /** The spool of a download of `name` (empty, or what an earlier attempt left). */
  spool(name: string): Promise<Spool>;
  create(name: string): Promise<AttachmentSink>;
  open(name: string): Promise<AttachmentSource | undefined>;
  /** Deletes the file and the spool of `name` (either may be absent). */
  delete(name: string): Promise<void>;
  /** Every name with a file or a spool. */
  list(): Promise<string[]>;
}

/** What names look like: letters, digits, '-' and '_' (no dots, no separators). */
export const FILE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

export function checkName(name: string): string {
  if (!FILE_NAME.test(name)) throw new TypeError(`not an attachment file name: ${JSON.stringify(name.slice(0, 40))}`);
  return name;
}

/** Bytes in memory as a source. */
export function bytesSource(bytes: Uint8Array): AttachmentSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.slice(offset, offset + length),
  };
}

/** A Blob or File (browsers, Node 20) as a source. */
export function blobSource(blob: Blob): AttachmentSource {
  return {
    size: blob.size,
    read: async (offset, length) => new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer()),
    blob: async () => blob,
  };
}

/** Reads a whole source (mind its size). */
export async function readAll(source: AttachmentSource): Promise<Uint8Array> {
  const out = new Uint8Array(source.size);
  for (let o = 0; o < source.size; o += 1024 * 1024) out.set(await source.read(o, Math.min(1024 * 1024, source.size - o)), o);
  return out;
}

/** A source as a Blob of `type` (in chunks, so it is never one big copy in JS memory). */
export async function toBlob(source: AttachmentSource, type: string): Promise<Blob> {
  const have = await source.blob?.();
  if (have) return have.type === type ? have : have.slice(0, have.size, type);
  const parts: Uint8Array[] = [];
  for (let o = 0; o < source.size; o += 1024 * 1024) parts.push(await source.read(o, Math.min(1024 * 1024, source.size - o)));
  return new Blob(parts as BlobPart[], { type });
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads `length` bytes at `offset` out of a list of chunks. */
export function sliceChunks(chunks: readonly Uint8Array[], offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let pos = 0;
  let filled = 0;
  for (const c of chunks) {
    if (filled === length) break;
    const end = pos + c.length;
    if (end > offset) {
      const from = Math.max(0, offset + filled - pos);
      const take = Math.min(c.length - from, length - filled);
      out.set(c.subarray(from, from + take), filled);
      filled += take;
    }
    pos = end;
  }
  if (filled !== length) throw new RangeError(`read past the end (${offset}+${length})`);
  return out;
}

/** Attachment files in memory: for tests and for apps that keep nothing across restarts. */
export class MemoryAttachmentFiles implements AttachmentFiles {
  private readonly files = new Map<string, Uint8Array>();
  private readonly spools = new Map<string, Uint8Array[]>();

  async spool(name: string): Promise<Spool> {
    checkName(name);
    const chunks = this.spools.get(name) ?? [];
    this.spools.set(name, chunks);
    let length = chunks.reduce((n, c) => n + c.length, 0);
    return {
      length: async () => length,
      append: async (chunk) => {
        chunks.push(chunk.slice());
        length += chunk.length;
      },
      read: async (offset, n) => sliceChunks(chunks, offset, n),
      discard: async () => {
        if (this.spools.get(name) === chunks) this.spools.delete(name);
        chunks.length = 0;
        length = 0;
      },
    };
  }

  async create(name: string): Promise<AttachmentSink> {
    checkName(name);
    const parts: Uint8Array[] = [];
    return {
      write: async (chunk) => void parts.push(chunk.slice()),
      commit: async () => void this.files.set(name, concat(parts)),
      discard: async () => void (parts.length = 0),
    };
  }

  async open(name: string): Promise<AttachmentSource | undefined> {
    const f = this.files.get(checkName(name));
    return f ? bytesSource(f) : undefined;
  }

  async delete(name: string): Promise<void> {
    this.files.delete(checkName(name));
    this.spools.delete(name);
  }

  async list(): Promise<string[]> {
    return [...new Set([...this.files.keys(), ...this.spools.keys()])];
  }
}
