/** PostgreSQL: linked devices and link tokens (DeviceStore). */
import type { DeviceRow, DeviceStore, InitialKeys, LinkResult, NewDevice } from '../storage.ts';
import { accountRow } from './accounts.ts';
import { u8, type Db, type Query } from './db.ts';

interface DeviceSqlRow {
  account_id: string;
  device_id: number;
  registration_id: number;
  password_hash: Buffer;
  created_at: number;
  last_seen_at: number;
  encrypted_name: Buffer | null;
}

const DEVICE_COLUMNS = 'account_id, device_id, registration_id, password_hash, created_at, last_seen_at, encrypted_name';

function deviceRow(r: DeviceSqlRow): DeviceRow {
  return {
    accountId: r.account_id,
    deviceId: r.device_id,
    registrationId: r.registration_id,
    passwordHash: u8(r.password_hash),
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    encryptedName: r.encrypted_name ? u8(r.encrypted_name) : undefined,
  };
}

/** Inside a transaction: the device row and its signed and last-resort keys. */
export async function insertDevice(q: Query, accountId: string, deviceId: number, device: NewDevice, keys: InitialKeys, at: number): Promise<void> {
  await q(`INSERT INTO devices (${DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $5, $6)`, [accountId, deviceId, device.registrationId, device.passwordHash, at, device.encryptedName ?? null]);
  const { signedPreKey: spk, pqLastResort: kem } = keys;
  await q(
    'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6), ($1, $2, $7, $8, $9, $10) ' +
      'ON CONFLICT (account_id, device_id, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature',
    [accountId, deviceId, 'ec', spk.keyId, spk.publicKey, spk.signature, 'kem', kem.keyId, kem.publicKey, kem.signature],
  );
}

export function deviceStore(db: Db): DeviceStore {
  return {
    async device(accountId, deviceId) {
      const r = await db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE account_id = $1 AND device_id = $2`, [accountId, deviceId]);
      return r.rows[0] ? deviceRow(r.rows[0]) : undefined;
    },
    async devices(accountId) {
      const r = await db.query(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE account_id = $1 ORDER BY device_id`, [accountId]);
      return r.rows.map(deviceRow);
    },
    async unlinkedAt(accountId, deviceId) {
      const r = await db.query('SELECT unlinked_at FROM device_tombstones WHERE account_id = $1 AND device_id = $2', [accountId, deviceId]);
      return r.rows[0]?.unlinked_at;
    },
    async touchDevice(accountId, deviceId, at) {
      await db.query('UPDATE devices SET last_seen_at = $1 WHERE account_id = $2 AND device_id = $3', [at, accountId, deviceId]);
    },
    async changePassword(accountId, deviceId, passwordHash) {
      const r = await db.query('UPDATE devices SET password_hash = $1 WHERE account_id = $2 AND device_id = $3', [passwordHash, accountId, deviceId]);
      return r.rowCount === 1;
    },
    async createLinkToken(accountId, tokenHash, expiresAt) {
      await db.query('INSERT INTO link_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)', [tokenHash, accountId, expiresAt]);
    },
    async linkDevice(tokenHash, device, keys, at, limits): Promise<LinkResult> {
      return db.tx(async (q): Promise<LinkResult> => {
        const token = (await q('SELECT account_id, expires_at FROM link_tokens WHERE token_hash = $1 FOR UPDATE', [tokenHash])).rows[0] as
          | { account_id: string; expires_at: number }
          | undefined;
        if (!token || token.expires_at <= at) return { status: 'expired' };
        // Why the row lock: two links to one account at once must not take the same device id.
        const a = (await q('SELECT id, username, identity_key FROM accounts WHERE id = $1 FOR UPDATE', [token.account_id])).rows[0];
        if (!a) return { status: 'expired' };
        const account = accountRow(a);
        const counts = (
          await q(
            'SELECT (SELECT COUNT(*) FROM devices WHERE account_id = $1)::int AS active, ' +
              'GREATEST((SELECT MAX(device_id) FROM devices WHERE account_id = $1), (SELECT MAX(device_id) FROM device_tombstones WHERE account_id = $1)) AS max_id',
            [account.id],
          )
        ).rows[0] as { active: number; max_id: number | null };
        const next = (counts.max_id ?? 0) + 1;
        if (counts.active >= limits.maxDevices || next > limits.maxDeviceId) return { status: 'too-many' };
        await q('DELETE FROM link_tokens WHERE token_hash = $1', [tokenHash]);
        await insertDevice(q, account.id, next, device, keys, at);
        return { status: 'linked', account, deviceId: next };
      });
    },
    async unlinkDevice(accountId, deviceId, at) {
      return db.tx(async (q) => {
        if ((await q('DELETE FROM devices WHERE account_id = $1 AND device_id = $2', [accountId, deviceId])).rowCount === 0) return false;
        for (const table of ['envelopes', 'queue_heads', 'signed_prekeys', 'one_time_prekeys', 'kem_prekeys']) {
          await q(`DELETE FROM ${table} WHERE account_id = $1 AND device_id = $2`, [accountId, deviceId]);
        }
        await q(
          'INSERT INTO device_tombstones (account_id, device_id, unlinked_at) VALUES ($1, $2, $3) ON CONFLICT (account_id, device_id) DO UPDATE SET unlinked_at = excluded.unlinked_at',
          [accountId, deviceId, at],
        );
        return true;
      });
    },
    async dropExpiredLinkTokens(now) {
      return (await db.query('DELETE FROM link_tokens WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}
