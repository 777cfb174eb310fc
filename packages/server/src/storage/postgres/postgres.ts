/**
 * The PostgreSQL storage adapter: one pool, the schema migrated at start-up
 * (schema.ts), and one module per concept (accounts, devices, keys, queue,
 * groups, provisioning, attachment metadata, profiles), combined here into `Storage`. A new
 * concept is one more module and one more migration.
 *
 * Durability: PostgreSQL's defaults (fsync, synchronous_commit on), so a send's
 * transaction is on disk (and on synchronous replicas, where configured) before the
 * sender hears OK. Acks commit with synchronous_commit off (a lost ack is a
 * redelivery, which clients drop by message id).
 */
import type { Storage } from '../storage.ts';
import { accountStore } from './accounts.ts';
import { attachmentStore } from './attachments.ts';
import { Db, type DbOptions } from './db.ts';
import { deviceStore } from './devices.ts';
import { groupStore } from './groups.ts';
import { keyStore } from './keys.ts';
import { profileStore } from './profiles.ts';
import { provisioningStore } from './provisioning.ts';
import { messageQueue } from './queue.ts';
import { migrate } from './schema.ts';

export type PostgresOptions = DbOptions;

/** Connects, migrates the schema (safe with many nodes starting at once) and answers the store. */
export async function openPostgresStorage(opts: PostgresOptions): Promise<Storage> {
  const db = new Db(opts);
  try {
    await migrate((f) => db.tx(f));
  } catch (e) {
    await db.close();
    throw e;
  }
  return {
    ...accountStore(db),
    ...deviceStore(db),
    ...keyStore(db),
    ...messageQueue(db),
    ...groupStore(db),
    ...provisioningStore(db),
    ...attachmentStore(db),
    ...profileStore(db),
    queueIdsDense: true,
    close: () => db.close(),
  };
}
