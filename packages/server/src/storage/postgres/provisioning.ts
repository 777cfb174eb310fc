/** PostgreSQL: provisioning channels (ProvisioningStore). */
import type { ProvisioningStore } from '../storage.ts';
import { u8, type Db } from './db.ts';

export function provisioningStore(db: Db): ProvisioningStore {
  return {
    async openChannel(c) {
      const r = await db.query('INSERT INTO provisioning_channels (id, public_key, read_token_hash, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING', [
        c.id,
        c.publicKey,
        c.readTokenHash,
        c.expiresAt,
      ]);
      return r.rowCount === 1;
    },
    async channel(id, now) {
      const r = await db.query('SELECT id, public_key, read_token_hash, expires_at FROM provisioning_channels WHERE id = $1 AND expires_at > $2', [id, now]);
      const c = r.rows[0] as { id: string; public_key: Buffer; read_token_hash: Buffer; expires_at: number } | undefined;
      return c ? { id: c.id, publicKey: u8(c.public_key), readTokenHash: u8(c.read_token_hash), expiresAt: c.expires_at } : undefined;
    },
    async putChannelMessage(id, message, now) {
      return db.tx(async (q) => {
        const c = (await q('SELECT state FROM provisioning_channels WHERE id = $1 AND expires_at > $2 FOR UPDATE', [id, now])).rows[0] as { state: number } | undefined;
        if (!c) return 'expired' as const;
        if (c.state !== 0) return 'conflict' as const;
        await q('UPDATE provisioning_channels SET state = 1, message = $1 WHERE id = $2', [message, id]);
        return 'stored' as const;
      });
    },
    async takeChannelMessage(id, now) {
      return db.tx(async (q) => {
        const c = (await q('SELECT message FROM provisioning_channels WHERE id = $1 AND expires_at > $2 AND state = 1 FOR UPDATE', [id, now])).rows[0] as
          | { message: Buffer }
          | undefined;
        if (!c) return undefined;
        await q('UPDATE provisioning_channels SET state = 2, message = NULL WHERE id = $1', [id]);
        return u8(c.message);
      });
    },
    async dropExpiredChannels(now) {
      return (await db.query('DELETE FROM provisioning_channels WHERE expires_at <= $1', [now])).rowCount ?? 0;
    },
  };
}
