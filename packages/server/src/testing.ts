/**
 * Test support for the server's plugin tests (imported by *.test.ts only): an app
 * over a fresh SQLite file, on `inject()` or a real loopback port; registered
 * accounts with their credentials; sockets that collect frames.
 *
 * With PARLEY_TEST_STORAGE=postgres (the `node-postgres` test project), every app
 * is over PostgreSQL instead: one throwaway server per test file, a schema per app.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import pg from 'pg';
import fc from 'fast-check';
import WebSocket from 'ws';
import { base64Encode, groupResponse, type Decoder, type GroupResponse } from '@parley/wire';
import { buildApp, type AppConfig, type ParleyApp } from './app.ts';
import { PrivateKey } from '@parley/protocol';
import { LocalDiskBlobStore } from './attachments/local-disk.ts';
import { issueServerKeys, type SealedSenderKeys } from './sealed/keys.ts';
import { SqliteStorage } from './storage/sqlite.ts';
import { openPostgresStorage } from './storage/postgres/postgres.ts';
import type { Storage } from './storage/storage.ts';
import { startPostgres, type PostgresServer } from './testing/engines.ts';

/** Headers every client request carries. */
export const V = { 'x-parley-version': '0.1.0', 'content-type': 'application/json' } as const;

const apps: ParleyApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Which storage the apps of this run use. */
export const TEST_STORAGE = process.env.PARLEY_TEST_STORAGE === 'postgres' ? 'postgres' : 'sqlite';

let postgres: Promise<PostgresServer> | undefined;
let schemas = 0;
afterAll(async () => {
  if (postgres) await (await postgres).stop();
  postgres = undefined;
});

async function openTestStorage(dir: string): Promise<Storage> {
  if (TEST_STORAGE === 'sqlite') return new SqliteStorage(join(dir, 'db.sqlite'));
  postgres ??= startPostgres({ fsync: false });
  const server = await postgres;
  const schema = `app${schemas++}`;
  const c = new pg.Client(server.url);
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return openPostgresStorage({ connectionString: server.url, options: `-c search_path=${schema}`, poolSize: 4 });
}

export interface TestApp {
  readonly app: ParleyApp;
  readonly storage: Storage;
  /** The data directory: the database, and attachment blobs under `attachments/`. */
  readonly dir: string;
  /** Sends an HTTP request through `inject()`. */
  req(method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers?: Record<string, string>, payload?: unknown): Promise<Res>;
}

export interface Res {
  readonly statusCode: number;
  readonly body: string;
  /** The body as bytes (binary answers). */
  readonly rawBody?: Buffer;
  readonly headers?: Record<string, string | string[] | number | undefined>;
  /** The parsed body (checked field by field by the tests). */
  json(): any;
}

export interface AppOptions extends Partial<AppConfig> {
  readonly now?: () => number;
  /** Sealed-sender keys (default: a new trust root for this app). */
  readonly sealedSender?: SealedSenderKeys;
}

/** An app on `inject()` over a fresh database; closed after the test. */
export async function makeApp(opts: AppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-app-'));
  dirs.push(dir);
  const storage = await openTestStorage(dir);
  const { now, sealedSender: _keys, ...config } = opts;
  const app = await buildApp(
    { minClientVersion: '0.1.0', bundleFetchesPerMinute: 60, logLevel: 'silent', ...config },
    {
      storage,
      serverSecret: new Uint8Array(32).fill(7),
      blobs: new LocalDiskBlobStore(join(dir, 'attachments')),
      sealedSender: opts.sealedSender ?? issueServerKeys(PrivateKey.generate()),
      ...(now ? { now } : {}),
    },
  );
  apps.push(app);
  return {
    app,
    storage,
    dir,
    async req(method, url, headers = {}, payload) {
      const body = payload === undefined ? {} : { payload: typeof payload === 'string' || payload instanceof Uint8Array ? (payload as string | Buffer) : JSON.stringify(payload) };
      const r = await app.app.inject({ method, url, headers: { ...V, ...headers }, ...body });
      return { statusCode: r.statusCode, body: r.body, rawBody: r.rawPayload, headers: r.headers, json: () => r.json() };
    },
  };
}

