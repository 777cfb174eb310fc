/**
 * SDK tests against a real server in this process (buildApp on a loopback port,
 * SQLite in a temp dir): people with in-memory stores (fast) or SQLite profiles,
 * their events, and a wait for the event that proves something arrived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateKey } from '@parley/protocol';
import { buildApp, issueServerKeys, LocalDiskBlobStore, SqliteStorage, type ParleyApp, type SealedSenderKeys } from '@parley/server';
import { createClient, MemoryClientStore, type ClientEvent, type ClientOptions, type ClientStore, type ParleyClient, type WebSocketFactory } from '../src/index.ts';
import { nodeWebSocket } from '../src/node/index.ts';
import type { Feature, NoticesFile } from '@parley/wire';

const dirs: string[] = [];
const apps: ParleyApp[] = [];
const clients: ParleyClient[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `parley-${prefix}-`));
  dirs.push(d);
  return d;
}

export interface TestServer {
  readonly url: string;
  readonly app: ParleyApp;
  readonly storage: SqliteStorage;
  readonly dataDir: string;
}

export async function startServer(
  config: {
    bundleFetchesPerMinute?: number;
    maxQueuedPerDevice?: number;
    maxAttachmentBytes?: number;
    notices?: NoticesFile;
    disabledFeatures?: readonly Feature[];
    /** Sealed-sender keys (default: a new trust root, as `npm start` makes; null: sealed sender off). */
    sealedSender?: SealedSenderKeys | null;
    now?: () => number;
  } = {},
): Promise<TestServer> {
  const dataDir = tempDir('srv');
  const storage = new SqliteStorage(join(dataDir, 'parley.sqlite'));
  const app = await buildApp(
    {
      minClientVersion: '0.1.0',
      bundleFetchesPerMinute: config.bundleFetchesPerMinute ?? 600,
      logLevel: 'silent',
      ...(config.maxQueuedPerDevice ? { maxQueuedPerDevice: config.maxQueuedPerDevice } : {}),
      ...(config.maxAttachmentBytes ? { maxAttachmentBytes: config.maxAttachmentBytes } : {}),
      ...(config.notices ? { notices: config.notices } : {}),
      ...(config.disabledFeatures ? { disabledFeatures: config.disabledFeatures } : {}),
    },
    {
      storage,
      serverSecret: new Uint8Array(32).fill(9),
      blobs: new LocalDiskBlobStore(join(dataDir, 'attachments')),
      ...(config.sealedSender === null ? {} : { sealedSender: config.sealedSender ?? issueServerKeys(PrivateKey.generate()) }),
      ...(config.now ? { now: config.now } : {}),
    },
  );
  apps.push(app);
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.app.server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, app, storage, dataDir };
}

export interface Person {
  readonly name: string;
  readonly client: ParleyClient;
  readonly store: ClientStore;
  readonly events: ClientEvent[];
  /** Resolves with the first event (already seen or coming) that matches. */
  waitFor(pred: (e: ClientEvent) => boolean, what?: string, timeoutMs?: number): Promise<ClientEvent>;
  /** Resolves when a message with this body has arrived. */
  receives(body: string, timeoutMs?: number): Promise<ClientEvent>;
}

/** Options beside the server, store and sockets (attachment files, auto-download, fetch). */
export type PersonOptions = Omit<Partial<ClientOptions>, 'serverUrl' | 'store' | 'createWebSocket'>;

export function person(server: { url: string }, name: string, store: ClientStore = new MemoryClientStore(), createWebSocket: WebSocketFactory = nodeWebSocket, options: PersonOptions = {}): Person {
  const client = createClient({ ...options, serverUrl: server.url, store, createWebSocket });
  clients.push(client);
  const events: ClientEvent[] = [];
  const waiters: Array<{ pred: (e: ClientEvent) => boolean; resolve: (e: ClientEvent) => void }> = [];
  client.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve(e) : waiters.push(w));
  });
  const waitFor = (pred: (e: ClientEvent) => boolean, what = 'a client event', timeoutMs = 30_000) => {
    const found = events.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<ClientEvent>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${name} timed out waiting for ${what}`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(t), res(e)) });
    });
  };
  return {
    name,
    client,
    store,
    events,
    waitFor,
    receives: (body, timeoutMs) => waitFor((e) => e.type === 'message' && e.message.body === body, `the message "${body}"`, timeoutMs),
  };
}

/** A registered, connected person. */
export async function registered(server: { url: string }, name: string, store?: ClientStore, createWebSocket?: WebSocketFactory, options?: PersonOptions): Promise<Person> {
  const p = person(server, name, store, createWebSocket, options);
  await p.client.register(name);
  await p.client.connect();
  return p;
}

/** Links a new device to `existing`'s account (both sides, as the CLI and web app do); returns it connected. */
export async function linkedDevice(server: { url: string }, existing: Person, name = `${existing.name}-2`, store?: ClientStore, createWebSocket?: WebSocketFactory, options?: PersonOptions): Promise<Person> {
  const p = person(server, name, store, createWebSocket, options);
  let code: (c: string) => void = () => undefined;
  const shown = new Promise<string>((r) => (code = r));
  const linking = p.client.devices.linkAsNew(`test device ${name}`, { onCode: (text) => code(text) });
  await existing.client.devices.link(await shown);
  await linking;
  await p.client.connect();
  return p;
}

export async function stopAll(): Promise<void> {
  for (const c of clients.splice(0)) c.close();
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
