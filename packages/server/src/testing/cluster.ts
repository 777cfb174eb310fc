/**
 * Cluster test and bench support: Parley nodes as real processes (main.ts) on
 * shared PostgreSQL and Redis, and load clients that speak the wire protocol the
 * way the SDK does: one socket each, reconnecting to another node when theirs
 * dies, sends answered by request id and retried (same message id) when the
 * answer is lost or the server says UNAVAILABLE, envelopes acknowledged after the
 * "application" has taken them, deduplicated by message id.
 *
 * `Ledger` counts, per message id, who must get it (once its send was answered
 * `sent`) and who got it: lost = acknowledged to the sender but missing at a
 * recipient; duplicated = reached a recipient's application twice (the dedupe
 * failed); redelivered = the server sent an envelope again (allowed: it was not
 * acknowledged yet when a connection died).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ABUSE_SETTINGS } from '../config.ts';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { base64Encode } from '@parley/wire';

const ROOT = resolve(import.meta.dirname, '../../../..');
const V = { 'x-parley-version': '0.1.0', 'content-type': 'application/json' } as const;
export const SERVER_SECRET = 'ab'.repeat(32);

export interface Node {
  readonly index: number;
  readonly port: number;
  readonly proc: ChildProcess;
  alive: boolean;
  /** SIGKILL: no goodbye to Redis, sockets cut. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** What the node printed (for failure messages). */
  output(): string;
}

/** Creates an empty database for one cluster run; answers its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const c = new pg.Client(serverUrl.replace(/\/parley$/, '/postgres'));
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return serverUrl.replace(/\/parley$/, `/${name}`);
}

/**
 * Flags that lift the abuse limits and per-sender quota for load tests and benches,
 * whose many clients all come from one loopback address and send as fast as they can.
 */
export const LOAD_TEST_ARGS: readonly string[] = [
  ...ABUSE_SETTINGS.flatMap((a) => [`--${a.flag}`, '1000000']),
  '--max-queued-per-sender',
  '1000000',
];

/** Starts a Parley node process on PostgreSQL (and Redis, when given). */
export function startNode(index: number, env: { databaseUrl: string; redisUrl?: string; extraArgs?: string[] }): Promise<Node> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'packages/server/src/main.ts', '--port', '0', '--log-level', 'warn', ...LOAD_TEST_ARGS, '--data-dir', join(tmpdir(), 'parley-node-unused'), ...(env.extraArgs ?? [])],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PARLEY_DATABASE_URL: env.databaseUrl, PARLEY_REDIS_URL: env.redisUrl ?? '', PARLEY_SERVER_SECRET: SERVER_SECRET },
    },
  );
  let out = '';
  return new Promise((resolveNode, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${index} did not start: ${out}`)), 60_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m && !node) {
        clearTimeout(timer);
        node = {
          index,
          port: Number(m[1]),
          proc,
          alive: true,
          async kill() {
            this.alive = false;
            if (proc.exitCode === null && proc.signalCode === null) {
              proc.kill('SIGKILL');
              await new Promise((r) => proc.once('exit', r));
            }
          },
          async stop() {
            this.alive = false;
            if (proc.exitCode === null && proc.signalCode === null) {
              proc.kill('SIGTERM');
              await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5_000))]);
              proc.kill('SIGKILL');
            }
          },
          output: () => out,
        };
        resolveNode(node);
      }
    };
    let node: Node | undefined;
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.once('exit', (code) => {
      if (!node) {
        clearTimeout(timer);
        reject(new Error(`node ${index} exited (${code}): ${out}`));
      }
    });
  });
}

export interface Account {
  readonly index: number;
  readonly username: string;
  readonly accountId: string;
  readonly password: Uint8Array;
  readonly auth: string;
}

/** Registers `n` accounts through `port` (each with device 1, registration id 1). */
export async function registerAccounts(port: number, n: number, prefix: string): Promise<Account[]> {
  const key33 = base64Encode(new Uint8Array(33).fill(5));
  const sig = base64Encode(new Uint8Array(64));
  const kem = base64Encode(new Uint8Array(1569).fill(8));
  const out: Account[] = [];
  const one = async (index: number) => {
    const password = new Uint8Array(randomBytes(32));
    const username = `${prefix}_${index}`;
    const r = await fetch(`http://127.0.0.1:${port}/v1/accounts`, {
      method: 'POST',
      headers: V,
      body: JSON.stringify({ username, password: base64Encode(password), registrationId: 1, identityKey: key33, signedPreKey: { keyId: 1, publicKey: key33, signature: sig }, pqLastResortPreKey: { keyId: 1, publicKey: kem, signature: sig } }),
    });
    if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${await r.text()}`);
    const { accountId } = (await r.json()) as { accountId: string };
    out[index] = { index, username, accountId, password, auth: `Basic ${Buffer.from(`${accountId}.1:${base64Encode(password)}`).toString('base64')}` };
  };
  for (let i = 0; i < n; i += 16) await Promise.all(Array.from({ length: Math.min(16, n - i) }, (_, k) => one(i + k)));
  return out;
}

/** Creates a group of `owner` and `members` over HTTP; answers its id. */
export async function createGroup(port: number, owner: Account, members: readonly Account[]): Promise<string> {
  const groupId = randomBytes(16).toString('hex');
  const r = await fetch(`http://127.0.0.1:${port}/v1/groups`, {
    method: 'POST',
    headers: { ...V, authorization: owner.auth },
    body: JSON.stringify({ groupId, encryptedAttributes: base64Encode(new Uint8Array(32)), members: members.map((m) => m.accountId) }),
  });
  if (r.status !== 201) throw new Error(`create group: ${r.status} ${await r.text()}`);
  return groupId;
}