/** An app listening on a loopback port (for WebSockets and raw HTTP). */
export async function listeningApp(opts: AppOptions = {}): Promise<TestApp & { port: number }> {
  const t = await makeApp(opts);
  await t.app.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...t, port: (t.app.app.server.address() as { port: number }).port };
}

export const key33 = () => base64Encode(new Uint8Array(33).fill(5));
export const kem = () => base64Encode(new Uint8Array(1569).fill(8));
export const sig = () => base64Encode(new Uint8Array(64).fill(1));

/** A device's credentials as a client holds them. */
export interface Creds {
  readonly accountId: string;
  readonly deviceId: number;
  readonly password: Uint8Array;
  readonly username: string;
  readonly registrationId: number;
  /** Headers with Basic authorization, for `req`. */
  readonly headers: Record<string, string>;
}

export function credsFor(accountId: string, deviceId: number, password: Uint8Array, username: string, registrationId: number): Creds {
  const authorization = `Basic ${Buffer.from(`${accountId}.${deviceId}:${base64Encode(password)}`).toString('base64')}`;
  return { accountId, deviceId, password, username, registrationId, headers: { ...V, authorization } };
}

export function registerBody(username: string, password: Uint8Array, registrationId: number) {
  return {
    username,
    password: base64Encode(password),
    registrationId,
    identityKey: key33(),
    signedPreKey: { keyId: 1, publicKey: key33(), signature: sig() },
    pqLastResortPreKey: { keyId: 1, publicKey: kem(), signature: sig() },
  };
}

export async function register(t: TestApp, username: string, registrationId = 42): Promise<Creds> {
  const password = new Uint8Array(randomBytes(32));
  const res = await t.req('POST', '/v1/accounts', {}, registerBody(username, password, registrationId));
  expect(res.statusCode).toBe(201);
  const { accountId } = res.json() as { accountId: string };
  return credsFor(accountId, 1, password, username, registrationId);
}

export function sendBody(deviceId = 1, registrationId = 42, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ timestamp: 1, messages: [{ deviceId, registrationId, type: 'whisper', content: base64Encode(new Uint8Array([1, 2, 3])) }], ...extra });
}

/** A frame as received (checked field by field by the tests). */
export type Frame = Record<string, any>;

/** A client socket that records every frame and can wait for one. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** Resolves with the close code. */
  readonly closed: Promise<number>;
  send(frame: unknown): void;
  /** The first frame (already received or still to come) matching `pred`. */
  next(pred: (f: Frame) => boolean, what?: string): Promise<Frame>;
  envelopes(): Frame[];
}

/** Opens a socket to `path` (default the device socket, `/v1/websocket`). */
export function openSocket(port: number, opts: { autoPong?: boolean; path?: string } = {}): Promise<TestSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${opts.path ?? '/v1/websocket'}`, { autoPong: opts.autoPong ?? true });
  const frames: Frame[] = [];
  const waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  ws.on('message', (d) => {
    const f = JSON.parse(d.toString()) as Frame;
    frames.push(f);
    for (const w of waiters.slice()) {
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(f);
      }
    }
  });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  const socket: TestSocket = {
    ws,
    frames,
    closed,
    send: (f) => ws.send(typeof f === 'string' ? f : JSON.stringify(f)),
    next(pred, what = 'a frame') {
      const have = frames.find(pred);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        waiters.push({ pred, resolve });
        void closed.then((code) => setTimeout(() => reject(new Error(`socket closed (${code}) before ${what} arrived; frames: ${JSON.stringify(frames).slice(0, 500)}`)), 50));
      });
    },
    envelopes: () => frames.filter((f) => f.type === 'envelope'),
  };
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(socket));
    ws.on('error', reject);
  });
}

/** A socket authenticated as `c` (resolves after `ready`). */
export async function deviceSocket(port: number, c: Pick<Creds, 'accountId' | 'deviceId' | 'password'>, opts: { autoPong?: boolean } = {}): Promise<TestSocket> {
  const s = await openSocket(port, opts);
  s.send({ type: 'auth', version: '0.1.0', accountId: c.accountId, deviceId: c.deviceId, password: base64Encode(c.password) });
  await s.next((f) => f.type === 'ready', 'ready');
  return s;
}

/** Waits until `pred` holds, checking after each event-loop turn and timer tick; fails after ~5 s. */
export async function until(pred: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} never held`);
}

