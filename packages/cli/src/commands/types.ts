/** A CLI command: its usage line, a one-line summary for --help, and what it does (exit code). */
import type { Args } from '../args.ts';

export interface Command {
  readonly usage: string;
  readonly summary: string;
  run(args: Args): Promise<number>;
}
