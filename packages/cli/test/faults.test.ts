// Faults, on a real server process: a full disk (a small tmpfs mounted as the data
// directory) and the database locked by another program. While they last, sends are
// refused with a clear, retryable UNAVAILABLE that says what happened, the server
// keeps serving, and nothing acknowledged is lost or delivered twice; when the cause
// is gone, sends work again with no restart. And a client process killed while it
// receives (between storing a message and acknowledging it): every message ends in
// its store exactly once.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { WireError } from '@parley/wire';
import { bytesSource } from '@parley/client';
import { cli, CLI, removeTempDirs, ROOT, sdkClient, startServer, tempDir, type RunningServer, type TestClient } from './harness.ts';

const servers: RunningServer[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  removeTempDirs();
});

/** A tmpfs of `mib` MiB at a new directory: a disk that can really fill up. */
function smallDisk(mib: number): string {
  const dir = tempDir('disk');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Writes `path` until the file system has no byte left. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** The code and message `p` was refused with (it must be refused with a WireError). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WireError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected the send to be refused');
}

/** How many requests the server has answered UNAVAILABLE so far (its metrics). */
async function unavailableCount(s: RunningServer): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer faults-token' } })).text();
  return Number(/parley_errors_total\{code="UNAVAILABLE"\} (\d+)/.exec(text)?.[1] ?? 0);
}

