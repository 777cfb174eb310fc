/**
 * Test support: what a real test server keeps, read straight from its SQLite file
 * (the rows of a device's queues), and waiting for a condition to come true.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { TestServer } from './harness.ts';

/** A queued envelope as the server stores it. */
export type EnvelopeRow = Record<string, unknown> & {
  id: number;
  device_id: number;
  message_type: string;
  source_account_id: string | null;
  source_username: string | null;
  source_device_id: number | null;
  content: Buffer;
};

function read<T>(server: TestServer, f: (db: Database.Database) => T): T {
  const db = new Database(join(server.dataDir, 'parley.sqlite'), { readonly: true });
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** The rows of `accountId`'s queues after row `afterId`. */
export function rows(server: TestServer, accountId: string, afterId = 0): EnvelopeRow[] {
  return read(server, (db) => db.prepare('SELECT * FROM envelopes WHERE account_id = ? AND id > ? ORDER BY id').all(accountId, afterId) as EnvelopeRow[]);
}

/** The id of the last row queued so far (0 for none). */
export function lastRowId(server: TestServer): number {
  return read(server, (db) => (db.prepare('SELECT COALESCE(MAX(id), 0) AS n FROM envelopes').get() as { n: number }).n);
}

/** Resolves once `pred` holds (polled every 20 ms, for at most 20 s); else fails naming `what`. */
export async function eventually(pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} never happened`);
}
