/**
 * Server settings from flags (`--port 8080`) or PARLEY_* environment variables;
 * flags win. `npm start` with nothing set is a working single-node deployment.
 */
import { attachmentCiphertextSize, FEATURES, LIMITS, type Feature } from '@parley/wire';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `sqlite:<path>` (default: <dataDir>/parley.sqlite) or `postgres://...` (shared by a cluster's nodes). */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** `redis://...`: presence and cross-node wake-ups (with PostgreSQL only). */
  readonly redisUrl: string | undefined;
  /** The server secret as 64 hex digits (every node of a cluster the same); default: <dataDir>/server-secret. */
  readonly serverSecret: Uint8Array | undefined;
  readonly minClientVersion: string;
  readonly bundleFetchesPerMinute: number;
  readonly maxBodyBytes: number;
  readonly maxQueuedPerDevice: number;
  readonly logLevel: string;
  readonly webRoot: string | undefined;
  /** TURN relay for calls: `turn:host:port` URLs and coturn's `static-auth-secret`. */
  readonly turnUrls: string[];
  readonly turnSecret: string | undefined;
  readonly pingIntervalMs: number;
  /** The largest attachment (plaintext bytes); its encrypted, padded size is what clients upload. */
  readonly maxAttachmentBytes: number;
  readonly attachmentTtlDays: number;
  /** Where attachment ciphertext is kept; default <dataDir>/attachments. Several nodes need one shared directory. */
  readonly attachmentsDir: string | undefined;
  /** The operator's signed notices (a file written by `npm run notice`). */
  readonly noticesFile: string | undefined;
  readonly disabledFeatures: readonly Feature[];
}

export const SETTINGS: ReadonlyArray<{ flag: string; env: string; def: string; doc: string }> = [
  { flag: 'host', env: 'PARLEY_HOST', def: '127.0.0.1', doc: 'address to listen on (0.0.0.0 for all interfaces)' },
  { flag: 'port', env: 'PARLEY_PORT', def: '8080', doc: 'TCP port (0 picks a free one)' },
  { flag: 'data-dir', env: 'PARLEY_DATA_DIR', def: './data', doc: 'directory for the database and the server secret' },
  { flag: 'database-url', env: 'PARLEY_DATABASE_URL', def: '', doc: 'sqlite:<file> (default <data-dir>/parley.sqlite) or postgres://user:password@host:port/db (shared by several nodes)' },
  { flag: 'database-pool-size', env: 'PARLEY_DATABASE_POOL_SIZE', def: '10', doc: 'PostgreSQL connections per node' },
  { flag: 'redis-url', env: 'PARLEY_REDIS_URL', def: '', doc: 'redis://host:port: presence and delivery across nodes (needs a postgres:// database)' },
  { flag: 'server-secret', env: 'PARLEY_SERVER_SECRET', def: '', doc: 'the key of stored password hashes, 64 hex digits, the same on every node (default: <data-dir>/server-secret; required with postgres://)' },
  { flag: 'min-client-version', env: 'PARLEY_MIN_CLIENT_VERSION', def: '0.1.0', doc: 'clients below this get UPGRADE_REQUIRED' },
  { flag: 'bundle-fetches-per-minute', env: 'PARLEY_BUNDLE_FETCHES_PER_MINUTE', def: '60', doc: 'prekey bundle fetches allowed per requesting account and per target account' },
  { flag: 'max-body-bytes', env: 'PARLEY_MAX_BODY_BYTES', def: '1048576', doc: 'largest HTTP request body accepted (bytes)' },
  { flag: 'max-queued-per-device', env: 'PARLEY_MAX_QUEUED_PER_DEVICE', def: '10000', doc: 'undelivered messages kept per device before senders get RATE_LIMITED' },
  { flag: 'log-level', env: 'PARLEY_LOG_LEVEL', def: 'info', doc: 'pino log level (silent, error, warn, info, debug)' },
  { flag: 'turn-urls', env: 'PARLEY_TURN_URLS', def: '', doc: 'comma-separated TURN URLs handed to clients for calls (e.g. turn:127.0.0.1:3478)' },
  { flag: 'turn-secret', env: 'PARLEY_TURN_SECRET', def: '', doc: "shared secret of the TURN server (coturn's static-auth-secret)" },
  { flag: 'ping-interval-ms', env: 'PARLEY_PING_INTERVAL_MS', def: '25000', doc: 'how often sockets are pinged; one that missed the previous ping is closed' },
  { flag: 'max-attachment-bytes', env: 'PARLEY_MAX_ATTACHMENT_BYTES', def: '104857600', doc: 'largest attachment (file, image, voice note) in bytes; uploads are its encrypted, padded size' },
  { flag: 'attachment-ttl-days', env: 'PARLEY_ATTACHMENT_TTL_DAYS', def: '30', doc: 'days a finished attachment is kept before it is deleted from disk' },
  { flag: 'attachments-dir', env: 'PARLEY_ATTACHMENTS_DIR', def: '', doc: 'directory of encrypted attachments (default <data-dir>/attachments); several nodes must share one (docs/DEPLOY.md)' },
  { flag: 'notices-file', env: 'PARLEY_NOTICES_FILE', def: '', doc: 'signed security notices to hand to clients (written by npm run notice; SECURITY.md)' },
  { flag: 'disabled-features', env: 'PARLEY_DISABLED_FEATURES', def: '', doc: `kill switch: comma-separated features every client stops offering (${FEATURES.join(', ')})` },
  { flag: 'web-root', env: 'PARLEY_WEB_ROOT', def: '', doc: 'built web app to serve at / (npm start sets packages/web/dist)' },
];

