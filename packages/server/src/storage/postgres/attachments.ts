/** PostgreSQL: attachment upload metadata (AttachmentStore); the bytes are in the blob store. */
import type { AttachmentRecord, AttachmentStore } from '../storage.ts';
import type { Db } from './db.ts';

interface Row {
  id: string;
  owner_account_id: string;
  owner_device_id: number;
  size: number;
  committed: number;
  created_at: number;
  expires_at: number;
}

export function attachmentStore(db: Db): AttachmentStore {
  return {
    async createAttachment(a) {
      const r = await db.query(
        'INSERT INTO attachments (id, owner_account_id, owner_device_id, size, committed, created_at, expires_at) VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT (id) DO NOTHING',
        [a.id, a.ownerAccountId, a.ownerDeviceId, a.size, a.createdAt, a.expiresAt],
      );
      return r.rowCount === 1;
    },
    async attachment(id): Promise<AttachmentRecord | undefined> {
      const r = (await db.query('SELECT id, owner_account_id, owner_device_id, size, committed, created_at, expires_at FROM attachments WHERE id = $1', [id]))
        .rows[0] as Row | undefined;
      return r
        ? {
            id: r.id,
            ownerAccountId: r.owner_account_id,
            ownerDeviceId: r.owner_device_id,
            size: r.size,
            committed: r.committed,
            createdAt: r.created_at,
            expiresAt: r.expires_at,
          }
        : undefined;
    },
    async commitAttachment(id, from, to, finishedExpiresAt) {
      const r = await db.query(
        'UPDATE attachments SET committed = $3, expires_at = CASE WHEN $3 = size THEN $4 ELSE expires_at END WHERE id = $1 AND committed = $2 AND $3 <= size',
        [id, from, to, finishedExpiresAt],
      );
      return r.rowCount === 1;
    },
    async pendingUploads(accountId) {
      const r = await db.query('SELECT COUNT(*)::integer AS n FROM attachments WHERE owner_account_id = $1 AND committed < size', [accountId]);
      return (r.rows[0] as { n: number }).n;
    },
    async expiredAttachments(now, limit) {
      const r = await db.query('SELECT id FROM attachments WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2', [now, limit]);
      return (r.rows as Array<{ id: string }>).map((x) => x.id);
    },
    async existingAttachments(ids) {
      if (ids.length === 0) return new Set();
      const r = await db.query('SELECT id FROM attachments WHERE id = ANY($1::text[])', [ids]);
      return new Set((r.rows as Array<{ id: string }>).map((x) => x.id));
    },
    async deleteAttachment(id) {
      await db.query('DELETE FROM attachments WHERE id = $1', [id]);
    },
  };
}
