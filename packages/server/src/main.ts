/**
 * `npm start`: the Parley server. With nothing set, the embedded single node
 * (SQLite under ./data, http://localhost:8080). With PARLEY_DATABASE_URL=postgres://...
 * and PARLEY_REDIS_URL=redis://..., one of many stateless nodes sharing them
 * (docs/DEPLOY.md). Prints where it listens.
 */
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { buildApp, type ClusterLink } from './app.ts';
import { parseConfig, SETTINGS, type ServerConfig } from './config.ts';
import { LocalDiskBlobStore } from './attachments/local-disk.ts';
import { loadNoticesFile } from './notices/notices.ts';
import { loadServerSecret } from './auth/credentials.ts';
import { RedisCluster } from './cluster/redis-cluster.ts';
import { loadOrCreateServerKeys, parseServerKeys, type SealedSenderKeys } from './sealed/keys.ts';
import { openPostgresStorage } from './storage/postgres/postgres.ts';
import { SqliteStorage } from './storage/sqlite.ts';
import { metricsText } from './metrics/metrics.ts';
import type { Storage } from './storage/storage.ts';

function fail(message: string, code = 2): never {
  console.error(`parley-server: ${message}`);
  process.exit(code);
}

async function openStorage(config: ServerConfig, dataDir: string): Promise<{ storage: Storage; shared: boolean }> {
  const url = config.databaseUrl ?? `sqlite:${join(dataDir, 'parley.sqlite')}`;
  if (url.startsWith('sqlite:')) return { storage: new SqliteStorage(url.slice('sqlite:'.length)), shared: false };
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      return { storage: await openPostgresStorage({ connectionString: url, poolSize: config.databasePoolSize }), shared: true };
    } catch (e) {
      fail(`cannot open the PostgreSQL database ${url.replace(/:[^:@/]*@/, ':***@')}: ${(e as Error).message}; check that it runs and the URL`, 1);
    }
  }
  fail(`unsupported --database-url ${url}; use sqlite:<file> or postgres://user:password@host:port/database`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('Usage: npm start -- [options]\n');
    for (const s of SETTINGS) console.log(`  --${s.flag.padEnd(28)} ${s.env.padEnd(36)} ${s.doc} (default: ${s.def || 'see text'})`);
    return;
  }
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (e) {
    fail((e as Error).message);
  }
  const dataDir = resolve(config.dataDir);
  // Owner-only: the database, the server secret and the attachments are nobody else's to read.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const { storage, shared } = await openStorage(config, dataDir);
  if (config.redisUrl && !shared) fail('--redis-url needs a shared database: set --database-url postgres://...');
  // Why: each node would otherwise make its own secret, and no node could check passwords set through another.
  if (shared && !config.serverSecret) fail('with a postgres:// database, set PARLEY_SERVER_SECRET to the same 64 hex digits on every node (openssl rand -hex 32)');
  let cluster: (ClusterLink & { nodeId: string }) | undefined;
  if (config.redisUrl) {
    try {
      cluster = await RedisCluster.connect({
        url: config.redisUrl,
        log: { warn: (m) => console.warn(`parley-server: ${m}`), info: (m) => console.log(`parley-server: ${m}`) },
      });
    } catch (e) {
      fail((e as Error).message, 1);
    }
  }
  const serverSecret = config.serverSecret ?? loadServerSecret(dataDir);
  let sealedSender: SealedSenderKeys | undefined;
  try {
    if (config.sealedSenderKeys) sealedSender = parseServerKeys(readFileSync(config.sealedSenderKeys, 'utf8'), config.sealedSenderKeys);
    // Why not made per node: every node must sign with keys that chain to the one trust root clients pin.
    else if (!shared) sealedSender = loadOrCreateServerKeys(dataDir);
    else console.warn('parley-server: sealed sender is off (clients send every message identified); give every node the same --sealed-sender-keys file (docs/DEPLOY.md)');
  } catch (e) {
    fail((e as Error).message);
  }
  let notices;
  try {
    notices = config.noticesFile ? loadNoticesFile(config.noticesFile) : undefined;
  } catch (e) {
    fail((e as Error).message);
  }
  const blobs = new LocalDiskBlobStore(config.attachmentsDir ?? join(dataDir, 'attachments'));
  const server = await buildApp(
    { ...config, attachmentTtlMs: config.attachmentTtlDays * 24 * 3600_000, notices },
    { storage, serverSecret, blobs, ...(cluster ? { cluster } : {}), ...(sealedSender ? { sealedSender } : {}) },
  );
  try {
    await server.app.listen({ host: config.host, port: config.port });
  } catch (e) {
    fail(`cannot listen on ${config.host}:${config.port}: ${(e as Error).message}; choose another --port`, 1);
  }
  if (config.metricsPort !== 0) {
    // Why loopback only: metrics reveal load and error counts; a scraper on the same host (or a tunnel) reads them.
    const metricsServer = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      metricsText(server.metrics).then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((ok, no) => metricsServer.once('error', no).listen(config.metricsPort, '127.0.0.1', ok)).catch((e: unknown) =>
      fail(`cannot listen for metrics on 127.0.0.1:${config.metricsPort}: ${(e as Error).message}; choose another --metrics-port`, 1),
    );
    metricsServer.unref();
  }
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shown = config.host === '127.0.0.1' || config.host === '0.0.0.0' ? 'localhost' : config.host;
  const where = shared ? `PostgreSQL${cluster ? ` + Redis, node ${cluster.nodeId}` : ', single node'}` : `data in ${dataDir}`;
  console.log(`Parley server listening on http://${shown}:${port} (${where}${config.webRoot ? '; web app at /' : ''})`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
