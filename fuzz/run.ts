/**
 * `npm run fuzz -- --minutes N [--target SUBSTRING] [--seed S] [--slice-ms MS]`
 * fuzzes every target (or those whose name contains SUBSTRING) round-robin in a
 * worker thread for N minutes (default 1): a progress line, then a table of inputs
 * per target and findings. Each finding's input goes to fuzz/crashes/<target>/
 * (with a .txt saying what happened); the exit code is 1 if there was any.
 *
 * Hangs: the worker is killed when one input runs longer than HANG_MS, and
 * restarted. Memory: the worker's heap is capped (an input that needs more kills
 * it: a finding), and its heap after a collection is compared round by round.
 *
 * `npm run fuzz -- --replay FILE --target NAME` runs one saved input again.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { emptyCounts, prepare, type Counts } from './lib/engine.ts';
import { CRASH_DIR, HANG_MS, judge, signature, type Finding, type FindingKind } from './lib/target.ts';
import { TARGETS } from './targets/index.ts';
import type { WorkerData, WorkerMessage } from './worker.ts';

/** Heap the worker may use: far above what any decoder needs for a 2 MiB input. */
const WORKER_HEAP_MB = 768;
/** Growth of the collected heap between the first and the last round that counts as a leak. */
const LEAK_BYTES = 128 * 1024 * 1024;
const SHARED_BYTES = 16 + 2 * 1024 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const filter = arg('target');
const targets = TARGETS.filter((t) => !filter || t.name.includes(filter));
if (!targets.length) {
  console.error(`no target matches "${filter}"; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

const replay = arg('replay');
if (replay) {
  const [t] = targets;
  const p = await prepare(t!);
  const outcome = await judge(t!, p.run, new Uint8Array(readFileSync(replay)));
  console.log(t!.name, outcome.result === 'finding' ? { ...outcome.finding, input: `${outcome.finding.input.length} bytes` } : outcome);
  process.exit(outcome.result === 'finding' ? 1 : 0);
}

const minutes = Number(arg('minutes') ?? 1);
const seed = Number(arg('seed') ?? (Date.now() & 0x7fffffff));
const sliceMs = Number(arg('slice-ms') ?? 500);
const endAt = Date.now() + minutes * 60_000;
const startedAt = Date.now();

/** Counts of finished workers, and of the one running. */
const done: Record<string, Counts> = Object.fromEntries(targets.map((t) => [t.name, emptyCounts()]));
let live: Record<string, Counts> = {};
let current = '';
const seen = new Map<string, { finding: Finding; count: number; file: string }>();

function total(name: string): Counts {
  const a = done[name]!;
  const b = live[name] ?? emptyCounts();
  const errors = { ...a.errors };
  for (const [k, v] of Object.entries(b.errors)) errors[k] = (errors[k] ?? 0) + v;
  return { inputs: a.inputs + b.inputs, accepted: a.accepted + b.accepted, rejected: a.rejected + b.rejected, findings: a.findings + b.findings, errors };
}

function record(f: Finding): void {
  const sig = signature(f);
  const prev = seen.get(sig);
  if (prev) {
    prev.count++;
    // Keep the smallest input of a kind: the easiest to read.
    if (f.input.length >= prev.finding.input.length) return;
  }
  const dir = join(CRASH_DIR, f.target);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${f.kind}-${createHash('sha256').update(f.input).digest('hex').slice(0, 12)}.bin`);
  writeFileSync(file, f.input);
  writeFileSync(
    file.replace(/\.bin$/, '.txt'),
    `${f.target}: ${f.kind}\n${f.detail}\n\n${f.stack ?? ''}\n\nreplay: npm run fuzz -- --replay ${relative(process.cwd(), file)} --target ${f.target}\n`,
  );
  seen.set(sig, { finding: f, count: (prev?.count ?? 0) + 1, file });
  if (!prev) console.error(`\nFINDING ${f.target} ${f.kind}: ${f.detail}\n  input: ${relative(process.cwd(), file)}`);
}

function progress(final = false): void {
  const inputs = targets.reduce((n, t) => n + total(t.name).inputs, 0);
  const secs = (Date.now() - startedAt) / 1000;
  const line = `[${Math.floor(secs / 60)}:${String(Math.floor(secs % 60)).padStart(2, '0')}] ${inputs.toLocaleString('en-US')} inputs (${Math.round(inputs / Math.max(secs, 1)).toLocaleString('en-US')}/s), ${seen.size} distinct findings, at ${current}`;
  if (process.stderr.isTTY && !final) process.stderr.write(`\r${line.padEnd(110)}`);
  else console.error(line);
}

