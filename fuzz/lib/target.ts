/**
 * What a fuzz target is, and the one rule every target is judged by: an input is
 * accepted, or rejected with the decoder's typed error. Anything else is a finding:
 * another exception type, a rejection that changed state (stateful targets check
 * their store snapshot themselves and throw StateChanged), an input that takes
 * too long (the runner's worker is killed at HANG_MS; in-process rounds report
 * inputs slower than SLOW_MS), or memory the worker cannot get (its heap is capped).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Format } from './mutate.ts';

export const CORPUS_DIR = new URL('../corpus/', import.meta.url).pathname;
export const CRASH_DIR = new URL('../crashes/', import.meta.url).pathname;

/** An input slower than this is a finding (decoders answer in microseconds; this allows a loaded machine and GC). */
export const SLOW_MS = 1_000;
/** The runner's worker is killed and the input reported as a hang after this long. */
export const HANG_MS = 5_000;

/** Decodes one input: returns when it is accepted, throws the typed error when it is rejected. */
export type Run = (input: Uint8Array) => unknown;

export interface Target {
  /** `area.decoder`, also the corpus directory's name. */
  readonly name: string;
  /** Who sends these bytes, what decodes them, what the typed rejection is. */
  readonly what: string;
  readonly format: Format;
  /** Framing around the protobuf (`proto`): a version byte before, a MAC after. */
  readonly head?: number;
  readonly tail?: number;
  /** The typed rejection. */
  readonly typed: (e: unknown) => boolean;
  /** Corpus inputs may be refused: they were recorded against another server's state (live targets). */
  readonly corpusMayBeRefused?: true;
  /** Builds what the decoder needs (keys, stores) from the corpus directory; returns the run function. */
  readonly setup: (dir: string) => Run | Promise<Run>;
}

export type FindingKind = 'exception' | 'state' | 'slow' | 'hang' | 'memory';

export interface Finding {
  readonly target: string;
  readonly kind: FindingKind;
  /** Error name and message (or what was measured). */
  readonly detail: string;
  readonly stack?: string;
  readonly input: Uint8Array;
}

/** Thrown by a stateful target when a rejected input left its store different. */
export class StateChanged extends Error {
  override readonly name = 'StateChanged';
}

export type Outcome =
  | { readonly result: 'accepted' }
  | { readonly result: 'rejected'; readonly error: string }
  | { readonly result: 'finding'; readonly finding: Finding };

function describe(e: unknown): { detail: string; stack?: string } {
  if (e instanceof Error) return { detail: `${e.name}: ${e.message}`.slice(0, 300), ...(e.stack ? { stack: e.stack } : {}) };
  return { detail: `non-Error thrown: ${String(e).slice(0, 200)}` };
}

/** Runs one input through `run` and judges the outcome against the target's rule. */
export async function judge(target: Target, run: Run, input: Uint8Array, slowMs = SLOW_MS): Promise<Outcome> {
  const started = performance.now();
  let outcome: Outcome;
  try {
    await run(input);
    outcome = { result: 'accepted' } as const;
  } catch (e) {
    if (e instanceof StateChanged) outcome = { result: 'finding', finding: { target: target.name, kind: 'state', ...describe(e), input } };
    else if (target.typed(e)) outcome = { result: 'rejected', error: (e as Error).name };
    else outcome = { result: 'finding', finding: { target: target.name, kind: 'exception', ...describe(e), input } };
  }
  const ms = performance.now() - started;
  if (outcome.result !== 'finding' && ms > slowMs) {
    return { result: 'finding', finding: { target: target.name, kind: 'slow', detail: `took ${Math.round(ms)} ms (${outcome.result})`, input } };
  }
  return outcome;
}

/** The stored valid inputs of a target (`*.bin`, sorted by name). */
export function loadCorpus(name: string): Uint8Array[] {
  const dir = join(CORPUS_DIR, name);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort();
  return files.map((f) => new Uint8Array(readFileSync(join(dir, f))));
}

/** A finding's signature, to count each bug once: kind, error name and message shape, first frame of ours. */
export function signature(f: Finding): string {
  const frame = (f.stack ?? '').split('\n').find((l) => l.includes('/packages/')) ?? '';
  const where = frame.replace(/^.*\/packages\//, '').replace(/\)?$/, '');
  return `${f.target} ${f.kind} ${f.detail.replace(/\d+/g, 'N').slice(0, 80)} ${where}`;
}
