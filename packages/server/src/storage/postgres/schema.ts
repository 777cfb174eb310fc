/**
 * The PostgreSQL schema as numbered migrations, applied at start-up. Several nodes
 * may start at once: each takes a transaction-level advisory lock, reads the
 * version, and applies what is missing in the same transaction (DDL is
 * transactional in PostgreSQL), so exactly one applies each migration and the
 * others find it done. Migrations are only ever appended.
 *
 * Differences from SQLite's schema, on purpose:
 * - envelope ids are per device queue (`queue_heads.last_id`, taken under the row
 *   lock of the device's head): ids in a queue are committed in id order even with
 *   many nodes writing, so a reader that saw id n has seen every id below it;
 * - a group message's content is a `payloads` row shared by its envelopes, released
 *   by a trigger when the last of them goes, as in SQLite.
 */
import type { Query } from './db.ts';

/** Migration n takes the schema from version n to n + 1. */
export const MIGRATIONS: readonly string[] = [
  // 1: accounts, devices, keys, queues, groups, provisioning (the SQLite schema at its version 2).
  `
  CREATE TABLE accounts (
    id text PRIMARY KEY, username text NOT NULL UNIQUE, identity_key bytea NOT NULL, created_at bigint NOT NULL
  );
  CREATE TABLE devices (
    account_id text NOT NULL REFERENCES accounts(id), device_id integer NOT NULL,
    registration_id integer NOT NULL, password_hash bytea NOT NULL,
    created_at bigint NOT NULL, last_seen_at bigint NOT NULL, encrypted_name bytea,
    PRIMARY KEY (account_id, device_id)
  );
  CREATE TABLE device_tombstones (
    account_id text NOT NULL, device_id integer NOT NULL, unlinked_at bigint NOT NULL, PRIMARY KEY (account_id, device_id)
  );
  CREATE TABLE link_tokens (token_hash bytea PRIMARY KEY, account_id text NOT NULL, expires_at bigint NOT NULL);
  CREATE INDEX link_tokens_by_expiry ON link_tokens (expires_at);
  CREATE TABLE provisioning_channels (
    id text PRIMARY KEY, public_key bytea NOT NULL, read_token_hash bytea NOT NULL, expires_at bigint NOT NULL,
    -- 0: waiting for the message, 1: message waiting, 2: message taken
    state smallint NOT NULL DEFAULT 0, message bytea
  );
  CREATE INDEX provisioning_channels_by_expiry ON provisioning_channels (expires_at);
  CREATE TABLE signed_prekeys (
    account_id text NOT NULL, device_id integer NOT NULL, kind text NOT NULL,
    key_id integer NOT NULL, public_key bytea NOT NULL, signature bytea NOT NULL,
    PRIMARY KEY (account_id, device_id, kind)
  );
  CREATE TABLE one_time_prekeys (
    account_id text NOT NULL, device_id integer NOT NULL, key_id integer NOT NULL, public_key bytea NOT NULL,
    PRIMARY KEY (account_id, device_id, key_id)
  );
  CREATE TABLE kem_prekeys (
    account_id text NOT NULL, device_id integer NOT NULL, key_id integer NOT NULL, public_key bytea NOT NULL, signature bytea NOT NULL,
    PRIMARY KEY (account_id, device_id, key_id)
  );
  CREATE TABLE queue_heads (
    account_id text NOT NULL, device_id integer NOT NULL, last_id bigint NOT NULL, PRIMARY KEY (account_id, device_id)
  );
  CREATE TABLE payloads (id bigserial PRIMARY KEY, content bytea NOT NULL, refs integer NOT NULL);
  CREATE TABLE envelopes (
    account_id text NOT NULL, device_id integer NOT NULL, id bigint NOT NULL,
    source_account_id text NOT NULL, source_username text NOT NULL, source_device_id integer NOT NULL,
    timestamp bigint NOT NULL, server_timestamp bigint NOT NULL, message_type text NOT NULL,
    content bytea NOT NULL, ephemeral boolean NOT NULL, group_id text, payload_id bigint,
    PRIMARY KEY (account_id, device_id, id)
  );
  CREATE INDEX envelopes_ephemeral ON envelopes (server_timestamp) WHERE ephemeral;
  -- Every way an envelope leaves (ack, expiry, unlink) releases its payload.
  CREATE FUNCTION release_payload() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE payloads SET refs = refs - 1 WHERE id = OLD.payload_id;
    DELETE FROM payloads WHERE id = OLD.payload_id AND refs <= 0;
    RETURN NULL;
  END $$;
  CREATE TRIGGER envelopes_release_payload AFTER DELETE ON envelopes
    FOR EACH ROW WHEN (OLD.payload_id IS NOT NULL) EXECUTE FUNCTION release_payload();
  CREATE TABLE groups (
    id text PRIMARY KEY, revision integer NOT NULL, encrypted_attributes bytea NOT NULL,
    created_at bigint NOT NULL, updated_at bigint NOT NULL
  );
  -- seq orders members by when they joined.
  CREATE TABLE group_members (
    seq bigserial PRIMARY KEY, group_id text NOT NULL, account_id text NOT NULL,
    role text NOT NULL, joined_at bigint NOT NULL, UNIQUE (group_id, account_id)
  );
  CREATE INDEX group_members_by_account ON group_members (account_id, seq);
  `,
  // 2: attachment uploads (metadata; the bytes are in the blob store).
  `
  CREATE TABLE attachments (
    id text PRIMARY KEY, owner_account_id text NOT NULL, owner_device_id integer NOT NULL,
    size bigint NOT NULL, committed bigint NOT NULL DEFAULT 0, created_at bigint NOT NULL, expires_at bigint NOT NULL
  );
  CREATE INDEX attachments_by_expiry ON attachments (expires_at);
  CREATE INDEX attachments_unfinished_by_owner ON attachments (owner_account_id) WHERE committed < size;
  `,
  // 3: each envelope's content size, so a device's queue is bounded in bytes (envelopes from before count 0).
  `
  ALTER TABLE envelopes ADD COLUMN size integer NOT NULL DEFAULT 0;
  `,
  // 4: encrypted profiles (one current version per account) and their access keys.
  `
  CREATE TABLE profiles (
    account_id text PRIMARY KEY REFERENCES accounts(id), version text NOT NULL, name bytea NOT NULL,
    avatar bytea, access_key bytea NOT NULL, updated_at bigint NOT NULL
  );
  `,
  // 5: sealed-sender envelopes have no source: the source columns are NULL exactly for them.
  `
  ALTER TABLE envelopes
    ALTER COLUMN source_account_id DROP NOT NULL,
    ALTER COLUMN source_username DROP NOT NULL,
    ALTER COLUMN source_device_id DROP NOT NULL,
    ADD CONSTRAINT envelopes_sealed_have_no_source
      CHECK ((message_type = 'sealed') = (source_account_id IS NULL AND source_username IS NULL AND source_device_id IS NULL));
  `,
];

/** Any constant: the advisory lock every starting node takes while it migrates. */
const MIGRATION_LOCK = 0x7061726c; // 'parl'

/** Brings the schema (in the connection's search_path) up to date; safe to run from many nodes at once. */
export async function migrate(tx: <T>(f: (q: Query) => Promise<T>) => Promise<T>): Promise<void> {
  await tx(async (q) => {
    await q('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q('CREATE TABLE IF NOT EXISTS parley_schema (version integer NOT NULL)');
    const r = await q('SELECT version FROM parley_schema');
    let version: number = r.rows[0]?.version ?? 0;
    if (r.rows.length === 0) await q('INSERT INTO parley_schema (version) VALUES (0)');
    for (; version < MIGRATIONS.length; version++) await q(MIGRATIONS[version]!);
    await q('UPDATE parley_schema SET version = $1', [version]);
  });
}
