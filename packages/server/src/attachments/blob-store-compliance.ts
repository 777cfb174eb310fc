/**
 * What every BlobStore must do, through the interface only: chunks written in
 * order read back by any range, a write at an earlier offset replaces what an
 * interrupted write left, deletes are idempotent, keys list what is stored, and
 * a key that is not a blob key is refused before anything touches storage.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import { BlobStoreError, type BlobStore } from './blob-store.ts';

const K1 = 'A'.repeat(32);
const K2 = 'b_-'.repeat(10) + 'zz';

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

export function blobStoreCompliance(name: string, open: () => Promise<BlobStore>, cleanup: () => Promise<void> = async () => undefined): void {
  describe(`blob store compliance: ${name}`, () => {
    afterEach(cleanup);

    it('appends chunks in order and reads any range back', async () => {
      const s = await open();
      const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      await s.write(K1, 0, data.subarray(0, 1000));
      await s.write(K1, 1000, data.subarray(1000, 2500));
      await s.write(K1, 2500, data.subarray(2500));
      expect(await readAll(s.read(K1, 0, 3000))).toEqual(data);
      expect(await readAll(s.read(K1, 999, 1001))).toEqual(data.subarray(999, 1001));
      expect(await readAll(s.read(K1, 2999, 3000))).toEqual(data.subarray(2999));
      expect(await readAll(s.read(K1, 5, 5))).toEqual(Buffer.alloc(0));
    });

    it('a write at the committed offset replaces what an interrupted write left past it', async () => {
      const s = await open();
      await s.write(K1, 0, Buffer.alloc(100, 1));
      // An interrupted chunk left 500 bytes the record never committed.
      await s.write(K1, 100, Buffer.alloc(500, 2));
      await s.write(K1, 100, Buffer.alloc(50, 3));
      expect(await readAll(s.read(K1, 0, 150))).toEqual(Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(50, 3)]));
      // Nothing of the longer write is left past the end.
      await s.write(K1, 150, Buffer.alloc(1, 4));
      expect((await readAll(s.read(K1, 0, 151))).length).toBe(151);
    });

    it('refuses to write past the end (a hole), and keys that are not blob keys', async () => {
      const s = await open();
      await expect(s.write(K2, 10, Buffer.alloc(1))).rejects.toThrow(BlobStoreError);
      for (const bad of ['../' + 'a'.repeat(29), '/etc/passwd', 'a'.repeat(31), 'a'.repeat(31) + '/', 'a'.repeat(31) + '.', '']) {
        await expect(s.write(bad, 0, Buffer.alloc(1))).rejects.toThrow(BlobStoreError);
        expect(() => s.read(bad, 0, 1)).toThrow(BlobStoreError);
        await expect(s.delete(bad)).rejects.toThrow(BlobStoreError);
      }
    });

    it('lists and deletes; deleting twice is fine', async () => {
      const s = await open();
      await s.write(K1, 0, Buffer.alloc(1));
      await s.write(K2, 0, Buffer.alloc(2));
      const keys: string[] = [];
      for await (const k of s.keys()) keys.push(k);
      expect(keys.sort()).toEqual([K1, K2].sort());
      await s.delete(K1);
      await s.delete(K1);
      const left: string[] = [];
      for await (const k of s.keys()) left.push(k);
      expect(left).toEqual([K2]);
    });
  });
}
