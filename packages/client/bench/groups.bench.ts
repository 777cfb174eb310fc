/**
 * `npm run bench:groups`: a group of N members (default 100 and 1,024), each a real
 * SDK client with its own WebSocket, on a real Parley server process (SQLite,
 * durable) on loopback. For each size it prints the sender's time per message
 * (encrypt + the server storing one envelope per member device), the server's
 * fan-out rate (envelopes stored and delivered per second in a burst), the time
 * until the last member has a message, and, side by side in the same run, the
 * sender's time for the same message sent the way groups work without Sender Keys
 * (one 1:1 encryption and send per member), with the ratio.
 * Knobs: BENCH_GROUP_SIZES (e.g. "100,1024"), BENCH_GROUP_MESSAGES (default 20).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient, encodeContent, MemoryClientStore, type ClientEvent, type Content, type ParleyClient } from '../src/index.ts';
import { nodeWebSocket } from '../src/node/index.ts';
import { sendRawBytes } from '../src/test-support.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SIZES = (process.env.BENCH_GROUP_SIZES ?? '100,1024').split(',').map(Number);
const MESSAGES = Number(process.env.BENCH_GROUP_MESSAGES ?? 20);

function startServer(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const args = ['--import', 'tsx', 'packages/server/src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--bundle-fetches-per-minute', '1000000', '--max-queued-per-device', '1000000',
    // One loopback address, clients as fast as they can: the server's abuse limits lifted (the server's LOAD_TEST_ARGS).
    ...['registrations-per-address-per-hour', 'lookups-per-account-per-minute', 'lookups-per-address-per-minute', 'bundle-fetches-per-address-per-minute', 'sends-per-account-per-minute', 'connections-per-address', 'max-queued-per-sender'].flatMap((f) => [`--${f}`, '1000000'])];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`server did not start: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/localhost:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        res({ proc, url: m[1]! });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
  });
}

interface Member {
  readonly name: string;
  readonly client: ParleyClient;
  /** Waiters for message bodies: body -> resolve. */
  readonly waiting: Map<string, () => void>;
}

function member(url: string, name: string): Member {
  const client = createClient({ serverUrl: url, store: new MemoryClientStore(), createWebSocket: nodeWebSocket });
  const m: Member = { name, client, waiting: new Map() };
  client.on((e: ClientEvent) => {
    if (e.type !== 'message' || e.message.kind !== 'text') return;
    const done = m.waiting.get(e.message.body);
    m.waiting.delete(e.message.body);
    done?.();
  });
  return m;
}

/** Runs `fn` over `items` with at most `width` at once, printing progress. */
async function inBatches<T>(label: string, items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let done = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const x = items[next++]!;
        await fn(x);
        done++;
        if (done % 100 === 0 || done === items.length) process.stderr.write(`\r  ${label}: ${done}/${items.length} (${((performance.now() - t0) / 1000).toFixed(1)} s)   `);
      }
    }),
  );
  process.stderr.write('\n');
}

/** Resolves when every member in `members` has received `body`. */
function allReceive(members: Member[], body: string, timeoutMs = 120_000): Promise<number> {
  return new Promise((res, rej) => {
    let left = members.length;
    const t = setTimeout(() => rej(new Error(`${left} members never received "${body}"`)), timeoutMs);
    for (const m of members) {
      m.waiting.set(body, () => {
        if (--left === 0) {
          clearTimeout(t);
          res(performance.now());
        }
      });
    }
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

async function run(size: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-groups-'));
  const server = await startServer(dataDir);
  const people = Array.from({ length: size }, (_, i) => member(server.url, `m${size}_${String(i).padStart(4, '0')}`));
  try {
    console.log(`group of ${size}:`);
    await inBatches('registering', people, 8, async (p) => void (await p.client.register(p.name)));
    await inBatches('connecting', people, 32, (p) => p.client.connect());
    const [sender, ...others] = people as [Member, ...Member[]];
    // Creating the group shares the sender's key with every member over 1:1 sessions (the first-message cost).
    const t0 = performance.now();
    const group = await sender.client.groups.create(`Bench ${size}`, others.map((o) => o.name));
    const setupMs = performance.now() - t0;
    const warm = allReceive(others, 'warm-up');
    await sender.client.groups.send(group.groupId, 'warm-up');
    await warm;
    console.log(`  group created and its key shared with ${size - 1} members in ${(setupMs / 1000).toFixed(1)} s`);

    // One message at a time: the sender's time, and when the last member has it. Before each,
    // the delivery receipts of the one before have settled (groups up to 256 send them), so
    // the sender's time is its own work, not the receipts it is still reading.
    let lastReceipt = 0;
    sender.client.on((e) => {
      if (e.type === 'receipt') lastReceipt = performance.now();
    });
    const settled = async () => {
      while (performance.now() - lastReceipt < 200) await new Promise((r) => setTimeout(r, 50));
    };
    const senderMs: number[] = [];
    const lastMs: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      await settled();
      const body = `one ${i}`;
      const arrived = allReceive(others, body);
      const s0 = performance.now();
      await sender.client.groups.send(group.groupId, body);
      senderMs.push(performance.now() - s0);
      lastMs.push((await arrived) - s0);
    }
    // A burst: the server's fan-out rate, envelopes stored and delivered per second.
    const bodies = Array.from({ length: MESSAGES }, (_, i) => `burst ${i}`);
    const arrivals = bodies.map((b) => allReceive(others, b));
    const b0 = performance.now();
    for (const b of bodies) await sender.client.groups.send(group.groupId, b);
    const bEnd = Math.max(...(await Promise.all(arrivals)));
    const fanout = ((size - 1) * MESSAGES) / ((bEnd - b0) / 1000);

    // The reference: the same content as 1:1 messages to every member (groups without Sender Keys).
    const refRuns = size > 200 ? 2 : 5;
    const refMs: number[] = [];
    for (let i = 0; i < refRuns; i++) {
      const content: Content = { v: 1, kind: 'text', id: crypto.randomUUID(), ts: Date.now(), text: `pairwise ${i}`, group: group.groupId };
      const plaintext = encodeContent(content);
      const r0 = performance.now();
      for (const o of others) await sendRawBytes(sender.client, o.name, plaintext, content.ts);
      refMs.push(performance.now() - r0);
    }
    const sk = median(senderMs);
    const pw = median(refMs);
    return `groups: members ${size}, sender ${fmt(sk)} ms/msg (1:1 fan-out ${fmt(pw)} ms/msg, ratio ${(pw / sk).toFixed(1)}), fan-out ${Math.round(fanout)} envelopes/s, last member after p50 ${fmt(median(lastMs))} ms, max ${fmt(Math.max(...lastMs))} ms`;
  } finally {
    for (const p of people) p.client.close();
    server.proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const lines: string[] = [];
for (const size of SIZES) {
  const line = await run(size);
  console.log(line);
  lines.push(line);
}
console.log('\nsummary');
for (const l of lines) console.log(l);
process.exit(0);
