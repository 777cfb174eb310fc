/**
 * Owns the abuse limits' values: how many of each costly or harmful act one
 * network address, one account or one target may cause per window, and how many
 * connections one address or device may hold. Every value is a server setting
 * (config.ts) documented with its reason in docs/LIMITS.md. It does not own the
 * counting (rate-limiter.ts) or the checks (each plugin).
 */
export interface AbuseLimits {
  /** Accounts one address may register per hour. */
  readonly registrationsPerAddressPerHour: number;
  /** Refused credentials one address may present per minute; past it every attempt from it is refused unchecked. */
  readonly authFailuresPerAddressPerMinute: number;
  /** Refused credentials naming one account per minute, from anywhere; past it wrong ones are answered RATE_LIMITED. */
  readonly authFailuresPerAccountPerMinute: number;
  /** Prekey bundle fetches per requesting account per minute (3x that per target account). */
  readonly bundleFetchesPerMinute: number;
  /** Prekey bundle fetches per address per minute. */
  readonly bundleFetchesPerAddressPerMinute: number;
  /** One-time prekeys handed out per target device per hour, whoever asks; past it bundles carry none (sessions still start). */
  readonly oneTimePreKeysPerDevicePerHour: number;
  /** Username lookups (found or not, counted alike) per account per minute. */
  readonly lookupsPerAccountPerMinute: number;
  /** Username lookups per address per minute. */
  readonly lookupsPerAddressPerMinute: number;
  /** Messages (1:1 and group sends) one account may send per minute. */
  readonly sendsPerAccountPerMinute: number;
  /** Call messages (ephemeral sends: rings and the rest of call signaling) from one account to one other per minute. */
  readonly ringsPerPairPerMinute: number;
  /** Sealed-sender messages (sender unknown to the server) one address may send per minute. */
  readonly sealedSendsPerAddressPerMinute: number;
  /** Sender certificates one account may fetch per minute (a client needs about one a day). */
  readonly certificatesPerAccountPerMinute: number;
  /** Attachment uploads one account may begin per minute. */
  readonly uploadsPerAccountPerMinute: number;
  /** Profile uploads (`PUT /v1/profile`, each up to a sealed picture) one account may make per minute. */
  readonly profileUpdatesPerAccountPerMinute: number;
  /** Attachment uploads one address may begin per minute. */
  readonly uploadsPerAddressPerMinute: number;
  /** Open TCP connections (HTTP and WebSocket) per address; more are closed at once. */
  readonly connectionsPerAddress: number;
  /** Open WebSockets per device; more are refused with RATE_LIMITED. */
  readonly socketsPerDevice: number;
  /** Open unidentified WebSockets (sealed sends, no account) per address; more are refused (HTTP 429) before the upgrade. */
  readonly unidentifiedSocketsPerAddress: number;
}

export const DEFAULT_ABUSE_LIMITS: AbuseLimits = {
  registrationsPerAddressPerHour: 60,
  authFailuresPerAddressPerMinute: 30,
  authFailuresPerAccountPerMinute: 20,
  bundleFetchesPerMinute: 60,
  bundleFetchesPerAddressPerMinute: 240,
  oneTimePreKeysPerDevicePerHour: 30,
  lookupsPerAccountPerMinute: 120,
  lookupsPerAddressPerMinute: 600,
  sendsPerAccountPerMinute: 1200,
  ringsPerPairPerMinute: 120,
  sealedSendsPerAddressPerMinute: 600,
  certificatesPerAccountPerMinute: 10,
  uploadsPerAccountPerMinute: 30,
  profileUpdatesPerAccountPerMinute: 30,
  uploadsPerAddressPerMinute: 120,
  connectionsPerAddress: 256,
  socketsPerDevice: 8,
  unidentifiedSocketsPerAddress: 16,
};

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
