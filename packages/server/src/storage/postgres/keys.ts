/** PostgreSQL: prekeys (KeyStore). One-time keys are taken with SKIP LOCKED, so two fetches never get the same one. */
import type { KeyStore } from '../storage.ts';
import { u8, type Db } from './db.ts';

interface KeySqlRow {
  key_id: number;
  public_key: Buffer;
  signature: Buffer;
}

export function keyStore(db: Db): KeyStore {
  return {
    async storeKeys(accountId, deviceId, keys) {
      await db.tx(async (q) => {
        const pre = keys.preKeys ?? [];
        if (pre.length > 0) {
          await q(
            'INSERT INTO one_time_prekeys (account_id, device_id, key_id, public_key) SELECT $1, $2, k, p FROM unnest($3::int[], $4::bytea[]) AS t(k, p) ' +
              'ON CONFLICT (account_id, device_id, key_id) DO UPDATE SET public_key = excluded.public_key',
            [accountId, deviceId, pre.map((k) => k.keyId), pre.map((k) => k.publicKey)],
          );
        }
        const kem = keys.pqPreKeys ?? [];
        if (kem.length > 0) {
          await q(
            'INSERT INTO kem_prekeys (account_id, device_id, key_id, public_key, signature) SELECT $1, $2, k, p, s FROM unnest($3::int[], $4::bytea[], $5::bytea[]) AS t(k, p, s) ' +
              'ON CONFLICT (account_id, device_id, key_id) DO UPDATE SET public_key = excluded.public_key, signature = excluded.signature',
            [accountId, deviceId, kem.map((k) => k.keyId), kem.map((k) => k.publicKey), kem.map((k) => k.signature)],
          );
        }
        for (const [kind, k] of [['ec', keys.signedPreKey], ['kem', keys.pqLastResort]] as const) {
          if (!k) continue;
          await q(
            'INSERT INTO signed_prekeys (account_id, device_id, kind, key_id, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6) ' +
              'ON CONFLICT (account_id, device_id, kind) DO UPDATE SET key_id = excluded.key_id, public_key = excluded.public_key, signature = excluded.signature',
            [accountId, deviceId, kind, k.keyId, k.publicKey, k.signature],
          );
        }
      });
    },
    async preKeyCounts(accountId, deviceId) {
      const r = await db.query(
        'SELECT (SELECT COUNT(*) FROM one_time_prekeys WHERE account_id = $1 AND device_id = $2)::int AS pre, (SELECT COUNT(*) FROM kem_prekeys WHERE account_id = $1 AND device_id = $2)::int AS kem',
        [accountId, deviceId],
      );
      return { preKeys: r.rows[0].pre, pqPreKeys: r.rows[0].kem };
    },
    async takeDeviceKeys(accountId, deviceId, oneTime = true) {
      return db.tx(async (q) => {
        const dev = (await q('SELECT registration_id FROM devices WHERE account_id = $1 AND device_id = $2', [accountId, deviceId])).rows[0] as { registration_id: number } | undefined;
        const signed = (await q('SELECT kind, key_id, public_key, signature FROM signed_prekeys WHERE account_id = $1 AND device_id = $2', [accountId, deviceId])).rows as Array<
          KeySqlRow & { kind: string }
        >;
        const spk = signed.find((k) => k.kind === 'ec');
        const lastResort = signed.find((k) => k.kind === 'kem');
        if (!dev || !spk || !lastResort) return undefined;
        const take = (table: string, columns: string) =>
          q(
            `DELETE FROM ${table} WHERE account_id = $1 AND device_id = $2 AND key_id = ` +
              `(SELECT key_id FROM ${table} WHERE account_id = $1 AND device_id = $2 ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING ${columns}`,
            [accountId, deviceId],
          );
        const opk = oneTime ? ((await take('one_time_prekeys', 'key_id, public_key')).rows[0] as KeySqlRow | undefined) : undefined;
        const kem = oneTime ? ((await take('kem_prekeys', 'key_id, public_key, signature')).rows[0] as KeySqlRow | undefined) : undefined;
        const pq = kem ?? lastResort;
        return {
          deviceId,
          registrationId: dev.registration_id,
          signedPreKey: { keyId: spk.key_id, publicKey: u8(spk.public_key), signature: u8(spk.signature) },
          pqPreKey: { keyId: pq.key_id, publicKey: u8(pq.public_key), signature: u8(pq.signature) },
          preKey: opk ? { keyId: opk.key_id, publicKey: u8(opk.public_key) } : undefined,
        };
      });
    },
  };
}
