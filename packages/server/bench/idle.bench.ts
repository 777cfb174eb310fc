/**
 * `npm run bench:idle`: memory per idle connection. N authenticated WebSockets held
 * open on one Parley node (embedded SQLite; accounts written straight into its
 * file beforehand, so the run measures sockets, not registration), and N sockets
 * on the bare `ws` relay of bench:server; the server's RSS before and after, once
 * settled. Prints `idle: parley <n> connections, <k> KiB/connection; bare-ws ...; ratio <r>`.
 *
 * N defaults to what this machine allows one process: its hard limit on open
 * files (`ulimit -Hn`, 20,000 here, which root cannot raise in this sandbox)
 * less some headroom; clients connect from several loopback addresses so the
 * ephemeral ports of one address are no limit. Loopback only; bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { base64Encode } from '@parley/wire';
import { hashSecret } from '../src/auth/credentials.ts';
import { SqliteStorage } from '../src/storage/sqlite.ts';
import { LOAD_TEST_ARGS } from '../src/testing/cluster.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const hardLimit = Number(execFileSync('bash', ['-c', 'ulimit -Hn']).toString().trim()) || 20_000;
const N = Number(process.env.BENCH_IDLE_CONNECTIONS ?? Math.min(100_000, hardLimit - 1_000));
const SECRET = new Uint8Array(32).fill(9);
const PASSWORD = new Uint8Array(32).fill(3);
const SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

async function settledRssKb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 7; i++) {
    await new Promise((r) => setTimeout(r, 300));
    readings.push(rssKb(pid));
  }
  return readings.sort((a, b) => a - b)[3]!;
}

function start(args: string[], pattern: RegExp, env: Record<string, string> = {}): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`did not start: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(t);
        res({ proc, port: Number(m[1]) });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
  });
}

/** Opens `n` sockets, each sending `hello(i)` and resolving on its ready frame; 500 at a time. */
async function openMany(port: number, n: number, hello: (i: number) => string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const one = (i: number) =>
    new Promise<void>((res, rej) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${hello(i).includes('"auth"') ? '/v1/websocket' : ''}`, { localAddress: SOURCES[i % SOURCES.length], perMessageDeflate: false });
      sockets.push(ws);
      const t = setTimeout(() => rej(new Error(`socket ${i}: no ready`)), 30_000);
      ws.on('open', () => ws.send(hello(i)));
      ws.on('message', (d) => {
        if (d.toString().includes('"ready"')) {
          clearTimeout(t);
          res();
        }
      });
      ws.on('error', (e) => rej(e));
    });
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, n - i) }, (_, k) => one(i + k)));
    if ((i / 500) % 10 === 0) process.stderr.write(`  ${i + 500}/${n} connected\n`);
  }
  return sockets;
}

async function measure(label: string, proc: ChildProcess, port: number, hello: (i: number) => string): Promise<number> {
  const before = await settledRssKb(proc.pid!);
  process.stderr.write(`${label}: opening ${N} connections\n`);
  const sockets = await openMany(port, N, hello);
  const after = await settledRssKb(proc.pid!);
  for (const s of sockets) s.terminate();
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
  return (after - before) / N;
}

// Parley: N accounts (device 1 each) written into a fresh SQLite file in one transaction.
const dir = mkdtempSync(join(tmpdir(), 'parley-idle-'));
const file = join(dir, 'parley.sqlite');
await new SqliteStorage(file).close();
const ids: string[] = [];
{
  const db = new Database(file);
  const hash = hashSecret(SECRET, PASSWORD);
  const acc = db.prepare('INSERT INTO accounts (id, username, identity_key, created_at) VALUES (?, ?, ?, 0)');
  const dev = db.prepare('INSERT INTO devices (account_id, device_id, registration_id, password_hash, created_at, last_seen_at) VALUES (?, 1, 1, ?, 0, 0)');
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const id = `00000000-0000-4000-8000-${i.toString().padStart(12, '0')}`;
      ids.push(id);
      acc.run(id, `idle_${i}`, Buffer.alloc(33, 5));
      dev.run(id, hash);
    }
  })();
  db.close();
}
console.log(`bench:idle  (${N} idle authenticated connections per server; open-file hard limit ${hardLimit}; loopback)`);
const password = base64Encode(PASSWORD);
const parley = await start(['packages/server/src/main.ts', '--port', '0', '--data-dir', dir, '--log-level', 'warn', ...LOAD_TEST_ARGS], /listening on http:\/\/localhost:(\d+)/, {
  PARLEY_SERVER_SECRET: Buffer.from(SECRET).toString('hex'),
});
const parleyKb = await measure('parley', parley.proc, parley.port, (i) => JSON.stringify({ type: 'auth', version: '0.1.0', accountId: ids[i], deviceId: 1, password }));
rmSync(dir, { recursive: true, force: true });
const bare = await start(['packages/server/bench/bare-relay.ts'], /bare relay listening on (\d+)/);
const bareKb = await measure('bare-ws', bare.proc, bare.port, (i) => JSON.stringify({ type: 'hello', id: String(i) }));
console.log(`idle: parley ${N} connections, ${parleyKb.toFixed(1)} KiB/connection; bare-ws ${N} connections, ${bareKb.toFixed(1)} KiB/connection; ratio ${(parleyKb / bareKb).toFixed(2)}`);
console.log(`  at 100,000 connections: parley ~${((parleyKb * 100_000) / 1024 / 1024).toFixed(2)} GiB, bare-ws ~${((bareKb * 100_000) / 1024 / 1024).toFixed(2)} GiB (per-connection figures times 100,000)`);
process.exit(0);
