/**
 * The runner's worker: fuzzes the targets round-robin, a time slice each, until
 * told to stop. Before each input it writes the target and the input into shared
 * memory, so that when an input hangs (the runner kills this thread) or exhausts
 * the heap (capped by the runner), the runner still knows which input it was.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { emptyCounts, prepare, randomInput, type Counts, type Prepared } from './lib/engine.ts';
import { rng } from './lib/mutate.ts';
import { judge } from './lib/target.ts';
import { TARGETS } from './targets/index.ts';

export interface WorkerData {
  readonly seed: number;
  /** Names of the targets to run. */
  readonly targets: readonly string[];
  /** [0]: inputs started (Atomics), [1]: target index, [2]: input length; input bytes from byte 16. */
  readonly shared: SharedArrayBuffer;
  readonly sliceMs: number;
  /** Replay mode: run this one input of the first target once and report how long it took. */
  readonly replay?: Uint8Array;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'counts'; counts: Record<string, Counts>; current: string }
  | { type: 'heap'; heapUsed: number; round: number }
  | { type: 'replayed'; ms: number; result: string }
  | { type: 'finding'; target: string; kind: string; detail: string; stack?: string; input: Uint8Array };

const data = workerData as WorkerData;
const header = new Int32Array(data.shared, 0, 4);
const bytes = new Uint8Array(data.shared, 16);
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

if (data.replay) {
  const p = await prepare(TARGETS.find((t) => t.name === data.targets[0])!);
  post({ type: 'ready' });
  const started = performance.now();
  const outcome = await judge(p.target, p.run, data.replay);
  post({ type: 'replayed', ms: performance.now() - started, result: outcome.result });
  process.exit(0);
}

const prepared: Prepared[] = [];
for (const name of data.targets) prepared.push(await prepare(TARGETS.find((t) => t.name === name)!));
post({ type: 'ready' });

const counts: Record<string, Counts> = Object.fromEntries(prepared.map((p) => [p.target.name, emptyCounts()]));
// A worker cannot take --expose-gc in execArgv; the flag set at run time gives a new context its gc().
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

for (let round = 0; ; round++) {
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i]!;
    const next = rng((data.seed ^ Math.imul(round + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
    const c = counts[p.target.name]!;
    const until = performance.now() + data.sliceMs;
    while (performance.now() < until) {
      const input = randomInput(p, next);
      const n = Math.min(input.length, bytes.length);
      bytes.set(input.subarray(0, n));
      header[1] = i;
      header[2] = n;
      Atomics.add(header, 0, 1);
      const outcome = await judge(p.target, p.run, input);
      c.inputs++;
      if (outcome.result === 'accepted') c.accepted++;
      else if (outcome.result === 'rejected') {
        c.rejected++;
        const name = outcome.error ?? '?';
        c.errors[name] = (c.errors[name] ?? 0) + 1;
      } else {
        c.findings++;
        const f = outcome.finding;
        post({ type: 'finding', target: f.target, kind: f.kind, detail: f.detail, ...(f.stack ? { stack: f.stack } : {}), input: f.input.slice() });
      }
    }
    post({ type: 'counts', counts, current: p.target.name });
  }
  // Heap after a collection, once per round: the runner reports steady growth.
  gc?.();
  post({ type: 'heap', heapUsed: process.memoryUsage().heapUsed, round });
}
