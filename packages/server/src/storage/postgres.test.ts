// The PostgreSQL adapter runs the storage compliance suite against a real server
// (a throwaway one on loopback, testing/engines.ts), plus what only it has:
// migrations from several nodes at once, concurrent writers to one queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PostgresServer } from '../testing/engines.ts';
import { sampleAccount, storageCompliance } from './compliance.ts';
import { openPostgresStorage } from './postgres/postgres.ts';
import pg from 'pg';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres({ fsync: false });
});
afterAll(async () => server?.stop());

let n = 0;
/** A store in a schema of its own, so every test starts empty. */
async function freshSchema(): Promise<string> {
  const schema = `t${n++}`;
  const c = new pg.Client(server.url);
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  return schema;
}

storageCompliance('postgres', async () => openPostgresStorage({ connectionString: server.url, options: `-c search_path=${await freshSchema()}` }));

describe('postgres', () => {
  it('migrates once when several nodes start at once, and again finds nothing to do', async () => {
    const options = `-c search_path=${await freshSchema()}`;
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStorage({ connectionString: server.url, options })));
    const a = sampleAccount('alice');
    expect(await stores[0]!.createAccount(a.account, a.device, a.keys, 1)).toBe(true);
    expect(await stores[3]!.accountByUsername('alice')).toEqual(a.account);
    for (const s of stores) await s.close();
    const again = await openPostgresStorage({ connectionString: server.url, options });
    expect(await again.accountById(a.account.id)).toEqual(a.account);
    await again.close();
  });

  it('numbers a queue 1, 2, 3, ... without gaps or reordering under concurrent writers', async () => {
    const options = `-c search_path=${await freshSchema()}`;
    const writers = await Promise.all([1, 2, 3].map(() => openPostgresStorage({ connectionString: server.url, options, poolSize: 4 })));
    const a = sampleAccount('alice');
    await writers[0]!.createAccount(a.account, a.device, a.keys, 1);
    const envelope = (i: number) => ({
      destinationAccountId: a.account.id,
      destinationDeviceId: 1,
      sourceAccountId: a.account.id,
      sourceUsername: 'alice',
      sourceDeviceId: 1,
      timestamp: i,
      serverTimestamp: i,
      messageType: 'whisper' as const,
      content: new Uint8Array([i & 255]),
      ephemeral: false,
    });
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => writers[i % 3]!.enqueueBatch([{ envelopes: [envelope(i)] }])));
    expect(results.flatMap((r) => r[0] as number[]).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect((await writers[1]!.pending(a.account.id, 1, 0, 100)).map((e) => e.id)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const s of writers) await s.close();
  });

  it('answers StorageUnavailable while the server is down, and works again after it restarts', async () => {
    const s = await openPostgresStorage({ connectionString: server.url, options: `-c search_path=${await freshSchema()}` });
    const a = sampleAccount('alice');
    await s.createAccount(a.account, a.device, a.keys, 1);
    await server.kill();
    await expect(s.accountById(a.account.id)).rejects.toMatchObject({ name: 'StorageUnavailable' });
    await expect(s.createAccount(sampleAccount('bob').account, a.device, a.keys, 2)).rejects.toMatchObject({ name: 'StorageUnavailable' });
    await server.start();
    expect(await s.accountById(a.account.id)).toEqual(a.account);
    await s.close();
  });
});
