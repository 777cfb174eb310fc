/**
 * Server settings from flags (`--port 8080`) or PARLEY_* environment variables;
 * flags win. `npm start` with nothing set is a working single-node deployment.
 */
import { attachmentCiphertextSize, FEATURES, LIMITS, type Feature } from '@parley/wire';
import { DEFAULT_ABUSE_LIMITS, type AbuseLimits } from './abuse/policy.ts';
import { DEFAULT_HARDENING, type Hardening } from './hardening/hardening.ts';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** `sqlite:<path>` (default: <dataDir>/parley.sqlite) or `postgres://...` (shared by a cluster's nodes). */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** `redis://...`: presence and cross-node wake-ups (with PostgreSQL only). */
  readonly redisUrl: string | undefined;
  /** The sealed-sender key file (every node of a cluster the same); default: <dataDir>/sealed-sender.json, made on first start. */
  readonly sealedSenderKeys: string | undefined;
  /** The server secret as 64 hex digits (every node of a cluster the same); default: <dataDir>/server-secret. */
  readonly serverSecret: Uint8Array | undefined;
  readonly minClientVersion: string;
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
  /** Rate and connection limits against abuse (abuse/policy.ts, docs/LIMITS.md). */
  readonly abuse: AbuseLimits;
  /** Timeouts, buffer and queue bounds against resource exhaustion (hardening/hardening.ts). */
  readonly hardening: Hardening;
  /** A separate listener for `/metrics` on 127.0.0.1 (0: none). */
  readonly metricsPort: number;
  /** A bearer token that lets `/metrics` be read on the main listener (empty: not served there). */
  readonly metricsToken: string | undefined;
  /** Log one line per request (method, URL, status); off by default because URLs name recipients. */
  readonly logRequests: boolean;
}

/** Abuse-limit settings: flag -> AbuseLimits field and what it bounds. */
export const ABUSE_SETTINGS: ReadonlyArray<{ flag: string; field: keyof AbuseLimits; doc: string }> = [
  { flag: 'registrations-per-address-per-hour', field: 'registrationsPerAddressPerHour', doc: 'accounts one network address may register per hour' },
  { flag: 'auth-failures-per-address-per-minute', field: 'authFailuresPerAddressPerMinute', doc: 'refused credentials per address per minute; past it the address is refused unchecked' },
  { flag: 'auth-failures-per-account-per-minute', field: 'authFailuresPerAccountPerMinute', doc: 'refused credentials naming one account per minute (its own devices are never locked out)' },
  { flag: 'bundle-fetches-per-minute', field: 'bundleFetchesPerMinute', doc: 'prekey bundle fetches allowed per requesting account (3x per target account)' },
  { flag: 'bundle-fetches-per-address-per-minute', field: 'bundleFetchesPerAddressPerMinute', doc: 'prekey bundle fetches per network address per minute' },
  { flag: 'one-time-prekeys-per-device-per-hour', field: 'oneTimePreKeysPerDevicePerHour', doc: 'one-time prekeys handed out per target device per hour, whoever asks; then bundles carry none' },
  { flag: 'lookups-per-account-per-minute', field: 'lookupsPerAccountPerMinute', doc: 'username lookups per account per minute (found or not, counted alike)' },
  { flag: 'lookups-per-address-per-minute', field: 'lookupsPerAddressPerMinute', doc: 'username lookups per network address per minute' },
  { flag: 'sends-per-account-per-minute', field: 'sendsPerAccountPerMinute', doc: 'messages (1:1 and group) one account may send per minute' },
  { flag: 'rings-per-pair-per-minute', field: 'ringsPerPairPerMinute', doc: 'call messages from one account to another per minute' },
  { flag: 'sealed-sends-per-address-per-minute', field: 'sealedSendsPerAddressPerMinute', doc: 'sealed-sender messages one network address may send per minute' },
  { flag: 'certificates-per-account-per-minute', field: 'certificatesPerAccountPerMinute', doc: 'sender certificates one account may fetch per minute' },
  { flag: 'uploads-per-account-per-minute', field: 'uploadsPerAccountPerMinute', doc: 'attachment uploads one account may begin per minute' },
  { flag: 'profile-updates-per-account-per-minute', field: 'profileUpdatesPerAccountPerMinute', doc: 'profile uploads (a sealed name and picture) one account may make per minute' },
  { flag: 'uploads-per-address-per-minute', field: 'uploadsPerAddressPerMinute', doc: 'attachment uploads one network address may begin per minute' },
  { flag: 'connections-per-address', field: 'connectionsPerAddress', doc: 'open TCP connections (HTTP and WebSocket) per network address' },
  { flag: 'sockets-per-device', field: 'socketsPerDevice', doc: 'open WebSockets per device' },
  { flag: 'unidentified-sockets-per-address', field: 'unidentifiedSocketsPerAddress', doc: 'open unidentified WebSockets (sealed sends, no account) per network address' },
];

