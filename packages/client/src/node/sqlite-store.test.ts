// The SQLite store: the client store compliance suite, and a profile written by
// the previous version migrating on open.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { runClientStoreCompliance } from '../storage/compliance.ts';
import { SqliteClientStore } from './sqlite-store.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const paths = new WeakMap<object, string>();
function freshPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  dirs.push(dir);
  return join(dir, 'state.sqlite');
}

runClientStoreCompliance('SqliteClientStore', {
  async open() {
    const path = freshPath();
    const s = new SqliteClientStore(path);
    paths.set(s, path);
    return s;
  },
  async reopen(store) {
    store.close();
    const s = new SqliteClientStore(paths.get(store)!);
    paths.set(s, paths.get(store)!);
    return s;
  },
});

describe('SqliteClientStore migration', () => {
  it('a profile from before replies and reactions (version 3) keeps its messages and takes quotes, reactions, edits and tombstones', async () => {
    const path = freshPath();
    const old = new Database(path);
    old.exec(`
      CREATE TABLE messages (row_id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, direction TEXT NOT NULL, client_id TEXT NOT NULL, sender_account TEXT NOT NULL,
        timestamp INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'text', attachment TEXT, UNIQUE (sender_account, client_id));
      CREATE TABLE contacts (account_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, device_ids TEXT NOT NULL, accepted INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0);
      INSERT INTO messages (conversation, direction, client_id, sender_account, timestamp, body, status) VALUES ('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'in', 'aaaaaaaa-1', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 1, 'hi', 'received');
      PRAGMA user_version = 3;
    `);
    // (Opening migrates it through versions 4 and 5: quotes, reactions, edits, deletions and disappearing messages.)
    old.close();
    const s = new SqliteClientStore(path);
    const [m] = s.messages.list();
    expect(m).toEqual({ rowId: 1, conversation: 'direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', direction: 'in', kind: 'text', clientId: 'aaaaaaaa-1', senderAccountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', timestamp: 1, body: 'hi', status: 'received', seen: false });
    await s.transaction(async (tx) => tx.messages.replace({ ...m!, reactions: [{ author: 'me', emoji: '👍', ts: 2 }], body: 'hi!', edits: 1, editedAt: 2 }));
    expect(s.messages.find('9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'aaaaaaaa-1')).toMatchObject({ body: 'hi!', edits: 1, reactions: [{ emoji: '👍' }] });
    await s.transaction(async (tx) => {
      tx.conversationSettings.save('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', { expireSeconds: 30 });
      tx.messages.replace({ ...s.messages.list()[0]!, expiresInMs: 30_000 });
      tx.messages.markSeen([1], 10);
    });
    expect(s.messages.nextExpiry()).toBe(30_010);
    s.close();
  });

  it('a profile from before remembered refusals (version 6) keeps its contacts and takes a refused key', async () => {
    const path = freshPath();
    new SqliteClientStore(path).close();
    // What version 6 wrote: the contacts table without sealed_refused_key.
    const old = new Database(path);
    old.exec(`
      DROP TABLE contacts;
      CREATE TABLE contacts (account_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, device_ids TEXT NOT NULL, accepted INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0,
        profile_key BLOB, profile_name TEXT, profile_key_shared INTEGER NOT NULL DEFAULT 0);
      INSERT INTO contacts (account_id, username, device_ids, accepted, profile_key) VALUES ('9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'bob', '[1]', 1, zeroblob(32));
      PRAGMA user_version = 6;
    `);
    old.close();
    const s = new SqliteClientStore(path);
    const bob = s.contacts.byUsername('bob')!;
    expect(bob).toEqual({ accountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', username: 'bob', deviceIds: [1], accepted: true, blocked: false, profileKey: new Uint8Array(32) });
    await s.transaction(async (tx) => tx.contacts.save({ ...bob, sealedRefusedKey: new Uint8Array(32) }));
    expect(s.contacts.byUsername('bob')?.sealedRefusedKey).toEqual(new Uint8Array(32));
    s.close();
  });

  it('a profile from before attachments keeps its messages and takes messages with attachments', () => {
    const path = freshPath();
    const v2 = new SqliteClientStore(path);
    v2.close();
    // What version 2 wrote: the messages table without the attachment column.
    const old = new Database(path);
    old.exec(`
      DROP TABLE messages;
      CREATE TABLE messages (row_id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, direction TEXT NOT NULL, client_id TEXT NOT NULL, sender_account TEXT NOT NULL,
        timestamp INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT 'text', UNIQUE (sender_account, client_id));
      INSERT INTO messages (conversation, direction, client_id, sender_account, timestamp, body, status) VALUES ('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'in', 'aaaaaaaa-1', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 1, 'hi', 'received');
      PRAGMA user_version = 2;
    `);
    old.close();
    const s = new SqliteClientStore(path);
    expect(s.messages.list().map((m) => [m.body, m.attachment])).toEqual([['hi', undefined]]);
    const attachment = { id: 'A'.repeat(32), key: new Uint8Array(64), digest: new Uint8Array(32), size: 1, contentType: 'text/plain', state: 'remote' as const };
    return s
      .transaction(async (tx) => tx.messages.add({ conversation: 'direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', direction: 'in', kind: 'text', clientId: 'aaaaaaaa-2', senderAccountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', timestamp: 2, body: '', status: 'received', attachment }))
      .then(() => {
        expect(s.messages.find('9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'aaaaaaaa-2')?.attachment).toEqual(attachment);
        s.close();
      });
  });

  it('a profile from before conversation ids keeps its history, under the contact\'s conversation', () => {
    const path = freshPath();
    const old = new Database(path);
    old.exec(`
      CREATE TABLE contacts (account_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, device_ids TEXT NOT NULL);
      CREATE TABLE messages (row_id INTEGER PRIMARY KEY AUTOINCREMENT, conversation TEXT NOT NULL, direction TEXT NOT NULL, client_id TEXT NOT NULL,
        sender_account TEXT NOT NULL, timestamp INTEGER NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 0, UNIQUE (sender_account, client_id));
      INSERT INTO contacts VALUES ('9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'bob', '[1]');
      INSERT INTO messages (conversation, direction, client_id, sender_account, timestamp, body, status) VALUES ('bob', 'in', 'aaaaaaaa-1', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 1, 'hi', 'received');
      INSERT INTO messages (conversation, direction, client_id, sender_account, timestamp, body, status) VALUES ('bob', 'in', 'call-abc', '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 2, 'Missed voice call', 'received');
    `);
    old.close();
    const s = new SqliteClientStore(path);
    const msgs = s.messages.list('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a');
    expect(msgs.map((m) => [m.body, m.kind])).toEqual([['hi', 'text'], ['Missed voice call', 'system']]);
    expect(s.contacts.byUsername('bob')?.accepted).toBe(true);
    s.close();
    // Opening again does not migrate twice.
    const again = new SqliteClientStore(path);
    expect(again.messages.list()).toHaveLength(2);
    again.close();
  });
});
