/**
 * Attachment uploads and downloads, without HTTP: the rules (who may write, at
 * which offset, how much, until when), the order of writes to the blob store and
 * storage, and the sweeper that deletes expired blobs and abandoned uploads.
 *
 * Order of writes: a record exists before its blob's first byte, a chunk is
 * durable in the blob store before storage commits it, and a blob is deleted
 * before its record. So storage never claims bytes the blob store lacks, and a
 * blob without a record is garbage the sweeper removes. Writes to one
 * attachment (chunks, deletion) run one at a time in this process; a deployment
 * of several nodes needs the same per-attachment exclusion across them.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { attachmentCiphertextSize, type AttachmentUpload, type ByteRange, WireError } from '@parley/wire';
import type { Authed } from '../auth/auth.ts';
import type { AttachmentRecord, AttachmentStore } from '../storage/storage.ts';
import type { BlobStore } from './blob-store.ts';

export interface AttachmentLimits {
  /** The largest attachment in plaintext bytes; its padded, encrypted size is what may be uploaded. */
  readonly maxAttachmentBytes: number;
  readonly chunkBytes: number;
  /** A finished blob is kept this long. */
  readonly ttlMs: number;
  /** An upload must finish this long after it began, or it is abandoned. */
  readonly uploadWindowMs: number;
  readonly maxPendingUploads: number;
}

export interface AttachmentServiceDeps {
  readonly storage: AttachmentStore;
  readonly blobs: BlobStore;
  readonly now: () => number;
  readonly limits: AttachmentLimits;
}

/** What a download sends: a whole blob (200) or one range of it (206). */
export interface BlobSlice {
  readonly status: 200 | 206;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  readonly size: number;
  body(): Readable;
}

/** Expired attachments deleted per storage query while sweeping. */
const SWEEP_BATCH = 500;

/** One operation at a time per key (chunk writes and deletion of one attachment). */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

export class AttachmentService {
  private readonly lock = new KeyedLock();
  private sweeping: Promise<number> | undefined;
  /** The largest blob an upload may declare. */
  readonly maxBlobBytes: number;

  constructor(private readonly deps: AttachmentServiceDeps) {
    this.maxBlobBytes = attachmentCiphertextSize(deps.limits.maxAttachmentBytes);
  }

  private view(r: AttachmentRecord): AttachmentUpload {
    return { attachmentId: r.id, size: r.size, committed: r.committed, chunkSize: this.deps.limits.chunkBytes, expiresAt: r.expiresAt };
  }

  private static gone(): WireError {
    return new WireError('NOT_FOUND', 'no such attachment (it may have expired)');
  }

  /** Reserves an upload of exactly `size` bytes for the device's account. */
  async create(a: Authed, size: number): Promise<AttachmentUpload> {
    const { storage, now, limits } = this.deps;
    if (size > this.maxBlobBytes) {
      throw new WireError('PAYLOAD_TOO_LARGE', `attachments on this server are at most ${limits.maxAttachmentBytes} bytes (${this.maxBlobBytes} encrypted); this one is ${size} encrypted`);
    }
    if ((await storage.pendingUploads(a.accountId)) >= limits.maxPendingUploads) {
      throw new WireError('RATE_LIMITED', `at most ${limits.maxPendingUploads} unfinished uploads at once; finish one or wait until it expires`);
    }
    const t = now();
    // 192 random bits: a collision is rare, and then the next draw is used.
    for (;;) {
      const id = randomBytes(24).toString('base64url');
      const record = { id, ownerAccountId: a.accountId, ownerDeviceId: a.deviceId, size, createdAt: t, expiresAt: t + limits.uploadWindowMs };
      if (await storage.createAttachment(record)) return this.view({ ...record, committed: 0 });
    }
  }

