/** PostgreSQL: accounts (AccountStore). */
import type { AccountRow, AccountStore, InitialKeys, NewDevice } from '../storage.ts';
import { u8, type Db } from './db.ts';
import { insertDevice } from './devices.ts';

interface AccountSqlRow {
  id: string;
  username: string;
  identity_key: Buffer;
}

export function accountRow(r: AccountSqlRow): AccountRow {
  return { id: r.id, username: r.username, identityKey: u8(r.identity_key) };
}

export function accountStore(db: Db): AccountStore {
  return {
    async createAccount(account: AccountRow, device: NewDevice, keys: InitialKeys, at: number): Promise<boolean> {
      return db.tx(async (q) => {
        // A taken username (even by a concurrent transaction, once it commits) inserts nothing.
        const r = await q('INSERT INTO accounts (id, username, identity_key, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING', [
          account.id,
          account.username,
          account.identityKey,
          at,
        ]);
        if (r.rowCount === 0) return false;
        await insertDevice(q, account.id, 1, device, keys, at);
        return true;
      });
    },
    async accountByUsername(username) {
      const r = await db.query('SELECT id, username, identity_key FROM accounts WHERE username = $1', [username]);
      return r.rows[0] ? accountRow(r.rows[0]) : undefined;
    },
    async accountById(id) {
      const r = await db.query('SELECT id, username, identity_key FROM accounts WHERE id = $1', [id]);
      return r.rows[0] ? accountRow(r.rows[0]) : undefined;
    },
    async accountsByIds(ids) {
      if (ids.length === 0) return [];
      const r = await db.query('SELECT id, username, identity_key FROM accounts WHERE id = ANY($1::text[])', [ids]);
      return r.rows.map(accountRow);
    },
  };
}
