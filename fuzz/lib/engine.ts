/**
 * One target made ready to fuzz (its run function, corpus and mutation context),
 * the next input for it, and the counts kept per target. Shared by the runner's
 * worker and the test round.
 */
import { join } from 'node:path';
import { mutate, randomOps, type MutationContext, type Op } from './mutate.ts';
import { CORPUS_DIR, loadCorpus, type Run, type Target } from './target.ts';

export interface Prepared {
  readonly target: Target;
  readonly run: Run;
  readonly corpus: readonly Uint8Array[];
  readonly ctx: MutationContext;
}

export async function prepare(target: Target): Promise<Prepared> {
  const corpus = loadCorpus(target.name);
  if (!corpus.length) throw new Error(`${target.name}: no corpus in ${join(CORPUS_DIR, target.name)} (run npx tsx scripts/fuzz-corpus.ts)`);
  const run = await target.setup(join(CORPUS_DIR, target.name));
  const ctx: MutationContext = {
    format: target.format,
    ...(target.head !== undefined ? { head: target.head } : {}),
    ...(target.tail !== undefined ? { tail: target.tail } : {}),
    corpus,
  };
  return { target, run, corpus, ctx };
}

/** The input for (corpus index, ops): a corpus entry mutated by `ops`. */
export function inputFor(p: Prepared, index: number, ops: readonly Op[]): Uint8Array {
  return mutate(p.corpus[index % p.corpus.length]!, ops, p.ctx);
}

/** A random input: now and then an unmutated corpus entry (which must still be accepted). */
export function randomInput(p: Prepared, next: () => number): Uint8Array {
  const index = next();
  if (next() % 64 === 0) return p.corpus[index % p.corpus.length]!;
  return inputFor(p, index, randomOps(next));
}

export interface Counts {
  inputs: number;
  accepted: number;
  rejected: number;
  findings: number;
  /** Rejections by error name. */
  errors: Record<string, number>;
}

export const emptyCounts = (): Counts => ({ inputs: 0, accepted: 0, rejected: 0, findings: 0, errors: {} });
