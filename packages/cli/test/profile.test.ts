// `parley profile` through the real CLI and a real server process: setting and
// showing a profile name and picture, bad input refused with typed errors, the name
// shown beside the username in a contact's inbox, and neither the name nor the
// picture's bytes anywhere on the server (database, WAL, blobs) or in its logs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, removeTempDirs, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

const CANARY = 'CANARY-profile-4d2b';

describe('CLI: profile', () => {
  it('sets and shows a name and picture; contacts see "Name (@user)"; the server never holds either in plaintext', { timeout: 240_000 }, async () => {
    // Debug logging: the most the server ever writes about requests.
    const s = await startServer(tempDir('srv'), ['--log-level', 'debug']);
    servers.push(s);
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    const run = (profile: string, ...args: string[]) => cli(home, ['--profile', profile, ...args], env);
    const ok = async (profile: string, ...args: string[]) => {
      const r = await run(profile, ...args);
      expect(r.code, `${profile} ${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    await ok('ana', 'register', 'ana');
    await ok('ben', 'register', 'ben');
    expect(await ok('ana', 'profile')).toContain('Name: (none; set one with `parley profile --name <name>`)');
    const shown = await ok('ana', 'profile', '--name', `Ana ${CANARY}`);
    expect(shown).toContain(`Name: Ana ${CANARY}`);
    expect(shown).toContain('Username: @ana');
    const picture = join(tempDir('pic'), 'me.png');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(`${CANARY}-picture `.repeat(200))]);
    writeFileSync(picture, png);
    expect(await ok('ana', 'profile', '--avatar', picture)).toContain(`Picture: image/png, `);
    const again = await ok('ana', 'profile');
    expect(again).toContain(`Name: Ana ${CANARY}`);
    expect(again).toMatch(/Picture: image\/png, \d/);
    // Bad input: typed errors, nothing changed.
    const long = await run('ana', 'profile', '--name', 'x'.repeat(200));
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('INVALID_PROFILE: a profile name is at most 128 characters');
    const notPicture = join(tempDir('pic'), 'notes.txt');
    writeFileSync(notPicture, 'just text');
    const text = await run('ana', 'profile', '--avatar', notPicture);
    expect(text.code).toBe(1);
    expect(text.stderr).toContain('INVALID_PROFILE: a profile picture is a PNG, JPEG, GIF or WebP image');
    const missing = await run('ana', 'profile', '--avatar', join(home, 'nope.png'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the picture');
    expect(await ok('ana', 'profile')).toContain(`Name: Ana ${CANARY}`);
    // Ana writes to ben: that shares her key; ben's inbox names her.
    await ok('ana', 'send', 'ben', 'hello ben');
    const inbox = await ok('ben', 'inbox');
    expect(inbox).toMatch(new RegExp(`\\] Ana ${CANARY} \\(@ana\\) \\(message request\\): hello ben`));
    expect(await ok('ben', 'requests')).toContain(`Ana ${CANARY} (@ana): `);
    // Ben never wrote to ana nor set a name: ana sees his username only.
    await ok('ben', 'accept', 'ana');
    await ok('ben', 'send', 'ana', 'hi ana');
    expect(await ok('ana', 'inbox')).toMatch(/\] ben: hi ana/);
    await s.stop();
    const files = readdirSync(s.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => f.name)).toContain('parley.sqlite');
    for (const f of files) {
      const p = join(f.parentPath, f.name);
      expect(readFileSync(p).includes(Buffer.from(CANARY)), `${p} holds a profile in plaintext`).toBe(false);
    }
    expect(s.output()).not.toContain(CANARY);
    expect(s.output().length).toBeGreaterThan(0);
  });
});