/** Resource-bound settings: flag -> Hardening field. */
const HARDENING_SETTINGS: ReadonlyArray<{ flag: string; field: keyof Hardening; doc: string }> = [
  { flag: 'request-timeout-ms', field: 'requestTimeoutMs', doc: 'time a client has to send a whole HTTP request (headers and body)' },
  { flag: 'idle-timeout-ms', field: 'idleTimeoutMs', doc: 'an HTTP connection with no traffic this long is closed' },
  { flag: 'max-socket-buffer-bytes', field: 'maxSocketBufferBytes', doc: 'envelope bytes in flight per WebSocket; a socket whose send buffer stays above it is dropped' },
  { flag: 'max-queued-bytes-per-device', field: 'maxQueuedBytesPerDevice', doc: 'undelivered message bytes kept per device before senders get RATE_LIMITED' },
  { flag: 'max-queued-per-sender', field: 'maxQueuedPerSender', doc: "undelivered messages one sender may have in one device's queue" },
  { flag: 'max-queued-sealed-per-device', field: 'maxQueuedSealedPerDevice', doc: "undelivered sealed-sender messages (sender unknown) one device's queue may hold" },
];

export const SETTINGS: ReadonlyArray<{ flag: string; env: string; def: string; doc: string }> = [
  { flag: 'host', env: 'PARLEY_HOST', def: '127.0.0.1', doc: 'address to listen on (0.0.0.0 for all interfaces)' },
  { flag: 'port', env: 'PARLEY_PORT', def: '8080', doc: 'TCP port (0 picks a free one)' },
  { flag: 'data-dir', env: 'PARLEY_DATA_DIR', def: './data', doc: 'directory for the database and the server secret' },
  { flag: 'database-url', env: 'PARLEY_DATABASE_URL', def: '', doc: 'sqlite:<file> (default <data-dir>/parley.sqlite) or postgres://user:password@host:port/db (shared by several nodes)' },
  { flag: 'database-pool-size', env: 'PARLEY_DATABASE_POOL_SIZE', def: '10', doc: 'PostgreSQL connections per node' },
  { flag: 'redis-url', env: 'PARLEY_REDIS_URL', def: '', doc: 'redis://host:port: presence and delivery across nodes (needs a postgres:// database)' },
  { flag: 'server-secret', env: 'PARLEY_SERVER_SECRET', def: '', doc: 'the key of stored password hashes, 64 hex digits, the same on every node (default: <data-dir>/server-secret; required with postgres://)' },
  { flag: 'sealed-sender-keys', env: 'PARLEY_SEALED_SENDER_KEYS', def: '', doc: 'sealed-sender key file, the same on every node (npm run sealed-sender-keys; default: <data-dir>/sealed-sender.json, made on first start; with postgres:// and none, sealed sender is off)' },
  { flag: 'min-client-version', env: 'PARLEY_MIN_CLIENT_VERSION', def: '0.1.0', doc: 'clients below this get UPGRADE_REQUIRED' },
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
  { flag: 'metrics-port', env: 'PARLEY_METRICS_PORT', def: '0', doc: 'serve /metrics on 127.0.0.1 at this port (0: no separate listener)' },
  { flag: 'metrics-token', env: 'PARLEY_METRICS_TOKEN', def: '', doc: 'serve /metrics on the main listener to requests with Authorization: Bearer <token> (empty: not served there)' },
  { flag: 'log-requests', env: 'PARLEY_LOG_REQUESTS', def: 'false', doc: 'log a line per request (URLs name recipients, so off by default)' },
  ...ABUSE_SETTINGS.map((a) => ({ flag: a.flag, env: `PARLEY_${a.flag.toUpperCase().replace(/-/g, '_')}`, def: String(DEFAULT_ABUSE_LIMITS[a.field]), doc: a.doc })),
  ...HARDENING_SETTINGS.map((a) => ({ flag: a.flag, env: `PARLEY_${a.flag.toUpperCase().replace(/-/g, '_')}`, def: String(DEFAULT_HARDENING[a.field]), doc: a.doc })),
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
  const positive = (flag: string): number => {
    const n = Number(values.get(flag));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${values.get(flag)}`);
    return n;
  };
  const maxAttachmentBytes = positive('max-attachment-bytes');
  if (attachmentCiphertextSize(maxAttachmentBytes) > LIMITS.attachmentSizeCap) {
    throw new Error(`--max-attachment-bytes must leave room for padding and encryption under ${LIMITS.attachmentSizeCap} bytes, got ${maxAttachmentBytes}`);
  }
  const abuse = Object.fromEntries(ABUSE_SETTINGS.map((a) => [a.field, positive(a.flag)])) as unknown as AbuseLimits;
  const hardening = Object.fromEntries(HARDENING_SETTINGS.map((a) => [a.field, positive(a.flag)])) as unknown as Hardening;
  const metricsPort = Number(values.get('metrics-port'));
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new Error(`--metrics-port must be 0..65535, got ${values.get('metrics-port')}`);
  const logRequests = values.get('log-requests');
  if (logRequests !== 'true' && logRequests !== 'false') throw new Error(`--log-requests must be true or false, got ${logRequests}`);
  return {
    abuse,
    hardening,
    metricsPort,
    metricsToken: values.get('metrics-token') || undefined,
    logRequests: logRequests === 'true',
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
    sealedSenderKeys: values.get('sealed-sender-keys') || undefined,
    minClientVersion: values.get('min-client-version')!,
    logLevel: values.get('log-level')!,
    webRoot: values.get('web-root') || undefined,
    turnUrls: (values.get('turn-urls') ?? '').split(',').map((u) => u.trim()).filter(Boolean),
    turnSecret: values.get('turn-secret') || undefined,
    pingIntervalMs: positive('ping-interval-ms'),
  };
}
