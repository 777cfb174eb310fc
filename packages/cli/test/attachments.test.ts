// Files through the real CLI and a real server process: `send --file` and
// `group send --file` with a progress line; `inbox --save-dir` and `files` save
// under sanitized names (hostile ones from a sender that is not the CLI stay in
// the directory and never overwrite); a stranger's file waits for `accept`; and
// the server's data directory holds neither the bytes nor the names.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource } from '@parley/client';
import { cli, removeTempDirs, sdkClient, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

const CANARY = 'CANARY-cli-file-81b7';

function serverHolds(dataDir: string, needle: Buffer): string[] {
  const files = readdirSync(dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  return files.map((f) => join(f.parentPath, f.name)).filter((p) => readFileSync(p).includes(needle));
}

describe('files on the command line', () => {
  it('send --file, a stranger\'s file held back until accept, files and inbox --save-dir, group send --file; nothing of them on the server', async () => {
    const s = await startServer(tempDir('srv'));
    servers.push(s);
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    const run = (profile: string, ...args: string[]) => cli(home, ['--profile', profile, ...args], env);
    expect((await run('carol', 'register', 'carol')).code).toBe(0);
    expect((await run('dave', 'register', 'dave')).code).toBe(0);
    const src = tempDir('src');
    const big = join(src, `report-${CANARY}.bin`);
    const content = Buffer.alloc(3 * 1024 * 1024 + 77);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31 + (i >> 11)) & 255;
    content.write(CANARY, 1000);
    content.write(CANARY, content.length - 100);
    writeFileSync(big, content);
    const empty = join(src, 'empty.txt');
    writeFileSync(empty, '');

    const sent = await run('carol', 'send', 'dave', '--file', big, 'the', 'numbers');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`Sent report-${CANARY}.bin (3 MB) to dave.`);
    expect(sent.stderr).toMatch(/Uploading report-CANARY-cli-file-81b7\.bin: 100% \(3 MB of 3 MB\)/);
    expect((await run('carol', 'send', 'dave', '--file', empty)).code).toBe(0);
    const missing = await run('carol', 'send', 'dave', '--file', join(src, 'nope.bin'));
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('cannot read')]);

    // Dave has not accepted carol: the files are listed, not downloaded.
    const out = tempDir('out');
    const first = await run('dave', 'inbox', '--save-dir', out);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/carol \(message request\): \[file report-CANARY-cli-file-81b7\.bin, application\/octet-stream, 3 MB\] the numbers/);
    expect(first.stdout).toContain('carol is not a contact; accept the request first (parley accept carol)');
    expect(readdirSync(out)).toEqual([]);
    expect((await run('dave', 'accept', 'carol')).code).toBe(0);
    const saved = await run('dave', 'files', 'carol', '--save-dir', out);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toContain(`saved report-${CANARY}.bin (3 MB) to ${join(out, `report-${CANARY}.bin`)}`);
    expect(saved.stderr).toMatch(/Downloading report-CANARY-cli-file-81b7\.bin: 100%/);
    expect(readFileSync(join(out, `report-${CANARY}.bin`)).equals(content)).toBe(true);
    expect(readFileSync(join(out, 'empty.txt')).length).toBe(0);
    // Saving again never overwrites: numbered names.
    await run('dave', 'files', 'carol', '--save-dir', out);
    expect(readdirSync(out).sort()).toEqual(['empty (1).txt', 'empty.txt', `report-${CANARY} (1).bin`, `report-${CANARY}.bin`]);

    // A group: dave is a contact now, so the group he is added to is no request.
    expect((await run('carol', 'group', 'create', 'Papers', 'dave')).code).toBe(0);
    const photo = join(src, 'photo.jpg');
    writeFileSync(photo, Buffer.from('not really a jpeg'));
    const gs = await run('carol', 'group', 'send', 'Papers', '--file', photo, 'look');
    expect(gs.stdout).toContain('Sent photo.jpg (17 B) to "Papers".');
    const gout = tempDir('gout');
    const inbox = await run('dave', 'inbox', '--save-dir', gout);
    expect(inbox.stdout).toMatch(/Papers \/ carol: \[file photo\.jpg, image\/jpeg, 17 B\] look/);
    expect(readFileSync(join(gout, 'photo.jpg'), 'utf8')).toBe('not really a jpeg');

    await s.stop();
    expect(serverHolds(s.dataDir, Buffer.from(CANARY))).toEqual([]);
    expect(serverHolds(s.dataDir, content.subarray(200_000, 200_048))).toEqual([]);
    expect(serverHolds(s.dataDir, Buffer.from('not really a jpeg'))).toEqual([]);
  });

  it('hostile file names from another client land inside --save-dir, sanitized, never over an existing file', async () => {
    const s = await startServer(tempDir('srv'));
    servers.push(s);
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'dave', 'register', 'dave'], env)).code).toBe(0);
    const eve = sdkClient(s.url, tempDir('eve'));
    await eve.client.register('eve');
    await eve.client.sendText('dave', 'hello');
    await cli(home, ['--profile', 'dave', 'inbox'], env);
    expect((await cli(home, ['--profile', 'dave', 'accept', 'eve'], env)).code).toBe(0);
    const names = ['../../etc/passwd', '/abs/name', '..', '\u001b[31mred.txt', 'CON.txt', 'a\u202Etxt.exe'];
    for (const [i, fileName] of names.entries()) await eve.client.attachments.send('dave', bytesSource(Buffer.from(`file ${i}`)), { fileName });
    const parent = tempDir('parent');
    const out = join(parent, 'out');
    mkdirSync(out);
    writeFileSync(join(out, 'passwd'), 'mine');
    const r = await cli(home, ['--profile', 'dave', 'inbox', '--save-dir', out], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\u001b[31m');
    expect(readdirSync(out).sort()).toEqual(['[31mred.txt', '_CON.txt', 'attachment', 'atxt.exe', 'name', 'passwd', 'passwd (1)'].sort());
    expect(readFileSync(join(out, 'passwd'), 'utf8')).toBe('mine');
    expect(readFileSync(join(out, 'passwd (1)'), 'utf8')).toBe('file 0');
    expect(readFileSync(join(out, 'name'), 'utf8')).toBe('file 1');
    expect(readdirSync(parent)).toEqual(['out']);
    expect(existsSync(join(parent, 'etc'))).toBe(false);
    eve.client.close();
  });
});
