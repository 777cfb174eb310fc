// The CI round of the fuzzer (`npm test`): every target, a bounded number of
// mutated inputs each (at most ~0.6 s a target), in this process. fast-check
// draws the corpus entry and the mutation ops, so a failure prints a seed and a
// shrunk list of ops; PARLEY_FUZZ_SEED=<n> replays it, PARLEY_FUZZ_SEED=random
// explores. The long runs with hang and memory checks: `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inputFor, prepare } from './lib/engine.ts';
import { HANG_MS, judge, loadCorpus } from './lib/target.ts';
import { TARGETS } from './targets/index.ts';

const env = process.env.PARLEY_FUZZ_SEED;
/** Fixed by default, so the round is the same on every machine and every run. */
const SEED = env === 'random' ? Date.now() & 0x7fffffff : Number(env ?? 20_251_203);
const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const TIME_LIMIT_MS = 600;

const op = fc.record({ m: fc.nat(), a: fc.nat(), b: fc.nat(), c: fc.nat() });

describe('fuzz targets: every valid corpus input is accepted', () => {
  it('every target has a corpus', () => {
    for (const t of TARGETS) expect(loadCorpus(t.name).length, t.name).toBeGreaterThan(0);
  });
  for (const t of TARGETS) {
    it(t.name, async () => {
      const p = await prepare(t);
      for (const input of p.corpus) {
        const { result } = await judge(t, p.run, input, HANG_MS);
        if (t.corpusMayBeRefused) expect(result, `${t.name}: a corpus input`).not.toBe('finding');
        else expect(result, `${t.name}: a corpus input`).toBe('accepted');
      }
    });
  }
});

describe(`fuzz targets: mutated inputs get the typed rejection (seed ${SEED})`, () => {
  for (const t of TARGETS) {
    it(t.name, async () => {
      const p = await prepare(t);
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.array(op, { minLength: 1, maxLength: 8 }), async (index, ops) => {
          // Slowness counts only past the runner's hang bound here: the test run shares two cores with other suites.
          const outcome = await judge(t, p.run, inputFor(p, index, ops), HANG_MS);
          if (outcome.result === 'finding') {
            const f = outcome.finding;
            throw new Error(`${f.kind}: ${f.detail}\n${f.stack ?? ''}`);
          }
        }),
        { seed: SEED, numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false },
      );
    });
  }
});
