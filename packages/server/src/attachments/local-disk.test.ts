// The local-disk blob store: the blob store compliance suite, and what only files
// have: permissions, no way out of its directory, and a full disk.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobStoreCompliance } from './blob-store-compliance.ts';
import { StorageUnavailable } from '../storage/storage.ts';
import { LocalDiskBlobStore } from './local-disk.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-blobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

blobStoreCompliance('local disk', async () => new LocalDiskBlobStore(join(root, `store-${n++}`, 'attachments')));

describe('local disk blobs', () => {
  it('the directory is 0700 (even if it existed wider) and blob files are 0600', async () => {
    const dir = join(root, 'perm', 'attachments');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    const s = new LocalDiskBlobStore(dir);
    await s.write('k'.repeat(32), 0, Buffer.from('x'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'k'.repeat(32))).mode & 0o777).toBe(0o600);
  });

  it('never writes through a symbolic link planted in its directory', async () => {
    const dir = join(root, 'link', 'attachments');
    const s = new LocalDiskBlobStore(dir);
    const victim = join(root, 'link', 'victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(dir, 'v'.repeat(32)));
    await expect(s.write('v'.repeat(32), 0, Buffer.from('overwritten'))).rejects.toThrow();
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
  });

  it('a full disk refuses a chunk as StorageUnavailable saying so, keeps what was committed, and takes the chunk again once there is room', async () => {
    // A real small file system: a 1 MiB tmpfs.
    const disk = join(root, 'small');
    mkdirSync(disk);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk]);
    try {
      const s = new LocalDiskBlobStore(join(disk, 'attachments'));
      const key = 'f'.repeat(32);
      const first = Buffer.alloc(256 * 1024, 1);
      await s.write(key, 0, first);
      writeFileSync(join(disk, 'filler'), Buffer.alloc(700 * 1024));
      const second = Buffer.alloc(256 * 1024, 2);
      const refused = await s.write(key, first.length, second).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(StorageUnavailable);
      expect((refused as StorageUnavailable).says).toBe("the server's disk is full, so nothing was stored; try again later");
      // What the refused chunk left is cut off: the blob is what was committed.
      expect(statSync(join(disk, 'attachments', key)).size).toBe(first.length);
      rmSync(join(disk, 'filler'));
      await s.write(key, first.length, second);
      expect(readFileSync(join(disk, 'attachments', key)).equals(Buffer.concat([first, second]))).toBe(true);
    } finally {
      execFileSync('umount', ['-l', disk]);
    }
  });
});
