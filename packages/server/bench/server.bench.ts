/**
 * `npm run bench:server`: N simulated clients on loopback send encrypted-size
 * envelopes through a real Parley server process (SQLite, durable) and, in the
 * same run, the same load through a bare `ws` relay with no storage or auth.
 * Prints delivered msg/s, p50/p99 send-to-deliver latency, server RSS per
 * connection, and `delivered: parley <n> msg/s, bare-ws <m> msg/s, ratio <r>`
 * (parley = sends over the clients' sockets, as connected SDK clients send, and
 * acks as the SDK sends them, a burst's in one frame; the same load with one HTTP
 * PUT per message is printed too).
 * Bounded: a fixed message count per run, loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { base64Encode } from '@parley/wire';
import { LOAD_TEST_ARGS } from '../src/testing/cluster.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 4000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 64);
/** A directory: the servers run with --cpu-prof and write their profiles there. */
const PROFILE = process.env.BENCH_PROFILE;
/** Comma-separated: only these runs (ws, http, bare). */
const ONLY = process.env.BENCH_ONLY?.split(',');
const PAYLOAD = new Uint8Array(400).map((_, i) => (i * 7) & 255); // a ~400-byte Signal message

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** RSS after the process settles: the median of 5 readings 100 ms apart (a garbage collection between two single readings can make a difference negative). */
async function settledRssKb(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    readings.push(rssKb(pid));
  }
  return readings.sort((a, b) => a - b)[2]!;
}

function startProcess(args: string[], pattern: RegExp): Promise<{ proc: ChildProcess; port: number }> {
  const profile = PROFILE ? ['--cpu-prof', '--cpu-prof-dir', PROFILE] : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`did not start: ${out}`)), 20_000);
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

/** SIGKILL, or SIGINT when profiling (the profile is written at a clean exit). */
async function stopProcess(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill(PROFILE ? 'SIGINT' : 'SIGKILL');
  await exited;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** CPU time (user + system) a process has used, in ms: unlike throughput, hardly moved by other load on the machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

interface Result {
  /** Server CPU per delivered message, µs. */
  cpuUs: number;
  rate: number;
  p50: number;
  p99: number;
  rssPerConnKb: number;
}

/** Drives MESSAGES sends across CLIENTS with at most WINDOW in flight; resolves when all are delivered. */
async function drive(label: string, send: (from: number, to: number, id: number) => Promise<void>, onDeliveredHook: (cb: (id: number) => void) => void): Promise<{ rate: number; latencies: number[] }> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let delivered = 0;
  let next = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  let lastReport = 0;
  onDeliveredHook((id) => {
    const t0 = sentAt.get(id);
    if (t0 === undefined) return;
    sentAt.delete(id);
    latencies.push(performance.now() - t0);
    delivered++;
    if (delivered - lastReport >= MESSAGES / 10) {
      lastReport = delivered;
      process.stderr.write(`  ${label}: ${delivered}/${MESSAGES} delivered\n`);
    }
    if (delivered === MESSAGES) resolveAll();
    else pump();
  });
  const start = performance.now();
  const pump = () => {
    while (next < MESSAGES && sentAt.size < WINDOW) {
      const id = next++;
      const from = id % CLIENTS;
      const to = (from + 1 + (id % (CLIENTS - 1))) % CLIENTS;
      sentAt.set(id, performance.now());
      void send(from, to, id).catch((e) => {
        console.error(`${label}: send failed: ${(e as Error).message}`);
        process.exit(1);
      });
    }
  };
  pump();
  await all;
  return { rate: MESSAGES / ((performance.now() - start) / 1000), latencies };
}

