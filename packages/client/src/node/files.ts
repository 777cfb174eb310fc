/**
 * Attachment files on disk (Node): `DirectoryAttachmentFiles` keeps a profile's
 * downloaded attachments and download spools in one directory (mode 0700, files
 * 0600, names chosen by the SDK and checked, never followed through a link), so
 * a download resumes after the process restarts. `fileSource` reads a file to
 * upload; `saveAttachment` writes a downloaded one into a directory under a
 * sanitized version of the sender's name, never overwriting anything.
 */
import { chmodSync, constants, mkdirSync } from 'node:fs';
import { open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkName, FILE_NAME, type AttachmentFiles, type AttachmentSink, type AttachmentSource, type Spool } from '../attachments/files.ts';
import { numberedFileName, safeFileName } from '../attachments/file-name.ts';

const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

async function readExactly(h: FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const { bytesRead } = await h.read(out, done, length - done, offset + done);
    if (bytesRead === 0) throw new RangeError(`the file ended before byte ${offset + length}`);
    done += bytesRead;
  }
  return out;
}

async function writeAll(h: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length; ) done += (await h.write(chunk, done, chunk.length - done)).bytesWritten;
}

/** A file as an upload source; its size is taken now (a file that changes meanwhile fails the send). */
export async function fileSource(path: string): Promise<AttachmentSource & { close(): Promise<void> }> {
  const h = await open(path, 'r');
  const { size } = await h.stat();
  return {
    size,
    read: (offset, length) => readExactly(h, offset, length),
    close: () => h.close(),
  };
}

export class DirectoryAttachmentFiles implements AttachmentFiles {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }

  private path(name: string, suffix = ''): string {
    return join(this.dir, checkName(name) + suffix);
  }

  async spool(name: string): Promise<Spool> {
    const path = this.path(name, '.part');
    let length = await stat(path).then((s) => s.size, () => 0);
    return {
      length: async () => length,
      append: async (chunk) => {
        const h = await open(path, NEW_FILE | constants.O_APPEND, 0o600);
        try {
          await writeAll(h, chunk);
        } finally {
          await h.close();
        }
        length += chunk.length;
      },
      read: async (offset, n) => {
        const h = await open(path, 'r');
        try {
          return await readExactly(h, offset, n);
        } finally {
          await h.close();
        }
      },
      discard: async () => {
        await rm(path, { force: true });
        length = 0;
      },
    };
  }

  async create(name: string): Promise<AttachmentSink> {
    const final = this.path(name);
    const temp = this.path(name, '.tmp');
    const h = await open(temp, NEW_FILE | constants.O_TRUNC, 0o600);
    let open_ = true;
    const close = async () => {
      if (open_) await h.close();
      open_ = false;
    };
    return {
      write: (chunk) => writeAll(h, chunk),
      commit: async () => {
        await h.sync();
        await close();
        await rename(temp, final);
      },
      discard: async () => {
        await close();
        await rm(temp, { force: true });
      },
    };
  }

  async open(name: string): Promise<AttachmentSource | undefined> {
    const path = this.path(name);
    const size = await stat(path).then((s) => s.size, () => undefined);
    if (size === undefined) return undefined;
    return {
      size,
      read: async (offset, length) => {
        const h = await open(path, 'r');
        try {
          return await readExactly(h, offset, length);
        } finally {
          await h.close();
        }
      },
    };
  }

  async delete(name: string): Promise<void> {
    for (const suffix of ['', '.part', '.tmp']) await rm(this.path(name, suffix), { force: true });
  }

  async list(): Promise<string[]> {
    const names = (await readdir(this.dir)).map((f) => f.replace(/\.(part|tmp)$/, '')).filter((n) => FILE_NAME.test(n));
    return [...new Set(names)];
  }
}

/**
 * Writes `source` into `dir` under a safe version of `name` (safeFileName), never over an
 * existing file or through a link: "name (1).ext", "name (2).ext", ... when taken.
 * Answers the path written.
 */
export async function saveAttachment(source: AttachmentSource, dir: string, name: string): Promise<string> {
  const base = resolve(dir);
  const safe = safeFileName(name);
  for (let n = 0; n < 10_000; n++) {
    const path = join(base, numberedFileName(safe, n));
    // Why: a safe name is one segment, so this holds; checked again because the cost of being wrong is a write anywhere.
    if (dirname(path) !== base) throw new Error('refusing to write outside the directory');
    let h: FileHandle;
    try {
      h = await open(path, NEW_FILE | constants.O_EXCL, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    try {
      for (let o = 0; o < source.size; o += 1024 * 1024) await writeAll(h, await source.read(o, Math.min(1024 * 1024, source.size - o)));
      await h.close();
    } catch (e) {
      await h.close().catch(() => undefined);
      await rm(path, { force: true });
      throw e;
    }
    return path;
  }
  throw new Error(`no free name for ${safe} in ${base}`);
}
