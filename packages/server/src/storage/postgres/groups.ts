/**
 * PostgreSQL: groups (GroupStore). A change locks its group's row (FOR UPDATE)
 * for the whole transaction, so changes apply one revision at a time and a group
 * send that checked the revision (FOR SHARE, queue.ts) commits before or after a
 * change, never across it.
 */
import type { DestinedEnvelope, GroupMemberRecord, GroupRecord, GroupRole, GroupStore, GroupUpdate } from '../storage.ts';
import { u8, type Db, type Query } from './db.ts';
import { enqueueFanout } from './queue.ts';

/** Inside a transaction: the update envelope for every device of these accounts. */
async function writeUpdate(q: Query, groupId: string, accountIds: readonly string[], update: GroupUpdate): Promise<DestinedEnvelope[]> {
  const r = await q('SELECT account_id, device_id FROM devices WHERE account_id = ANY($1::text[]) ORDER BY account_id, device_id', [[...new Set(accountIds)]]);
  const to = (r.rows as Array<{ account_id: string; device_id: number }>).map((row) => ({ accountId: row.account_id, deviceId: row.device_id }));
  const envelope = { ...update, messageType: 'group-update' as const, groupId, ephemeral: false };
  const ids = await enqueueFanout(q, { envelope, to });
  return to.map((destination, i) => ({ ...envelope, id: ids[i]!, destination }));
}

async function insertMembers(q: Query, groupId: string, members: ReadonlyArray<{ accountId: string; role: GroupRole }>, at: number): Promise<void> {
  if (members.length === 0) return;
  // ORDER BY the position: seq (joining order) is drawn in this order.
  await q(
    'INSERT INTO group_members (group_id, account_id, role, joined_at) SELECT $1, a, r, $4 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(a, r, o) ORDER BY o',
    [groupId, members.map((m) => m.accountId), members.map((m) => m.role), at],
  );
}

async function memberIds(q: Query, groupId: string): Promise<string[]> {
  return ((await q('SELECT account_id FROM group_members WHERE group_id = $1 ORDER BY seq', [groupId])).rows as Array<{ account_id: string }>).map((r) => r.account_id);
}

export function groupStore(db: Db): GroupStore {
  const group = async (groupId: string): Promise<GroupRecord | undefined> => {
    const g = (await db.query('SELECT id, revision, encrypted_attributes FROM groups WHERE id = $1', [groupId])).rows[0] as
      | { id: string; revision: number; encrypted_attributes: Buffer }
      | undefined;
    if (!g) return undefined;
    // Rows as arrays: a group of 1,024 members reads ~6,000 of them.
    const rows = await db.query(
      'SELECT m.account_id, a.username, m.role, d.device_id, d.registration_id FROM group_members m ' +
        'JOIN accounts a ON a.id = m.account_id LEFT JOIN devices d ON d.account_id = m.account_id ' +
        'WHERE m.group_id = $1 ORDER BY m.seq, d.device_id',
      [groupId],
      'array',
    );
    const members: Array<GroupMemberRecord & { devices: Array<{ deviceId: number; registrationId: number }> }> = [];
    for (const [accountId, username, role, deviceId, registrationId] of rows.rows as Array<[string, string, GroupRole, number | null, number | null]>) {
      let m = members.at(-1);
      if (m?.accountId !== accountId) members.push((m = { accountId, username, role, devices: [] }));
      if (deviceId !== null) m.devices.push({ deviceId, registrationId: registrationId! });
    }
    return { groupId: g.id, revision: g.revision, encryptedAttributes: u8(g.encrypted_attributes), members };
  };

  return {
    async createGroup(g, update, at) {
      return db.tx(async (q) => {
        const r = await q('INSERT INTO groups (id, revision, encrypted_attributes, created_at, updated_at) VALUES ($1, 0, $2, $3, $3) ON CONFLICT (id) DO NOTHING', [
          g.groupId,
          g.encryptedAttributes,
          at,
        ]);
        if (r.rowCount === 0) return { status: 'conflict' as const };
        await insertMembers(q, g.groupId, g.members, at);
        const envelopes = await writeUpdate(q, g.groupId, g.members.map((m) => m.accountId), update);
        return { status: 'done' as const, revision: 0, envelopes };
      });
    },
    async changeGroup(change, update, at) {
      return db.tx(async (q) => {
        const current = (await q('SELECT revision FROM groups WHERE id = $1 FOR UPDATE', [change.groupId])).rows[0] as { revision: number } | undefined;
        if (!current || current.revision !== change.fromRevision) return { status: 'conflict' as const };
        const before = await memberIds(q, change.groupId);
        if (change.remove.length > 0) await q('DELETE FROM group_members WHERE group_id = $1 AND account_id = ANY($2::text[])', [change.groupId, change.remove]);
        await insertMembers(q, change.groupId, change.add, at);
        for (const r of change.roles) await q('UPDATE group_members SET role = $1 WHERE group_id = $2 AND account_id = $3', [r.role, change.groupId, r.accountId]);
        const revision = change.fromRevision + 1;
        if ((await memberIds(q, change.groupId)).length === 0) await q('DELETE FROM groups WHERE id = $1', [change.groupId]);
        else {
          await q('UPDATE groups SET revision = $1, encrypted_attributes = COALESCE($2, encrypted_attributes), updated_at = $3 WHERE id = $4', [
            revision,
            change.encryptedAttributes ?? null,
            at,
            change.groupId,
          ]);
        }
        const envelopes = await writeUpdate(q, change.groupId, [...before, ...change.add.map((m) => m.accountId)], update);
        return { status: 'done' as const, revision, envelopes };
      });
    },
    group,
    async groupsOf(accountId) {
      const ids = (await db.query('SELECT group_id FROM group_members WHERE account_id = $1 ORDER BY seq', [accountId])).rows as Array<{ group_id: string }>;
      const out: GroupRecord[] = [];
      for (const r of ids) {
        const g = await group(r.group_id);
        if (g) out.push(g);
      }
      return out;
    },
    async groupCounts(accountIds) {
      if (accountIds.length === 0) return new Map();
      const r = await db.query('SELECT account_id, COUNT(*)::int AS n FROM group_members WHERE account_id = ANY($1::text[]) GROUP BY account_id', [accountIds]);
      return new Map((r.rows as Array<{ account_id: string; n: number }>).map((row) => [row.account_id, row.n]));
    },
  };
}