  /** An unfinished or finished upload of this account that has not expired. */
  private async owned(a: Authed, id: string): Promise<AttachmentRecord> {
    const r = await this.deps.storage.attachment(id);
    // Why NOT_FOUND for someone else's: ids are capabilities, and their owners are nobody's business.
    if (!r || r.ownerAccountId !== a.accountId || r.expiresAt <= this.deps.now()) throw AttachmentService.gone();
    return r;
  }

  /** Where an upload stands (to resume it). */
  async status(a: Authed, id: string): Promise<AttachmentUpload> {
    return this.view(await this.owned(a, id));
  }

  /** Appends a chunk at `offset`, which must be what the server has committed. */
  writeChunk(a: Authed, id: string, offset: number, chunk: Uint8Array): Promise<AttachmentUpload> {
    return this.lock.run(id, async () => {
      const { storage, blobs, now, limits } = this.deps;
      const r = await this.owned(a, id);
      if (offset !== r.committed) {
        throw new WireError('CONFLICT', `the upload has ${r.committed} bytes; send the chunk at that offset`, { committed: r.committed });
      }
      if (chunk.length === 0) throw new WireError('BAD_REQUEST', 'a chunk holds at least one byte');
      if (chunk.length > limits.chunkBytes) throw new WireError('PAYLOAD_TOO_LARGE', `a chunk is at most ${limits.chunkBytes} bytes`);
      if (offset + chunk.length > r.size) throw new WireError('BAD_REQUEST', `the chunk ends past the declared size of ${r.size} bytes`);
      await blobs.write(id, offset, chunk);
      const to = offset + chunk.length;
      const finishedExpiresAt = now() + limits.ttlMs;
      if (!(await storage.commitAttachment(id, offset, to, finishedExpiresAt))) throw AttachmentService.gone();
      return this.view({ ...r, committed: to, expiresAt: to === r.size ? finishedExpiresAt : r.expiresAt });
    });
  }

  /** A finished, unexpired blob, whole or the range asked for (RANGE_NOT_SATISFIABLE outside it). */
  async open(id: string, range: ByteRange | undefined): Promise<BlobSlice> {
    const r = await this.deps.storage.attachment(id);
    if (!r || r.committed !== r.size || r.expiresAt <= this.deps.now()) throw AttachmentService.gone();
    const size = r.size;
    let start = 0;
    let end = size;
    if (range) {
      if ('suffix' in range) start = Math.max(0, size - range.suffix);
      else {
        start = range.start;
        if (range.end !== undefined) end = Math.min(size, range.end + 1);
      }
      if (start >= size) throw new WireError('RANGE_NOT_SATISFIABLE', `the attachment has ${size} bytes`, { size });
    }
    return { status: range ? 206 : 200, start, end, size, body: () => this.deps.blobs.read(id, start, end) };
  }

  /**
   * Deletes expired blobs and abandoned uploads (blob first, then record), then blobs
   * left without a record. Answers how many attachments it deleted. One sweep at a time.
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    const { storage, blobs, now } = this.deps;
    let deleted = 0;
    const done = new Set<string>();
    for (;;) {
      const ids = (await storage.expiredAttachments(now(), SWEEP_BATCH)).filter((id) => !done.has(id));
      if (ids.length === 0) break;
      for (const id of ids) {
        done.add(id);
        await this.lock.run(id, async () => {
          // Checked again under the lock: a last chunk may have finished it meanwhile.
          const r = await storage.attachment(id);
          if (!r || r.expiresAt > now()) return;
          await blobs.delete(id);
          await storage.deleteAttachment(id);
          deleted++;
        });
      }
    }
    let batch: string[] = [];
    const orphans = async () => {
      const existing = await storage.existingAttachments(batch);
      for (const key of batch.filter((k) => !existing.has(k))) {
        await this.lock.run(key, async () => {
          if ((await storage.existingAttachments([key])).size === 0) await blobs.delete(key);
        });
      }
      batch = [];
    };
    for await (const key of blobs.keys()) {
      batch.push(key);
      if (batch.length >= SWEEP_BATCH) await orphans();
    }
    await orphans();
    return deleted;
  }
}
