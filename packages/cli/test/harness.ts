/** Test harness: real server processes on loopback, SDK clients and CLI runs in temp dirs. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient, type ClientEvent, type ParleyClient } from '@parley/client';
import { nodeWebSocket, SqliteClientStore } from '@parley/client/node';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const CLI = join(ROOT, 'packages/cli/bin/parley.mjs');

const created: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `parley-${prefix}-`));
  created.push(d);
  return d;
}

/** Removes every directory made by tempDir (call after the servers are stopped). */
export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Everything the server process wrote to stdout and stderr so far (its logs). */
  output(): string;
}

/** Starts `packages/server/src/main.ts` and waits for its "listening on" line. */
export function startServer(dataDir: string, args: string[] = [], port = 0): Promise<RunningServer> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/localhost:(\d+))/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({
          url: m[1]!,
          port: Number(m[2]),
          dataDir,
          proc,
          output: () => out,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill(signal);
            }),
        });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

export interface TestClient {
  readonly client: ParleyClient;
  readonly events: ClientEvent[];
  waitFor(pred: (e: ClientEvent) => boolean, timeoutMs?: number): Promise<ClientEvent>;
}

export function sdkClient(serverUrl: string, dir: string, fetchImpl?: typeof fetch, options: { ringTimeoutMs?: number; idleTimeoutMs?: number } = {}): TestClient {
  const client = createClient({
    serverUrl,
    store: new SqliteClientStore(join(dir, 'state.sqlite')),
    createWebSocket: nodeWebSocket,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...options,
  });
  const events: ClientEvent[] = [];
  const waiters: Array<{ pred: (e: ClientEvent) => boolean; resolve: (e: ClientEvent) => void }> = [];
  client.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve(e) : waiters.push(w));
  });
  return {
    client,
    events,
    waitFor(pred, timeoutMs = 15_000) {
      const found = events.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error('timed out waiting for a client event')), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(t), res(e)) });
      });
    },
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((res) => {
    // A generous kill timer: it only catches a hung CLI, and says so in stderr.
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, PARLEY_HOME: home, ...env }, timeout: 50_000 }, (err, stdout, stderr) => {
      const killed = (err as { killed?: boolean } | null)?.killed ? '\n[harness: the CLI was killed after 50 s without exiting]' : '';
      res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr + killed });
    });
  });
}