/** Polls `cond` every `everyMs` (for at most 30 s). */
async function until(cond: () => Promise<boolean>, everyMs = 100): Promise<void> {
  for (let i = 0; i < 30_000 / everyMs; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error('the condition never came true');
}

async function healthy(s: RunningServer): Promise<boolean> {
  return (await fetch(`${s.url}/healthz`)).ok;
}

/** Bob connects, drains his queue and returns the bodies of every message he got from `from`. */
async function collect(bob: TestClient, from: string): Promise<string[]> {
  await bob.client.connect();
  await bob.client.drained;
  return bob.client.messages(from).map((m) => m.body ?? '');
}

describe('storage faults on a real server', () => {
  it('disk full: sends are refused as UNAVAILABLE saying so, the server keeps serving, and works again once space is freed', { timeout: 180_000 }, async () => {
    const disk = smallDisk(32);
    const dataDir = join(disk, 'data');
    mkdirSync(dataDir);
    const s = await startServer(dataDir, ['--metrics-token', 'faults-token']);
    servers.push(s);
    const alice = sdkClient(s.url, tempDir('alice'));
    const bob = sdkClient(s.url, tempDir('bob'));
    await alice.client.register('dana');
    await bob.client.register('emil');
    await alice.client.sendText('emil', 'before');

    const filler = join(disk, 'filler');
    fillUp(filler);
    // SQLite reuses the space its files already have, so a few sends may still fit: send until one is refused.
    const acked: string[] = ['before'];
    let refused: { code: string; message: string } | undefined;
    for (let i = 0; i < 400 && !refused; i++) {
      const text = `while full ${i} ${'x'.repeat(2000)}`;
      try {
        await alice.client.sendText('emil', text);
        acked.push(text);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        refused = { code: e.code, message: e.message };
      }
    }
    expect(refused).toEqual({ code: 'UNAVAILABLE', message: "the server's disk is full, so nothing was stored; try again later" });
    // Refused again, not served half; the server still answers everything else.
    expect(await refusal(alice.client.sendText('emil', 'refused again'))).toMatchObject({ code: 'UNAVAILABLE' });
    expect(await healthy(s)).toBe(true);

    // A file sent now: its chunks are refused (the blob store is on the same disk) and retried.
    const file = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7) % 251);
    const refusedBefore = await unavailableCount(s);
    const upload = alice.client.attachments.send('emil', bytesSource(file), { fileName: 'scan.bin', contentType: 'application/octet-stream' });
    upload.catch(() => undefined); // awaited below; a refusal must fail the test there, not as an unhandled rejection
    await until(async () => (await unavailableCount(s)) > refusedBefore);

    rmSync(filler);
    // The upload goes on by itself from where it stood.
    await upload;
    await alice.client.sendText('emil', 'after');
    acked.push('after');
    // Every acknowledged message arrives once, in order; the refused ones never do.
    expect(await collect(bob, 'dana')).toEqual([...acked.slice(0, -1), '', 'after']);
    await bob.client.acceptRequest('dana');
    const got = await bob.client.attachments.download(bob.client.messages('dana').find((m) => m.attachment)!);
    const kept = await bob.client.attachments.open(got);
    expect(Buffer.from(await kept.read(0, kept.size)).equals(Buffer.from(file))).toBe(true);
    expect(s.output()).not.toMatch(/unhandled error|INTERNAL/);
    alice.client.close();
    bob.client.close();
  });

  it('database locked by another program: sends are refused as UNAVAILABLE saying so, reads go on, and sends work once it lets go', { timeout: 180_000 }, async () => {
    const dataDir = tempDir('srv');
    const s = await startServer(dataDir);
    servers.push(s);
    const alice = sdkClient(s.url, tempDir('alice'));
    const bob = sdkClient(s.url, tempDir('bob'));
    await alice.client.register('fritz');
    await bob.client.register('gerda');
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'hanna', 'register', 'hanna'], env)).code).toBe(0);
    await alice.client.sendText('gerda', 'before');

    // Another program (an operator's sqlite3 shell, a backup tool) takes the write lock and keeps it.
    const other = new Database(join(dataDir, 'parley.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(await refusal(alice.client.sendText('gerda', 'while locked'))).toEqual({
        code: 'UNAVAILABLE',
        message: "the server's database is locked by another program, so nothing was stored; try again in a few seconds",
      });
      const viaCli = await cli(home, ['--profile', 'hanna', 'send', 'gerda', 'while locked too'], env);
      expect(viaCli.code).toBe(1);
      expect(viaCli.stderr).toContain("UNAVAILABLE: the server's database is locked by another program, so nothing was stored; try again in a few seconds");
      // Reading needs no write lock: the server still serves.
      expect(await healthy(s)).toBe(true);
      expect((await alice.client.lookup('gerda')).username).toBe('gerda');
      // Bob comes online: what was stored before reaches him (his acknowledgement cannot be written yet).
      await bob.client.connect();
      await bob.waitFor((e) => e.type === 'message' && e.message.body === 'before', 20_000);
      // His acknowledgement reached the server and its delete was refused (the server logs it).
      await until(async () => /database is locked[^\n]*delivery failed/.test(s.output()));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Once the lock is gone, the refused acknowledgement is written by itself: the server holds nothing for Bob.
    const queued = () => {
      const db = new Database(join(dataDir, 'parley.sqlite'), { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM envelopes WHERE account_id = ?').get(bob.client.account!.accountId) as { n: number }).n;
      } finally {
        db.close();
      }
    };
    await until(async () => queued() === 0);

    await alice.client.sendText('gerda', 'after');
    expect((await cli(home, ['--profile', 'hanna', 'send', 'gerda', 'after too'], env)).code).toBe(0);
    await bob.waitFor((e) => e.type === 'message' && e.message.body === 'after too', 20_000);
    expect(bob.client.messages('fritz').map((m) => m.body)).toEqual(['before', 'after']);
    expect(bob.client.messages('hanna').map((m) => m.body)).toEqual(['after too']);
    expect(s.output()).not.toMatch(/unhandled error|INTERNAL/);
    alice.client.close();
    bob.client.close();
  });

  it('a client killed while it receives, three times at different points, ends with every message exactly once', { timeout: 300_000 }, async () => {
    const s = await startServer(tempDir('srv'));
    servers.push(s);
    const alice = sdkClient(s.url, tempDir('alice'));
    await alice.client.register('ilse');
    const home = tempDir('home');
    const env = { ...process.env, PARLEY_HOME: home, PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'jan', 'register', 'jan'], { PARLEY_SERVER: s.url })).code).toBe(0);
    const N = 300;
    for (let i = 0; i < N; i++) await alice.client.sendText('jan', `m${i}`);

    const store = join(home, 'jan', 'state.sqlite');
    const stored = () => {
      const db = new Database(store, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare("SELECT COUNT(*) AS n FROM messages WHERE direction = 'in'").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    // `inbox` drains the queue; it is killed (SIGKILL, no chance to ack) once its store holds `at` messages.
    for (const at of [30, 110, 190]) {
      const proc = spawn(process.execPath, [CLI, '--profile', 'jan', 'inbox'], { cwd: ROOT, env, stdio: 'ignore' });
      const exited = new Promise((r) => proc.once('exit', r));
      await until(async () => proc.exitCode !== null || stored() >= at, 10);
      proc.kill('SIGKILL');
      await exited;
      const n = stored();
      // Killed in the middle of the drain, not before or after it.
      expect(n).toBeGreaterThanOrEqual(at);
      expect(n).toBeLessThan(N);
    }
    const last = await cli(home, ['--profile', 'jan', 'inbox'], { PARLEY_SERVER: s.url });
    expect(last.code).toBe(0);
    // Every message once, in order: in the store, and in what `inbox` printed.
    const db = new Database(store, { readonly: true });
    const bodies = (db.prepare("SELECT body FROM messages WHERE direction = 'in' ORDER BY row_id").all() as Array<{ body: string }>).map((r) => r.body);
    db.close();
    expect(bodies).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
    expect(last.stdout.split('\n').filter((l) => / ilse.*: m\d+$/.test(l)).length).toBe(N);
    alice.client.close();
  });
});
