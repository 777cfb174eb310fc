// The SQLite adapter runs the storage compliance suite, plus what only SQLite has:
// data directories written by earlier versions of the server keep working.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { storageCompliance } from './compliance.ts';
import { SqliteStorage } from './sqlite.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storageCompliance('sqlite', async () => new SqliteStorage(join(root, `db-${n++}.sqlite`)));

/** The schema as the first released server wrote it (before numbered migrations). */
const V0_SCHEMA = `
CREATE TABLE accounts (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, identity_key BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE devices (account_id TEXT NOT NULL REFERENCES accounts(id), device_id INTEGER NOT NULL, registration_id INTEGER NOT NULL, password_hash BLOB NOT NULL, PRIMARY KEY (account_id, device_id));
CREATE TABLE signed_prekeys (account_id TEXT NOT NULL, device_id INTEGER NOT NULL, kind TEXT NOT NULL, key_id INTEGER NOT NULL, public_key BLOB NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (account_id, device_id, kind));
CREATE TABLE one_time_prekeys (account_id TEXT NOT NULL, device_id INTEGER NOT NULL, key_id INTEGER NOT NULL, public_key BLOB NOT NULL, PRIMARY KEY (account_id, device_id, key_id));
CREATE TABLE kem_prekeys (account_id TEXT NOT NULL, device_id INTEGER NOT NULL, key_id INTEGER NOT NULL, public_key BLOB NOT NULL, signature BLOB NOT NULL, PRIMARY KEY (account_id, device_id, key_id));
CREATE TABLE envelopes (id INTEGER PRIMARY KEY AUTOINCREMENT, account_id TEXT NOT NULL, device_id INTEGER NOT NULL, source_account_id TEXT NOT NULL, source_username TEXT NOT NULL, source_device_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, server_timestamp INTEGER NOT NULL, message_type TEXT NOT NULL, content BLOB NOT NULL, ephemeral INTEGER NOT NULL);
CREATE INDEX envelopes_by_device ON envelopes (account_id, device_id, id);
`;

describe('sqlite: data written by the first version', () => {
  it('opens with its accounts, devices, keys and queued envelopes intact, and takes new data', async () => {
    const path = join(root, 'v0.sqlite');
    const old = new Database(path);
    old.exec(V0_SCHEMA);
    const id = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
    old.prepare('INSERT INTO accounts VALUES (?, ?, ?, ?)').run(id, 'alice', Buffer.alloc(33, 1), 1234);
    old.prepare('INSERT INTO devices VALUES (?, 1, 77, ?)').run(id, Buffer.alloc(32, 2));
    old.prepare('INSERT INTO signed_prekeys VALUES (?, 1, ?, 1, ?, ?)').run(id, 'ec', Buffer.alloc(33, 3), Buffer.alloc(64, 3));
    old.prepare('INSERT INTO signed_prekeys VALUES (?, 1, ?, 1, ?, ?)').run(id, 'kem', Buffer.alloc(1569, 4), Buffer.alloc(64, 4));
    old.prepare("INSERT INTO envelopes (account_id, device_id, source_account_id, source_username, source_device_id, timestamp, server_timestamp, message_type, content, ephemeral) VALUES (?, 1, ?, 'bob', 1, 5, 6, 'whisper', ?, 0)").run(id, id, Buffer.from([9, 9]));
    old.close();

    const s = new SqliteStorage(path);
    try {
      expect(await s.accountByUsername('alice')).toMatchObject({ id });
      expect(await s.device(id, 1)).toMatchObject({ registrationId: 77, createdAt: 1234, lastSeenAt: 1234, encryptedName: undefined });
      expect((await s.takeDeviceKeys(id, 1))?.pqPreKey.publicKey).toEqual(new Uint8Array(1569).fill(4));
      const [env] = await s.pending(id, 1, 0, 10);
      expect(env).toMatchObject({ sourceUsername: 'bob', messageType: 'whisper', content: new Uint8Array([9, 9]) });
      await s.createLinkToken(id, new Uint8Array(32), 10);
      expect(await s.linkDevice(new Uint8Array(32), { registrationId: 5, passwordHash: new Uint8Array(32) }, {
        signedPreKey: { keyId: 1, publicKey: new Uint8Array(33), signature: new Uint8Array(64) },
        pqLastResort: { keyId: 1, publicKey: new Uint8Array(1569), signature: new Uint8Array(64) },
      }, 5, { maxDevices: 6, maxDeviceId: 127 })).toMatchObject({ status: 'linked', deviceId: 2 });
      const update = { sourceAccountId: id, sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 7, serverTimestamp: 7, content: new Uint8Array([1]) };
      expect(await s.createGroup({ groupId: 'ab'.repeat(16), encryptedAttributes: new Uint8Array(4), members: [{ accountId: id, role: 'admin' }] }, update, 7)).toMatchObject({ status: 'done' });
      expect((await s.pending(id, 1, 0, 10)).map((e) => [e.messageType, e.groupId])).toEqual([
        ['whisper', undefined],
        ['group-update', 'ab'.repeat(16)],
      ]);
      expect(await s.createAttachment({ id: 'x'.repeat(32), ownerAccountId: id, ownerDeviceId: 1, size: 10, createdAt: 8, expiresAt: 9 })).toBe(true);
      expect(await s.pendingUploads(id)).toBe(1);
    } finally {
      await s.close();
    }
    // Opening it again runs no migration twice.
    const again = new SqliteStorage(path);
    expect((await again.devices(id)).map((d) => d.deviceId)).toEqual([1, 2]);
    await again.close();
  });
});