/** Counts what was acknowledged and delivered, per message id. */
export class Ledger {
  /** message id -> recipients (account index) still to get it, once acked */
  private readonly expected = new Map<string, Set<number>>();
  /** message id -> recipients that got it before the ack arrived (the envelope can overtake the answer) */
  private readonly early = new Map<string, Set<number>>();
  private readonly seen = new Set<string>();
  acked = 0;
  deliveries = 0;
  duplicated = 0;
  redelivered = 0;
  readonly latencies: number[] = [];
  private readonly sentAt = new Map<string, number>();

  sending(id: string): void {
    if (!this.sentAt.has(id)) this.sentAt.set(id, performance.now());
  }

  ack(id: string, recipients: readonly number[]): void {
    this.acked++;
    const pending = new Set(recipients);
    for (const r of this.early.get(id) ?? []) pending.delete(r);
    this.early.delete(id);
    this.expected.set(id, pending);
  }

  /** The application of `recipient` took message `id` (after its dedupe). */
  delivered(id: string, recipient: number): void {
    const k = `${id}>${recipient}`;
    if (this.seen.has(k)) {
      this.duplicated++;
      return;
    }
    this.seen.add(k);
    this.deliveries++;
    const t0 = this.sentAt.get(id);
    if (t0 !== undefined) this.latencies.push(performance.now() - t0);
    const pending = this.expected.get(id);
    if (pending) pending.delete(recipient);
    else {
      let e = this.early.get(id);
      if (!e) this.early.set(id, (e = new Set()));
      e.add(recipient);
    }
  }

  /** Acknowledged (message, recipient) pairs not delivered yet. */
  missing(): number {
    let n = 0;
    for (const s of this.expected.values()) n += s.size;
    return n;
  }
}

interface Answer {
  resolve(): void;
  reject(e: Error & { code?: string }): void;
}

/**
 * One device of one account, connected to one node at a time. `nodes()` answers the
 * ports to try, in order of preference; on a dropped socket it moves to the next.
 */
/** How long a load client waits for the answer to a send before it retries the same message. */
const ANSWER_TIMEOUT_MS = 15_000;

export class LoadClient {
  private ws: WebSocket | undefined;
  private ready: Promise<void> | undefined;
  private readonly answers = new Map<number, Answer>();
  private nextRequest = 1;
  /** Message ids this client's application has taken (its dedupe store). */
  private readonly taken = new Set<string>();
  /** Envelope (server id) already seen on this device: a second sight is a redelivery. */
  private readonly envelopeIds = new Set<number>();
  private closed = false;
  private attempt = 0;
  connectedTo: number | undefined;
  received = 0;

