/**
 * Throwaway PostgreSQL and Redis servers for tests and benches (never for a
 * deployment): Debian's binaries (packages `postgresql` and `redis-server`,
 * installed by scripts/ensure-test-services.mjs), a fresh data directory under
 * the system temp directory, loopback only, a port of their own.
 *
 * Bounded lifetime: every server runs under coreutils `timeout -s KILL`, so it
 * dies by itself even if the test process is killed before its cleanup; `stop()`
 * and process exit end it sooner and delete its directory.
 *
 * As root (CI), PostgreSQL refuses to run: the data directory is given to the
 * `postgres` user and the server runs as that user through `runuser`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Default lifetime of a throwaway server: longer than any test file or bench run. */
const LIFETIME_S = 20 * 60;

/** Synchronous kills of the servers still running, for process exit. */
const running = new Set<() => void>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const k of running) k();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Kills a process group (GNU timeout makes one of itself and its command), ignoring one that is gone. */
function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A free TCP port on loopback (bound and released; the server binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed: apt-get install postgresql (npm test installs it as root)');
  return join(root, versions[0]!, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** The command line that runs `argv` as the postgres user when we are root, bounded by `timeout`. */
function pgCommand(argv: readonly string[], lifetimeS?: number): [string, string[]] {
  const bounded = lifetimeS ? ['timeout', '-s', 'KILL', String(lifetimeS), ...argv] : [...argv];
  return asRoot ? ['runuser', ['-u', 'postgres', '--', ...bounded]] : [bounded[0]!, bounded.slice(1)];
}

function waitFor(child: ChildProcess, pattern: RegExp, what: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${ms} ms: ${out.slice(-2000)}`)), ms);
    const finish = (e?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', on);
      child.stderr?.off('data', on);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve();
    };
    const on = (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`${what} exited (${code}): ${out.slice(-2000)}`));
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export interface PostgresServer {
  /** `postgres://parley@127.0.0.1:<port>/parley`: trust authentication on loopback. */
  readonly url: string;
  readonly port: number;
  /** Crashes the server (SIGKILL of the postmaster; its backends end with it). */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (after `kill`). */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** fsync on (default) as in a deployment; off only where durability is not what is tested. */
  readonly fsync?: boolean;
  readonly lifetimeS?: number;
  readonly maxConnections?: number;
}

/** Starts a throwaway PostgreSQL with an empty database `parley`. */
export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  dirs.add(dir);
  const data = join(dir, 'data');
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const [initCmd, initArgs] = pgCommand([join(bin, 'initdb'), '-D', data, '-U', 'parley', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const [cmd, args] = pgCommand(
      [
        join(bin, 'postgres'),
        '-D', data,
        '-p', String(port),
        '-k', dir,
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `fsync=${opts.fsync === false ? 'off' : 'on'}`,
        '-c', `max_connections=${opts.maxConnections ?? 200}`,
        '-c', 'shared_buffers=128MB',
      ],
      opts.lifetimeS ?? LIFETIME_S,
    );
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(killNow);
    await waitFor(c, /database system is ready to accept connections/, 'PostgreSQL', 30_000);
  };
  /** The postmaster's pid (the first line of postmaster.pid), under runuser and timeout. */
  const postmaster = (): number | undefined => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  };
  /** The processes killed last time (they must be gone before a restart). */
  let killed: number[] = [];
  const killNow = () => {
    const pid = postmaster();
    if (pid) {
      // Why: backends notice their postmaster's death only when they next wait, so on a
      // loaded machine one could still answer a query on an open connection; killing them
      // with it makes "the database died" instant, as a crashed host is. Why stop it
      // first: under load it forks backends all the time, and one forked after the list
      // was read would survive, holding the shared memory a restart needs.
      const signal = (p: number, sig: NodeJS.Signals) => {
        try {
          process.kill(p, sig);
        } catch {
          // already gone
        }
      };
      signal(pid, 'SIGSTOP');
      killed = [pid, ...childrenOf(pid)];
      for (const p of killed) signal(p, 'SIGKILL');
    }
    running.delete(killNow);
  };
  const kill = async () => {
    killNow();
    for (let i = 0; i < 200 && killed.some((p) => existsSync(`/proc/${p}`)); i++) await new Promise((r) => setTimeout(r, 25));
    // Its backends notice the postmaster's death and exit; wait for the port to be free.
    if (child) await exited(child);
    for (let i = 0; i < 100 && (await portInUse(port)); i++) await new Promise((r) => setTimeout(r, 50));
    rmSync(join(data, 'postmaster.pid'), { force: true });
  };
  await start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'parley', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE parley');
  await admin.end();
  return {
    url: `postgres://parley@127.0.0.1:${port}/parley`,
    port,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

/** Pids whose parent is `pid` (from /proc; Linux only, as the engines are). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command may contain spaces and parentheses: the parent pid is the second field after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(true));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Crashes it (SIGKILL): everything it held is gone (it saves nothing). */
  kill(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a throwaway Redis: loopback, no persistence (presence and wake-ups are rebuilt by the nodes). */
export async function startRedis(opts: { lifetimeS?: number } = {}): Promise<RedisServer> {
  if (!existsSync('/usr/bin/redis-server')) throw new Error('Redis is not installed: apt-get install redis-server (npm test installs it as root)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(
      'timeout',
      ['-s', 'KILL', String(opts.lifetimeS ?? LIFETIME_S), '/usr/bin/redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', tmpdir(), '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    running.add(killNow);
    await waitFor(c, /Ready to accept connections/, 'Redis', 15_000);
  };
  const killNow = () => {
    killGroup(child?.pid);
    running.delete(killNow);
  };
  const kill = async () => {
    if (!child) return;
    killNow();
    await exited(child);
    for (let i = 0; i < 100 && (await portInUse(port)); i++) await new Promise((r) => setTimeout(r, 50));
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, stop: kill };
}
