/**
 * The embedded blob store: one file per blob in one directory under the data
 * directory (mode 0700; files 0600). A file's name is its key, checked against
 * BLOB_KEY before any path is made, so no request can name a path. Each chunk is
 * written at its offset, the file cut to its end (dropping what an interrupted
 * write left) and synced before the write resolves. A full disk or an I/O error is
 * `StorageUnavailable` (a retryable UNAVAILABLE for the uploader): the bytes past the
 * chunk's offset are cut again, so the upload resumes from where it stood.
 */
import { chmodSync, constants, createReadStream, mkdirSync } from 'node:fs';
import { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { driverRefusal } from '../storage/refusals.ts';
import { BLOB_KEY, BlobStoreError, type BlobStore } from './blob-store.ts';

export class LocalDiskBlobStore implements BlobStore {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Why: a directory made earlier (or by hand) with wider permissions is narrowed too.
    chmodSync(dir, 0o700);
  }

  private path(key: string): string {
    if (!BLOB_KEY.test(key)) throw new BlobStoreError('a blob key must be 32 base64url characters');
    return join(this.dir, key);
  }

  async write(key: string, offset: number, chunk: Uint8Array): Promise<void> {
    const path = this.path(key);
    // Created if new, never truncated here, never through a symbolic link.
    const f = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      const { size } = await f.stat();
      if (size < offset) throw new BlobStoreError(`blob ${key.slice(0, 6)}… holds ${size} bytes, fewer than the offset ${offset}`);
      try {
        for (let done = 0; done < chunk.length; ) {
          const { bytesWritten } = await f.write(chunk, done, chunk.length - done, offset + done);
          done += bytesWritten;
        }
        await f.truncate(offset + chunk.length);
        await f.datasync();
      } catch (e) {
        // Why cut: what part of the chunk reached the file is unknown; the next write starts at `offset` again.
        await f.truncate(offset).catch(() => undefined);
        throw driverRefusal(e);
      }
    } finally {
      await f.close();
    }
    // A new file's directory entry must be durable too.
    if (offset === 0) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    const d = await open(this.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  read(key: string, start: number, end: number): Readable {
    const path = this.path(key);
    if (end <= start) return Readable.from([]);
    // createReadStream's `end` is inclusive.
    return createReadStream(path, { start, end: end - 1 });
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async *keys(): AsyncIterable<string> {
    for (const name of await readdir(this.dir)) if (BLOB_KEY.test(name)) yield name;
  }
}
