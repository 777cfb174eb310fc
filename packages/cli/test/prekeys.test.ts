// `parley inbox` tops up one-time prekeys (issue 16): a drained user who only ever
// runs `inbox` gets fresh ones, as `chat` always did.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { cli, removeTempDirs, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

describe('prekey top-up', () => {
  it('inbox replaces drained one-time prekeys', { timeout: 180_000 }, async () => {
    const dataDir = tempDir('srv');
    const s = await startServer(dataDir);
    servers.push(s);
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'dana', 'register', 'dana'], env)).code).toBe(0);
    const count = () => {
      const db = new Database(join(dataDir, 'parley.sqlite'));
      try {
        return {
          ec: (db.prepare('SELECT COUNT(*) AS n FROM one_time_prekeys').get() as { n: number }).n,
          kem: (db.prepare('SELECT COUNT(*) AS n FROM kem_prekeys').get() as { n: number }).n,
        };
      } finally {
        db.close();
      }
    };
    expect(count().ec).toBeGreaterThan(0);
    // Drained, as many sessions started by others would leave her.
    const db = new Database(join(dataDir, 'parley.sqlite'));
    db.exec('DELETE FROM one_time_prekeys; DELETE FROM kem_prekeys;');
    db.close();
    expect(count()).toEqual({ ec: 0, kem: 0 });
    const inbox = await cli(home, ['--profile', 'dana', 'inbox'], env);
    expect(inbox.code).toBe(0);
    const after = count();
    expect(after.ec).toBeGreaterThanOrEqual(50);
    expect(after.kem).toBeGreaterThan(0);
  });
});
