import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreCompliance } from '@parley/protocol/store-compliance';
import { SqliteClientStore } from './sqlite-store.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

runStoreCompliance('SqliteClientStore', async (identity, registrationId) => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  dirs.push(dir);
  const s = new SqliteClientStore(join(dir, 'state.sqlite'));
  s.saveAccount({ serverUrl: 'http://x', accountId: 'a', deviceId: 1, username: 'u', password: new Uint8Array(32), registrationId }, identity);
  return s;
});