/** `ws`: sends as `send` frames on each client's socket (what connected SDK clients do); `http`: one PUT each. */
async function benchParley(transport: 'ws' | 'http'): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  const { proc, port } = await startProcess(
    ['packages/server/src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...LOAD_TEST_ARGS],
    /listening on http:\/\/localhost:(\d+)/,
  );
  const base = `http://127.0.0.1:${port}`;
  const headers = { 'x-parley-version': '0.1.0', 'content-type': 'application/json' };
  const key33 = base64Encode(new Uint8Array(33).fill(5));
  const users: { name: string; accountId: string; password: Uint8Array; auth: string; ws?: WebSocket }[] = [];
  const label = `parley (${transport} sends)`;
  const answers = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  process.stderr.write(`${label}: registering ${CLIENTS} clients\n`);
  for (let i = 0; i < CLIENTS; i++) {
    const password = new Uint8Array(32).fill(i + 1);
    const name = `bench_${i}`;
    const r = await fetch(`${base}/v1/accounts`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        username: name,
        password: base64Encode(password),
        registrationId: 1,
        identityKey: key33,
        signedPreKey: { keyId: 1, publicKey: key33, signature: base64Encode(new Uint8Array(64)) },
        pqLastResortPreKey: { keyId: 1, publicKey: base64Encode(new Uint8Array(1569).fill(8)), signature: base64Encode(new Uint8Array(64)) },
      }),
    });
    const { accountId } = (await r.json()) as { accountId: string };
    users.push({ name, accountId, password, auth: `Basic ${Buffer.from(`${accountId}.1:${base64Encode(password)}`).toString('base64')}` });
  }
  const rssBefore = await settledRssKb(proc.pid!);
  let onDelivered: (id: number) => void = () => undefined;
  await Promise.all(
    users.map(
      (u) =>
        new Promise<void>((res) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
          u.ws = ws;
          // Acks as the SDK sends them: those of one burst of envelopes in one frame.
          let acks: number[] = [];
          const flushAcks = () => {
            ws.send(JSON.stringify(acks.length === 1 ? { type: 'ack', id: acks[0] } : { type: 'ack', ids: acks }));
            acks = [];
          };
          ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: u.accountId, deviceId: 1, password: base64Encode(u.password) })));
          ws.on('message', (d) => {
            const f = JSON.parse(d.toString()) as { type: string; id?: number; timestamp?: number; requestId?: number; code?: string };
            if (f.type === 'ready') res();
            if (f.type === 'sent' || f.type === 'send-failed') {
              const a = answers.get(f.requestId!);
              answers.delete(f.requestId!);
              if (f.type === 'sent') a?.resolve();
              else a?.reject(new Error(`send failed: ${f.code}`));
            }
            if (f.type === 'envelope') {
              if (acks.push(f.id!) === 1) setImmediate(flushAcks);
              onDelivered(f.timestamp!);
            }
          });
        }),
    ),
  );
  const rssPerConnKb = ((await settledRssKb(proc.pid!)) - rssBefore) / CLIENTS;
  const payload = base64Encode(PAYLOAD);
  const cpuBefore = cpuMs(proc.pid!);
  const { rate, latencies } = await drive(
    label,
    async (from, to, id) => {
      const request = { timestamp: id, messages: [{ deviceId: 1, registrationId: 1, type: 'whisper', content: payload }] };
      if (transport === 'ws') {
        // Resolves when the server answers `sent`: stored durably, as the HTTP 200 means.
        await new Promise<void>((resolve, reject) => {
          answers.set(id + 1, { resolve, reject });
          users[from]!.ws!.send(JSON.stringify({ type: 'send', requestId: id + 1, to: users[to]!.name, request }));
        });
        return;
      }
      const r = await fetch(`${base}/v1/messages/${users[to]!.name}`, {
        method: 'PUT',
        headers: { ...headers, authorization: users[from]!.auth },
        body: JSON.stringify(request),
      });
      if (!r.ok) throw new Error(`HTTP ${r.status} ${await r.text()}`);
    },
    (cb) => (onDelivered = cb),
  );
  const cpuUs = ((cpuMs(proc.pid!) - cpuBefore) * 1000) / MESSAGES;
  for (const u of users) u.ws?.close();
  await stopProcess(proc);
  rmSync(dataDir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  return { rate, p50: pct(latencies, 50), p99: pct(latencies, 99), rssPerConnKb, cpuUs };
}

async function benchBare(): Promise<Result> {
  const { proc, port } = await startProcess(['packages/server/bench/bare-relay.ts'], /bare relay listening on (\d+)/);
  const rssBefore = await settledRssKb(proc.pid!);
  let onDelivered: (id: number) => void = () => undefined;
  const sockets: WebSocket[] = [];
  await Promise.all(
    Array.from(
      { length: CLIENTS },
      (_, i) =>
        new Promise<void>((res) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`);
          sockets.push(ws);
          ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', id: String(i) })));
          ws.on('message', (d) => {
            const f = JSON.parse(d.toString()) as { type: string; sent?: number };
            if (f.type === 'ready') res();
            if (f.type === 'envelope') onDelivered(f.sent!);
          });
        }),
    ),
  );
  const rssPerConnKb = ((await settledRssKb(proc.pid!)) - rssBefore) / CLIENTS;
  const payload = base64Encode(PAYLOAD);
  const byIndex = (i: number) => sockets[i]!;
  const cpuBefore = cpuMs(proc.pid!);
  const { rate, latencies } = await drive(
    'bare-ws',
    async (from, to, id) => byIndex(from).send(JSON.stringify({ to: String(to), payload, sent: id })),
    (cb) => (onDelivered = cb),
  );
  const cpuUs = ((cpuMs(proc.pid!) - cpuBefore) * 1000) / MESSAGES;
  for (const s of sockets) s.close();
  await stopProcess(proc);
  latencies.sort((a, b) => a - b);
  return { rate, p50: pct(latencies, 50), p99: pct(latencies, 99), rssPerConnKb, cpuUs };
}

console.log(`bench:server  (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${CLIENTS} clients, ${MESSAGES} messages of ${PAYLOAD.length} bytes, window ${WINDOW}; loopback)`);
const skipped: Result = { rate: NaN, p50: NaN, p99: NaN, rssPerConnKb: NaN, cpuUs: NaN };
const parley = !ONLY || ONLY.includes('ws') ? await benchParley('ws') : skipped;
const parleyHttp = !ONLY || ONLY.includes('http') ? await benchParley('http') : skipped;
const bare = !ONLY || ONLY.includes('bare') ? await benchBare() : skipped;
for (const [name, r] of [
  ['parley (ws sends)', parley],
  ['parley (http sends)', parleyHttp],
  ['bare-ws', bare],
] as const) {
  if (Number.isNaN(r.rate)) continue;
  console.log(`${name}: delivered ${r.rate.toFixed(0)} msg/s, send-to-deliver p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, server RSS ${r.rssPerConnKb.toFixed(1)} KiB/connection, server CPU ${r.cpuUs.toFixed(0)} µs/message`);
}
console.log(`delivered: parley ${parley.rate.toFixed(0)} msg/s, bare-ws ${bare.rate.toFixed(0)} msg/s, ratio ${(parley.rate / bare.rate).toFixed(2)}`);