function secretHex(v: string): Uint8Array | undefined {
  if (v === '') return undefined;
  if (!/^[0-9a-fA-F]{64}$/.test(v)) throw new Error('--server-secret must be 64 hex digits (openssl rand -hex 32)');
  return new Uint8Array(Buffer.from(v, 'hex'));
}

function features(v: string): Feature[] {
  const out = v.split(',').map((f) => f.trim()).filter(Boolean);
  for (const f of out) if (!(FEATURES as readonly string[]).includes(f)) throw new Error(`--disabled-features: unknown feature "${f}"; use ${FEATURES.join(', ')}`);
  return [...new Set(out)] as Feature[];
}

export function parseConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ServerConfig {
  const values = new Map<string, string>();
  for (const s of SETTINGS) values.set(s.flag, env[s.env] ?? s.def);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    const spec = m ? SETTINGS.find((s) => s.flag === m[1]) : undefined;
    if (!m || !spec) throw new Error(`unknown option ${a}; options: ${SETTINGS.map((s) => `--${s.flag}`).join(', ')}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`option --${spec.flag} needs a value`);
    values.set(spec.flag, v);
  }
  const port = Number(values.get('port'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.get('port')}`);
  const perMinute = Number(values.get('bundle-fetches-per-minute'));
  if (!Number.isInteger(perMinute) || perMinute < 1) throw new Error('--bundle-fetches-per-minute must be a positive integer');
  const positive = (flag: string): number => {
    const n = Number(values.get(flag));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${values.get(flag)}`);
    return n;
  };
  const maxAttachmentBytes = positive('max-attachment-bytes');
  if (attachmentCiphertextSize(maxAttachmentBytes) > LIMITS.attachmentSizeCap) {
    throw new Error(`--max-attachment-bytes must leave room for padding and encryption under ${LIMITS.attachmentSizeCap} bytes, got ${maxAttachmentBytes}`);
  }
  return {
    maxAttachmentBytes,
    attachmentTtlDays: positive('attachment-ttl-days'),
    attachmentsDir: values.get('attachments-dir') || undefined,
    noticesFile: values.get('notices-file') || undefined,
    disabledFeatures: features(values.get('disabled-features') ?? ''),
    maxBodyBytes: positive('max-body-bytes'),
    maxQueuedPerDevice: positive('max-queued-per-device'),
    host: values.get('host')!,
    port,
    dataDir: values.get('data-dir')!,
    databaseUrl: values.get('database-url') || undefined,
    databasePoolSize: positive('database-pool-size'),
    redisUrl: values.get('redis-url') || undefined,
    serverSecret: secretHex(values.get('server-secret') ?? ''),
    minClientVersion: values.get('min-client-version')!,
    bundleFetchesPerMinute: perMinute,
    logLevel: values.get('log-level')!,
    webRoot: values.get('web-root') || undefined,
    turnUrls: (values.get('turn-urls') ?? '').split(',').map((u) => u.trim()).filter(Boolean),
    turnSecret: values.get('turn-secret') || undefined,
    pingIntervalMs: positive('ping-interval-ms'),
  };
}
