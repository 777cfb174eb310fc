/**
 * Test support for the hostile-client tests (imported by *.test.ts only): a Parley
 * server as a real process (main.ts) on a loopback port, with its resident memory
 * and open file descriptors read from /proc, and its output kept.
 *
 * Settings are passed as PARLEY_* environment variables, not flags, on purpose: a
 * server that does not know a setting ignores the variable and runs with its
 * defaults, so a test of a bound fails on a server without that bound for the
 * right reason (the attack works), not because of an unknown flag.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../../..');

export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Everything the process printed so far. */
  output(): string;
  /** Resident memory in bytes (VmRSS). */
  rss(): number;
  /** Open file descriptors. */
  fds(): number;
  stop(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string> = {}, args: string[] = []): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-hostile-'));
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/server/src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((ok, no) => {
    const timer = setTimeout(() => no(new Error(`server did not start in 60 s: ${out}`)), 60_000);
    const look = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    };
    proc.stdout!.on('data', look);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      no(new Error(`server exited (${code}): ${out}`));
    });
  });
  const pid = proc.pid!;
  return {
    port,
    pid,
    dataDir,
    output: () => out,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const MiB = 1024 * 1024;
