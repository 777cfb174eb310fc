// Attachment files on disk: permissions, a spool that survives reopening, commits
// that replace atomically, and saving under a sender's name without ever leaving
// the directory or overwriting anything.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAttachmentFilesCompliance } from '../attachments/files-compliance.ts';
import { bytesSource, readAll } from '../attachments/files.ts';
import { DirectoryAttachmentFiles, fileSource, saveAttachment } from './files.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `d${n++}`);
const dirs = new WeakMap<object, string>();

runAttachmentFilesCompliance('DirectoryAttachmentFiles', {
  async open() {
    const dir = fresh();
    const f = new DirectoryAttachmentFiles(dir);
    dirs.set(f, dir);
    return f;
  },
  async reopen(f) {
    const g = new DirectoryAttachmentFiles(dirs.get(f)!);
    dirs.set(g, dirs.get(f)!);
    return g;
  },
});

describe('DirectoryAttachmentFiles', () => {
  it('spools resume across instances; committed files replace, discarded ones vanish; modes 0700/0600', async () => {
    const dir = fresh();
    const a = new DirectoryAttachmentFiles(dir);
    const s = await a.spool('msg_1');
    await s.append(new Uint8Array([1, 2, 3]));
    await s.append(new Uint8Array([4, 5]));
    const again = await new DirectoryAttachmentFiles(dir).spool('msg_1');
    expect(await again.length()).toBe(5);
    expect(await again.read(1, 3)).toEqual(new Uint8Array([2, 3, 4]));
    const sink = await a.create('msg_1');
    await sink.write(new Uint8Array([9, 9]));
    expect(await a.open('msg_1')).toBeUndefined();
    await sink.commit();
    expect(await readAll((await a.open('msg_1'))!)).toEqual(new Uint8Array([9, 9]));
    const dropped = await a.create('msg_2');
    await dropped.write(new Uint8Array([1]));
    await dropped.discard();
    expect(await a.open('msg_2')).toBeUndefined();
    expect((await a.list()).sort()).toEqual(['msg_1']);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'msg_1')).mode & 0o777).toBe(0o600);
    await a.delete('msg_1');
    expect(readdirSync(dir)).toEqual([]);
    await expect(a.spool('../x')).rejects.toThrow(TypeError);
    await expect(a.create('a.b')).rejects.toThrow(TypeError);
  });

  it('fileSource reads a file by offset', async () => {
    const p = join(root, 'src.bin');
    writeFileSync(p, Buffer.from('hello world'));
    const s = await fileSource(p);
    expect(s.size).toBe(11);
    expect(new TextDecoder().decode(await s.read(6, 5))).toBe('world');
    await expect(s.read(6, 6)).rejects.toThrow(RangeError);
    await s.close();
  });
});

describe('saveAttachment', () => {
  it('hostile names land inside the directory, never over an existing file or through a link', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'keep');
    symlinkSync(outside, join(dir, 'link.txt'));
    writeFileSync(join(dir, 'passwd'), 'already here');
    const src = bytesSource(new TextEncoder().encode('new'));
    const saved = [
      await saveAttachment(src, dir, '../../etc/passwd'),
      await saveAttachment(src, dir, '../../etc/passwd'),
      await saveAttachment(src, dir, '/abs/name'),
      await saveAttachment(src, dir, 'link.txt'),
      await saveAttachment(src, dir, '..'),
      await saveAttachment(bytesSource(new Uint8Array(0)), dir, 'empty.bin'),
    ];
    expect(saved.map((p) => p.slice(dir.length + 1))).toEqual(['passwd (1)', 'passwd (2)', 'name', 'link (1).txt', 'attachment', 'empty.bin']);
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toBe('already here');
    expect(readFileSync(outside, 'utf8')).toBe('keep');
    expect(readFileSync(saved[0]!, 'utf8')).toBe('new');
    expect(statSync(saved[5]!).size).toBe(0);
    expect(statSync(saved[0]!).mode & 0o777).toBe(0o600);
  });
});
