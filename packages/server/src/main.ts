/**
 * `npm start`: the Parley server with the embedded defaults (SQLite under
 * ./data, http://localhost:8080). Prints where it listens.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApp } from './app.ts';
import { parseConfig, SETTINGS } from './config.ts';
import { LocalDiskBlobStore } from './attachments/local-disk.ts';
import { loadServerSecret } from './auth/credentials.ts';
import { SqliteStorage } from './storage/sqlite.ts';

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
    console.error(`parley-server: ${(e as Error).message}`);
    process.exit(2);
  }
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const url = config.databaseUrl ?? `sqlite:${join(dataDir, 'parley.sqlite')}`;
  if (!url.startsWith('sqlite:')) {
    console.error(`parley-server: unsupported PARLEY_DATABASE_URL ${url}; use sqlite:<file> (PostgreSQL support comes later)`);
    process.exit(2);
  }
  const storage = new SqliteStorage(url.slice('sqlite:'.length));
  const server = await buildApp(
    { ...config, attachmentTtlMs: config.attachmentTtlDays * 24 * 3600_000 },
    { storage, serverSecret: loadServerSecret(dataDir), blobs: new LocalDiskBlobStore(join(dataDir, 'attachments')) },
  );
  try {
    await server.app.listen({ host: config.host, port: config.port });
  } catch (e) {
    console.error(`parley-server: cannot listen on ${config.host}:${config.port}: ${(e as Error).message}; choose another --port`);
    process.exit(1);
  }
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shown = config.host === '127.0.0.1' || config.host === '0.0.0.0' ? 'localhost' : config.host;
  console.log(`Parley server listening on http://${shown}:${port} (data in ${dataDir}${config.webRoot ? '; web app at /' : ''})`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
