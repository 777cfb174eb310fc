/**
 * Where attachment ciphertext lives: a key-value store of append-only blobs,
 * written in order one chunk at a time and read by byte range. The embedded
 * default keeps them as files on the local disk (local-disk.ts); a deployment of
 * several nodes backs this interface with storage they share. The server never
 * hands it anything a client chose but an id the server itself generated and
 * checked; every implementation runs the suite in blob-store-compliance.ts.
 */
import type { Readable } from 'node:stream';

export interface BlobStore {
  /**
   * Writes `chunk` at `offset`, which is where the caller's durable record says the blob
   * ends (0 for a new blob). Anything stored past `offset` (what a write that never
   * finished left) is replaced. Durable when it resolves.
   */
  write(key: string, offset: number, chunk: Uint8Array): Promise<void>;
  /** Bytes `start` to `end` (exclusive), which the caller knows are there. */
  read(key: string, start: number, end: number): Readable;
  /** Deletes the blob; deleting one that is not there is no error. */
  delete(key: string): Promise<void>;
  /** Every stored key, in no particular order (for removing blobs that lost their record). */
  keys(): AsyncIterable<string>;
}

/** Blob keys are attachment ids: 32 base64url characters, never a path. */
export const BLOB_KEY = /^[A-Za-z0-9_-]{32}$/;

export class BlobStoreError extends Error {
  override readonly name = 'BlobStoreError';
}
