// The local-disk blob store: the blob store compliance suite, and what only files
// have: permissions, and no way out of its directory.
import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, readFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobStoreCompliance } from './blob-store-compliance.ts';
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
});