  constructor(
    readonly account: Account,
    private readonly nodes: () => readonly number[],
    private readonly ledger: Ledger,
    private readonly preferred: number,
  ) {}

  /** Connects (or waits for the connection in progress); resolves when authenticated. */
  connect(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    for (;;) {
      if (this.closed) throw new Error('closed');
      const ports = this.nodes();
      const port = ports[(this.preferred + this.attempt) % ports.length]!;
      try {
        await this.tryOpen(port);
        return;
      } catch {
        this.attempt++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private tryOpen(port: number): Promise<void> {
    return new Promise((resolveOpen, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
      let authed = false;
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no ready in time'));
      }, 10_000);
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: this.account.accountId, deviceId: 1, password: base64Encode(this.account.password) })),
      );
      ws.on('message', (d) => {
        const f = JSON.parse(d.toString()) as Record<string, unknown>;
        if (f.type === 'ready') {
          authed = true;
          clearTimeout(timer);
          this.ws = ws;
          this.connectedTo = port;
          resolveOpen();
        } else if (f.type === 'sent' || f.type === 'send-failed') {
          const a = this.answers.get(f.requestId as number);
          this.answers.delete(f.requestId as number);
          if (f.type === 'sent') a?.resolve();
          else a?.reject(Object.assign(new Error(`send failed: ${String(f.code)}`), { code: f.code as string }));
        } else if (f.type === 'envelope') {
          this.onEnvelope(ws, f);
        }
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        clearTimeout(timer);
        if (!authed) {
          reject(new Error('closed before ready'));
          return;
        }
        if (this.ws === ws) {
          this.ws = undefined;
          this.connectedTo = undefined;
          // Answers that will never come: the outcome is unknown, the sender retries.
          for (const a of this.answers.values()) a.reject(Object.assign(new Error('connection lost'), { code: 'SERVER_UNREACHABLE' }));
          this.answers.clear();
          this.attempt++;
          this.ready = undefined;
          if (!this.closed) void this.connect().catch(() => undefined);
        }
      });
    });
  }

  private onEnvelope(ws: WebSocket, f: Record<string, unknown>): void {
    const id = f.id as number;
    if (this.envelopeIds.has(id)) this.ledger.redelivered++;
    this.envelopeIds.add(id);
    const content = Buffer.from(f.content as string, 'base64').toString();
    if (f.messageType !== 'group-update' && content.startsWith('m:')) {
      const messageId = content.slice(2, content.indexOf('|'));
      this.received++;
      // The application's dedupe by message id (the SDK's), then the application.
      if (!this.taken.has(messageId)) {
        this.taken.add(messageId);
        this.ledger.delivered(messageId, this.account.index);
      }
    }
    // Acknowledged after the application took it, as the SDK does.
    ws.send(JSON.stringify({ type: 'ack', id }));
  }

  /** One send frame; resolves on `sent`, rejects with the code otherwise. */
  private async frame(build: (requestId: number) => object): Promise<void> {
    await this.connect();
    const ws = this.ws;
    if (!ws) throw Object.assign(new Error('not connected'), { code: 'SERVER_UNREACHABLE' });
    const requestId = this.nextRequest++;
    return new Promise<void>((resolveSent, reject) => {
      // Why a bound, as the SDK has: an answer that never comes must end in a retry (or the test's own failure), not a hang.
      const timer = setTimeout(() => {
        this.answers.delete(requestId);
        reject(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' }));
      }, ANSWER_TIMEOUT_MS);
      this.answers.set(requestId, {
        resolve: () => (clearTimeout(timer), resolveSent()),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      ws.send(JSON.stringify(build(requestId)));
    });
  }

  /**
   * Sends message `id` until the server answers `sent` (retrying the same message id
   * after a lost answer or UNAVAILABLE, as the SDK's outbox does) or `deadline` passes.
   * Answers whether it was acknowledged and the retryable errors met.
   */
  async sendUntilAcked(build: (requestId: number) => object, deadline: number): Promise<{ acked: boolean; errors: string[] }> {
    const errors: string[] = [];
    while (performance.now() < deadline) {
      try {
        await this.frame(build);
        return { acked: true, errors };
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'ERROR';
        errors.push(code);
        if (code !== 'SERVER_UNREACHABLE' && code !== 'UNAVAILABLE' && code !== 'INTERNAL' && code !== 'TIMEOUT') throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { acked: false, errors };
  }

  /** A 1:1 message to `to`'s device 1. */
  sendTo(to: Account, messageId: string, deadline: number): Promise<{ acked: boolean; errors: string[] }> {
    const content = base64Encode(new TextEncoder().encode(`m:${messageId}|`.padEnd(400, '.')));
    return this.sendUntilAcked(
      (requestId) => ({ type: 'send', requestId, to: to.username, request: { timestamp: Date.now(), messages: [{ deviceId: 1, registrationId: 1, type: 'whisper', content }] } }),
      deadline,
    );
  }

  /** A group message to every member but this one. */
  sendToGroup(groupId: string, members: readonly Account[], messageId: string, deadline: number): Promise<{ acked: boolean; errors: string[] }> {
    const content = base64Encode(new TextEncoder().encode(`m:${messageId}|`.padEnd(400, '.')));
    const recipients = members.filter((m) => m !== this.account).map((m) => ({ accountId: m.accountId, devices: [{ deviceId: 1, registrationId: 1 }] }));
    return this.sendUntilAcked((requestId) => ({ type: 'group-send', requestId, groupId, request: { timestamp: Date.now(), content, recipients } }), deadline);
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}

/**
 * Steady load: every `intervalMs`, each of `senders` sends one 1:1 message to another
 * client (round robin), until `durationMs` passes; the answers are awaited (with
 * retries) up to `settleMs` after. Answers the number of sends started.
 */
export async function steadyLoad(clients: readonly LoadClient[], ledger: Ledger, opts: { durationMs: number; ratePerSecond: number; settleMs: number; tag: string; during?: Array<{ atMs: number; run: () => Promise<void> }> }): Promise<{ started: number; notAcked: number; errors: Map<string, number> }> {
  const start = performance.now();
  const deadline = start + opts.durationMs + opts.settleMs;
  const sends: Array<Promise<void>> = [];
  const errors = new Map<string, number>();
  let notAcked = 0;
  let n = 0;
  // An event that fails (PostgreSQL did not come back) fails the load at once, instead of clients retrying until the test times out.
  const events = (opts.during ?? []).map((e) => new Promise<void>((r, fail) => setTimeout(() => void e.run().then(r, fail), e.atMs)));
  const failed = new Promise<never>((_, fail) => void Promise.all(events).catch(fail));
  let eventError: unknown;
  failed.catch((e: unknown) => (eventError = e));
  const tickMs = 20;
  const perTick = (opts.ratePerSecond * tickMs) / 1000;
  let budget = 0;
  while (performance.now() - start < opts.durationMs) {
    if (eventError) throw eventError;
    budget += perTick;
    for (; budget >= 1; budget--) {
      const from = clients[n % clients.length]!;
      const to = clients[(n + 1 + (Math.floor(n / clients.length) % (clients.length - 1))) % clients.length]!;
      const id = `${opts.tag}-${n++}`;
      ledger.sending(id);
      sends.push(
        from.sendTo(to.account, id, deadline).then(
          (r) => {
            for (const e of r.errors) errors.set(e, (errors.get(e) ?? 0) + 1);
            if (r.acked) ledger.ack(id, [to.account.index]);
            else notAcked++;
          },
          (e: unknown) => {
            const code = (e as { code?: string }).code ?? String(e);
            errors.set(code, (errors.get(code) ?? 0) + 1);
            notAcked++;
          },
        ),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.race([Promise.all(sends), failed]);
  await Promise.all(events);
  return { started: n, notAcked, errors };
}

/** Waits until every acknowledged message has reached every recipient, or `ms` passes. */
export async function settle(ledger: Ledger, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (ledger.missing() > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