async function runWorker(workerSeed: number): Promise<'finished' | 'restart'> {
  const shared = new SharedArrayBuffer(SHARED_BYTES);
  const header = new Int32Array(shared, 0, 4);
  const data: WorkerData = { seed: workerSeed, targets: targets.map((t) => t.name), shared, sliceMs };
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  let ready = false;
  let firstHeap: number | undefined;
  let leakReported = false;
  const lastInput = (kind: FindingKind, detail: string): Finding => {
    const name = targets[header[1]!]?.name ?? 'unknown';
    return { target: name, kind, detail, input: new Uint8Array(shared, 16, header[2]!).slice() };
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (how: 'finished' | 'restart') => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      for (const t of targets) done[t.name] = total(t.name);
      live = {};
      void worker.terminate();
      resolve(how);
    };
    let confirming = false;
    let lastCount = -1;
    let lastChange = Date.now();
    const watch = setInterval(() => {
      const n = Atomics.load(header, 0);
      if (n !== lastCount) {
        lastCount = n;
        lastChange = Date.now();
      } else if (ready && Date.now() - lastChange > HANG_MS) {
        const f = lastInput('hang', `no answer within ${HANG_MS} ms`);
        confirming = true;
        clearInterval(watch);
        void worker.terminate();
        // A stall can be the machine (two shared cores, a long GC): a hang counts when a fresh worker stalls on the input again.
        void confirmHang(f).then((confirmed) => {
          if (confirmed) {
            live[f.target] ??= emptyCounts();
            live[f.target]!.inputs++;
            live[f.target]!.findings++;
            record(f);
          }
          finish('restart');
        });
        return;
      }
      if (Date.now() >= endAt) finish('finished');
    }, 250);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') {
        ready = true;
        lastChange = Date.now();
      } else if (m.type === 'counts') {
        live = m.counts;
        current = m.current;
        progress();
      } else if (m.type === 'heap') {
        if (m.round === 0) firstHeap = m.heapUsed;
        else if (firstHeap !== undefined && m.heapUsed - firstHeap > LEAK_BYTES && !leakReported) {
          leakReported = true;
          record({ target: 'all', kind: 'memory', detail: `heap after GC grew from ${Math.round(firstHeap / 1e6)} MB to ${Math.round(m.heapUsed / 1e6)} MB by round ${m.round}`, input: new Uint8Array(0) });
        }
      } else if (m.type === 'finding') {
        record({ target: m.target, kind: m.kind as FindingKind, detail: m.detail, ...(m.stack ? { stack: m.stack } : {}), input: m.input });
      }
    });
    worker.on('error', (e) => {
      if (settled || confirming) return;
      if (!ready) {
        // Not a finding: the targets could not be set up (a missing corpus, a broken import).
        console.error(`the fuzz worker failed to start: ${e.stack ?? e.message}`);
        process.exit(2);
      }
      const code = (e as { code?: string }).code;
      const f = lastInput(code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'exception', `worker died: ${e.name}: ${e.message}`);
      record({ ...f, ...(e.stack ? { stack: e.stack } : {}) });
      finish('restart');
    });
    worker.on('exit', () => confirming || finish(Date.now() >= endAt ? 'finished' : 'restart'));
  });
}

/** Runs `f.input` once in a fresh worker: true if it stalls past HANG_MS again. */
async function confirmHang(f: Finding): Promise<boolean> {
  const data: WorkerData = { seed: 0, targets: [f.target], shared: new SharedArrayBuffer(16), sliceMs: 0, replay: f.input };
  const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (hung: boolean, note: string) => {
      clearTimeout(timer);
      void worker.terminate();
      if (!hung) console.error(`\nnot a hang: ${f.target} stalled for ${HANG_MS} ms, but the input ${note} when run again (a loaded machine)`);
      resolve(hung);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') timer = setTimeout(() => done(true, ''), HANG_MS);
      else if (m.type === 'replayed') done(false, `took ${Math.round(m.ms)} ms (${m.result})`);
    });
    worker.on('error', (e) => done(true, e.message));
  });
}

console.error(`fuzzing ${targets.length} targets for ${minutes} minute(s), seed ${seed}`);
for (let i = 0; Date.now() < endAt; i++) {
  if ((await runWorker((seed + i * 0x632be5ab) >>> 0)) === 'finished') break;
}
progress(true);

// Summary.
const rows = targets.map((t) => {
  const c = total(t.name);
  const errors = Object.entries(c.errors)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [t.name, c.inputs.toLocaleString('en-US'), c.accepted.toLocaleString('en-US'), c.rejected.toLocaleString('en-US'), String(c.findings), errors];
});
const head = ['target', 'inputs', 'accepted', 'rejected', 'findings', 'rejections by error'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const fmt = (r: string[]) => r.map((x, i) => (i >= 1 && i <= 4 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ');
console.log(`\n${fmt(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
for (const r of rows) console.log(fmt(r));
const all = targets.reduce((n, t) => n + total(t.name).inputs, 0);
console.log(`\n${all.toLocaleString('en-US')} inputs in ${((Date.now() - startedAt) / 60_000).toFixed(1)} min, seed ${seed}`);
if (seen.size) {
  console.log(`\n${seen.size} distinct finding(s):`);
  for (const { finding, count, file } of seen.values()) console.log(`- ${finding.target} ${finding.kind} (x${count}): ${finding.detail}\n  ${relative(process.cwd(), file)}`);
  process.exitCode = 1;
} else console.log('no findings');