export function linkBody(linkToken: string, password: Uint8Array, registrationId: number, extra: Record<string, unknown> = {}) {
  return {
    linkToken,
    password: base64Encode(password),
    registrationId,
    signedPreKey: { keyId: 1, publicKey: key33(), signature: sig() },
    pqLastResortPreKey: { keyId: 1, publicKey: kem(), signature: sig() },
    ...extra,
  };
}

/** Links a new device to `owner`'s account (a link token, then the device registers with it). */
export async function linkDevice(t: TestApp, owner: Creds, registrationId = 50): Promise<Creds> {
  const token = await t.req('POST', '/v1/devices/link-token', owner.headers);
  expect(token.statusCode).toBe(200);
  const password = new Uint8Array(randomBytes(32));
  const res = await t.req('POST', '/v1/devices', {}, linkBody(token.json().linkToken, password, registrationId));
  expect(res.statusCode).toBe(201);
  const { accountId, deviceId, username } = res.json() as { accountId: string; deviceId: number; username: string };
  expect(accountId).toBe(owner.accountId);
  return credsFor(accountId, deviceId, password, username, registrationId);
}

/**
 * Property: `valid` with any one field replaced by arbitrary JSON (or dropped, or an
 * unknown field added) is refused with a typed 4xx error whenever the wire decoder
 * refuses it. Bodies the decoder accepts are skipped, so a run never changes state
 * by accident; callers check afterwards that nothing changed.
 */
export async function fuzzBody(valid: Record<string, unknown>, decoder: Decoder<unknown>, send: (body: unknown) => Promise<Res>, numRuns = 150): Promise<void> {
  const fields = Object.keys(valid);
  const mutated = fc.oneof(
    fc.tuple(fc.constantFrom(...fields), fc.jsonValue()).map(([k, v]) => ({ ...valid, [k]: v })),
    fc.constantFrom(...fields).map((k) => Object.fromEntries(Object.entries(valid).filter(([f]) => f !== k))),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue()).map(([k, v]) => JSON.parse(JSON.stringify({ ...valid, [`x${k}`]: v })) as unknown),
    fc.jsonValue(),
  );
  await fc.assert(
    fc.asyncProperty(mutated, async (body) => {
      let accepted = true;
      try {
        decoder(JSON.parse(JSON.stringify(body)), '');
      } catch {
        accepted = false;
      }
      fc.pre(!accepted);
      const r = await send(body);
      expect(r.statusCode).toBeGreaterThanOrEqual(400);
      expect(r.statusCode).toBeLessThan(500);
      expect(typeof r.json().error.code).toBe('string');
    }),
    { numRuns },
  );
}

export const newGroupId = () => randomBytes(16).toString('hex');
export const attrs = (n = 1) => base64Encode(new Uint8Array(48).fill(n));

/** Creates a group of `owner` and `members` through the endpoint; answers it as decoded by wire. */
export async function createGroup(t: TestApp, owner: Creds, members: readonly Creds[], groupId = newGroupId()): Promise<GroupResponse> {
  const r = await t.req('POST', '/v1/groups', owner.headers, { groupId, encryptedAttributes: attrs(), members: members.map((m) => m.accountId) });
  expect(r.statusCode).toBe(201);
  return groupResponse(r.json(), '');
}

