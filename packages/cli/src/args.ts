/** Command-line arguments: global options, the command and its operands; usage errors. */
export interface Args {
  server: string | undefined;
  profile: string;
  command: string | undefined;
  rest: string[];
  /** `--save-dir` and other `--name value` options after the command. */
  options: Record<string, string>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const GLOBAL_FLAGS = new Set(['server', 'profile']);
/** Options that take no value (`react ... --remove`, `delete ... --for-me`, `block ... --delete`); they read as "true". */
const SWITCHES = new Set(['remove', 'for-me', 'delete']);

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Args {
  const out: Args = { server: env.PARLEY_SERVER, profile: env.PARLEY_PROFILE ?? 'default', command: undefined, rest: [], options: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (a === '--help' || a === '-h') out.command = 'help';
    else if (m && out.command && SWITCHES.has(m[1]!) && m[2] === undefined) out.options[m[1]!] = 'true';
    else if (m && (GLOBAL_FLAGS.has(m[1]!) || out.command)) {
      const value = m[2] ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
      if (m[1] === 'server') out.server = value;
      else if (m[1] === 'profile') out.profile = value;
      else out.options[m[1]!] = value;
    } else if (!out.command) out.command = a;
    else out.rest.push(a);
  }
  return out;
}

/** Throws a usage error unless at least `n` operands were given. */
export function need(args: Args, n: number, usage: string): void {
  if (args.rest.length < n) throw new UsageError(`usage: parley ${usage}`);
}
