/** PostgreSQL: encrypted profiles and access keys (ProfileStore). */
import type { ProfileRecord, ProfileStore } from '../storage.ts';
import { u8, type Db } from './db.ts';

interface Row {
  account_id: string;
  version: string;
  name: Buffer;
  avatar: Buffer | null;
  access_key: Buffer;
  updated_at: number;
}

export function profileStore(db: Db): ProfileStore {
  return {
    async setProfile(p) {
      await db.query(
        'INSERT INTO profiles (account_id, version, name, avatar, access_key, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ' +
          'ON CONFLICT (account_id) DO UPDATE SET version = $2, name = $3, avatar = $4, access_key = $5, updated_at = $6',
        [p.accountId, p.version, p.name, p.avatar ?? null, p.accessKey, p.updatedAt],
      );
    },
    async profile(accountId): Promise<ProfileRecord | undefined> {
      const r = (await db.query('SELECT account_id, version, name, avatar, access_key, updated_at FROM profiles WHERE account_id = $1', [accountId])).rows[0] as Row | undefined;
      return r
        ? { accountId: r.account_id, version: r.version, name: u8(r.name), avatar: r.avatar ? u8(r.avatar) : undefined, accessKey: u8(r.access_key), updatedAt: Number(r.updated_at) }
        : undefined;
    },
    async accessKey(accountId) {
      const r = (await db.query('SELECT access_key FROM profiles WHERE account_id = $1', [accountId])).rows[0] as { access_key: Buffer } | undefined;
      return r ? u8(r.access_key) : undefined;
    },
  };
}
