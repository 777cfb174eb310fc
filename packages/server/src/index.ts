// @parley/server: re-exports only.
export { buildApp, type AppConfig, type AppDeps, type ClusterLink, type ParleyApp } from './app.ts';
export { parseConfig, SETTINGS, type ServerConfig } from './config.ts';
export { SqliteStorage } from './storage/sqlite.ts';
export { openPostgresStorage, type PostgresOptions } from './storage/postgres/postgres.ts';
export { RedisCluster, type RedisClusterOptions } from './cluster/redis-cluster.ts';
export { LocalDiskBlobStore } from './attachments/local-disk.ts';
export type { BlobStore } from './attachments/blob-store.ts';
export type { Storage } from './storage/storage.ts';
export { loadServerSecret } from './auth/credentials.ts';
export { signNotice, rawPublicKey, noticesFileText } from './notices/operator.ts';
export { issueServerKeys, loadOrCreateServerKeys, parseServerKeys, type SealedSenderKeys } from './sealed/keys.ts';
