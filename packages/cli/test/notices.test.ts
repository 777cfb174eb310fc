// The operator's security notices and kill switch end to end: `npm run notice`
// makes the key and signs, the server process hands the file out, and `parley
// inbox` and `parley notices` show each verified notice once (a hand-edited notice
// is refused); `--disabled-features` stops video calls in the CLI's SDK.
import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, removeTempDirs, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

const ROOT = join(import.meta.dirname, '..', '..', '..');
function notice(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    execFile('npm', ['run', '--silent', 'notice', '--', ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('security notices from the CLI', () => {
  it('a signed notice shows once in inbox and stays in notices; an altered one never shows; what the server switched off is listed', async () => {
    const ops = tempDir('operator');
    const key = join(ops, 'notice-key.pem');
    const file = join(ops, 'notices.json');
    const made = await notice(['keygen', key]);
    expect(made.code, made.out).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect((await notice(['keygen', key])).code).not.toBe(0); // never overwritten
    const signed = await notice(['sign', '--key', key, '--file', file, '--to', 'all', '--id', 'fix-1', '--title', 'Update now', '--body', 'A flaw in calls is fixed.', '--min-version', '0.2.0']);
    expect(signed.code, signed.out).toBe(0);
    expect((await notice(['sign', '--key', key, '--file', file, '--to', 'nlalice', '--id', 'for-alice', '--title', 'Hello alice', '--body', 'Only for you.'])).code).toBe(0);
    // A copy of the first notice, edited by hand (as a compromised server would), is refused by the clients.
    const f = JSON.parse(readFileSync(file, 'utf8')) as { publicKey: string; notices: Array<{ payload: string; signature: string }> };
    const edited = Buffer.from(f.notices[0]!.payload, 'base64').toString('utf8').replace('fix-1', 'fix-2').replace('A flaw in calls is fixed.', 'Install this app: evil.example');
    f.notices.push({ payload: Buffer.from(edited).toString('base64'), signature: f.notices[0]!.signature });
    writeFileSync(file, JSON.stringify(f));

    const s = await startServer(tempDir('srv'), ['--notices-file', file, '--disabled-features', 'video-calls']);
    servers.push(s);
    const home = tempDir('home');
    const run = (profile: string, ...args: string[]) => cli(home, ['--server', s.url, '--profile', profile, ...args]);
    expect((await run('a', 'register', 'nlalice')).code).toBe(0);
    expect((await run('b', 'register', 'nlbob')).code).toBe(0);

    const first = await run('a', 'inbox');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('NEW SECURITY NOTICE');
    expect(first.stdout).toContain('Update now');
    expect(first.stdout).toContain('Update Parley to 0.2.0 or later.');
    expect(first.stdout).toContain('Hello alice');
    expect(first.stdout).not.toContain('evil.example');
    const again = await run('a', 'inbox');
    expect(again.stdout).not.toContain('SECURITY NOTICE');
    const kept = await run('a', 'notices');
    expect(kept.stdout).not.toContain('NEW');
    expect(kept.stdout).toContain('SECURITY NOTICE');
    expect(kept.stdout).toContain('Switched off on this server for now: video-calls.');
    // Bob gets the notice for everyone, not Alice's.
    const bob = await run('b', 'notices');
    expect(bob.stdout).toContain('Update now');
    expect(bob.stdout).not.toContain('Hello alice');
    expect(bob.stdout).not.toContain('evil.example');
    expect(statSync(join(home, 'a', 'notices.json')).mode & 0o777).toBe(0o600);
  }, 180_000);
});
