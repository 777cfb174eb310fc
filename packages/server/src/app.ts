/**
 * The Parley server's composition root: `buildApp(config, deps)` makes the shared
 * infrastructure (metrics, authentication, the delivery hub, the send path) and
 * registers one Fastify plugin per bounded context. `listen` is separate, so tests
 * use `app.inject()` or a real port.
 *
 * Shared infrastructure is passed to each plugin as explicit options; no plugin
 * escapes Fastify's encapsulation. Root-wide settings (how bodies are read, the
 * version check, the error and not-found handlers) are installed on the root
 * instance before the plugins, which inherit them.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { LIMITS, type Feature, type NoticesFile } from '@parley/wire';
import { Limiters } from './abuse/limiters.ts';
import { DEFAULT_ABUSE_LIMITS, type AbuseLimits } from './abuse/policy.ts';
import type { SharedCounts } from './abuse/rate-limiter.ts';
import { accountsPlugin } from './accounts/accounts.ts';
import { attachmentsPlugin } from './attachments/attachments.ts';
import type { BlobStore } from './attachments/blob-store.ts';
import { AttachmentService } from './attachments/service.ts';
import { Authenticator } from './auth/auth.ts';
import { devicesPlugin } from './devices/devices.ts';
import { frameworkErrors, installErrorHandling } from './errors/errors.ts';
import { GroupSends } from './groups/group-sends.ts';
import { groupsPlugin } from './groups/groups.ts';
import { ConnectionGuard, DEFAULT_HARDENING, type Hardening } from './hardening/hardening.ts';
import { keysPlugin } from './keys/keys.ts';
import { DeliveryHub, type Presence } from './messages/delivery.ts';
import { messagesPlugin } from './messages/messages.ts';
import { LocalRouter, type Router } from './messages/router.ts';
import { Sends } from './messages/sends.ts';
import { createMetrics, metricsPlugin, trackConnections, type Metrics } from './metrics/metrics.ts';
import { installRequestParsing } from './requests.ts';
import { UnidentifiedAccess } from './sealed/access.ts';
import { certificatesPlugin } from './sealed/certificates.ts';
import type { SealedSenderKeys } from './sealed/keys.ts';
import { SealedSends } from './sealed/sealed-sends.ts';
import { MultiRecipientSends, multiRecipientPlugin } from './sealed/multi-recipient-sends.ts';
import { unidentifiedSocketPlugin } from './sealed/unidentified-socket.ts';
import type { Storage } from './storage/storage.ts';
import { noticesPlugin } from './notices/notices.ts';
import { profilesPlugin } from './profiles/profiles.ts';
import { turnPlugin } from './turn/turn.ts';
import { Upgrades } from './upgrades.ts';
import { webPlugin } from './web/web.ts';

export interface AppConfig {
  /** Directory of the built web app to serve at `/` (none: API only). */
  readonly webRoot?: string | undefined;
  readonly minClientVersion: string;
  /** Overrides abuse.bundleFetchesPerMinute (kept for callers that set only this). */
  readonly bundleFetchesPerMinute?: number;
  /** Abuse limits (default DEFAULT_ABUSE_LIMITS); any left out keep their default. */
  readonly abuse?: Partial<AbuseLimits>;
  /** Timeouts, buffer and queue bounds (default DEFAULT_HARDENING). */
  readonly hardening?: Partial<Hardening>;
  /** Lets `/metrics` be read on this app's listener with `Authorization: Bearer <token>`; without it, not served here. */
  readonly metricsToken?: string | undefined;
  /** Log one line per request (off by default: URLs name recipients, and lines carry addresses). */
  readonly logRequests?: boolean;
  /** Defaults: LIMITS.maxBodyBytes, LIMITS.maxQueuedPerDevice. */
  readonly maxBodyBytes?: number;
  readonly maxQueuedPerDevice?: number;
  readonly logLevel: string;
  readonly turnUrls?: readonly string[];
  readonly turnSecret?: string | undefined;
  /** WebSocket ping interval (default LIMITS.pingIntervalMs); a socket that misses one pong is closed. */
  readonly pingIntervalMs?: number;
  /** How long a provisioning message poll waits (default LIMITS.provisioningPollMs). */
  readonly provisioningPollMs?: number;
  /** The largest attachment in plaintext bytes (default LIMITS.maxAttachmentBytes). */
  readonly maxAttachmentBytes?: number;
  /** How long a finished attachment is kept (default LIMITS.attachmentTtlMs). */
  readonly attachmentTtlMs?: number;
  /** How often expired attachments and abandoned uploads are deleted (default 5 minutes). */
  readonly attachmentSweepMs?: number;
  /** The operator's signed security notices (`--notices-file`). */
  readonly notices?: NoticesFile | undefined;
  /** The kill switch: features every client must stop offering (`--disabled-features`). */
  readonly disabledFeatures?: readonly Feature[];
}

export interface AppDeps {
  readonly storage: Storage;
  readonly serverSecret: Uint8Array;
  /** The clock (ms since the epoch); every time the server stamps or compares comes from it. */
  readonly now?: () => number;
  /** Where attachment ciphertext is kept; without one the server has no attachment endpoints. */
  readonly blobs?: BlobStore;
  /** Sealed-sender keys (sealed/keys.ts): without them the server issues no sender certificates, so clients send identified. */
  readonly sealedSender?: SealedSenderKeys;
  /** In a cluster: the link to the other nodes (cluster/redis-cluster.ts). Default: one node. */
  readonly cluster?: ClusterLink;
}

/** What a node needs from the cluster it is part of. */
export interface ClusterLink {
  /** Where the hub records which devices this node holds. */
  readonly presence: Presence;
  /** The router that reaches this hub's connections and the other nodes'. */
  router(hub: DeliveryHub): Router;
  /** Rate-limit counters shared by the nodes (each node counts alone without them). */
  readonly counts?: SharedCounts;
}

export interface ParleyApp {
  readonly app: FastifyInstance;
  readonly hub: DeliveryHub;
  /** Attachment uploads, downloads and their sweeper (when the server has a blob store). */
  readonly attachments: AttachmentService | undefined;
  /** Open connections per address (installed on the HTTP server). */
  readonly connections: ConnectionGuard;
  /** The metrics registry (main.ts serves it on its own loopback listener). */
  readonly metrics: Metrics;
  /** Stops the server (sockets, timers) and closes storage. */
  close(): Promise<void>;
}

export async function buildApp(config: AppConfig, deps: AppDeps): Promise<ParleyApp> {
  const now = deps.now ?? Date.now;
  const maxBodyBytes = config.maxBodyBytes ?? LIMITS.maxBodyBytes;
  const { storage, serverSecret } = deps;
  const abuse: AbuseLimits = {
    ...DEFAULT_ABUSE_LIMITS,
    ...config.abuse,
    ...(config.bundleFetchesPerMinute === undefined ? {} : { bundleFetchesPerMinute: config.bundleFetchesPerMinute }),
  };
  const hardening: Hardening = { ...DEFAULT_HARDENING, ...config.hardening };
  const app = Fastify({
    logger: {
      level: config.logLevel,
      // Why: credentials and ciphertext never reach logs; addresses only with request logging, which is off by default.
      redact: ['req.headers.authorization', 'req.headers["x-parley-provisioning-token"]'],
    },
    // Why off by default: every request line names its URL (a recipient's username) and the client's address.
    logController: new LogController({ disableRequestLogging: config.logRequests !== true }),
    bodyLimit: maxBodyBytes,
    frameworkErrors,
    requestTimeout: hardening.requestTimeoutMs,
  });
  const connections = new ConnectionGuard(abuse.connectionsPerAddress);
  connections.install(app.server, hardening);
  const upgrades = new Upgrades(app.server);

  const metrics = createMetrics();
  // Shared with the other nodes through Redis in a cluster: limits hold for the whole service, not per node.
  const limiters = new Limiters(now, deps.cluster?.counts);
  const auth = new Authenticator({
    storage,
    serverSecret,
    now,
    limiters,
    failures: { perAddressPerMinute: abuse.authFailuresPerAddressPerMinute, perAccountPerMinute: abuse.authFailuresPerAccountPerMinute },
  });
  const hub = new DeliveryHub(storage, now, () => metrics.acknowledged.inc(), (err) => app.log.error({ err }, 'delivery failed'), deps.cluster?.presence, {
    maxBufferBytes: hardening.maxSocketBufferBytes,
    socketsPerDevice: abuse.socketsPerDevice,
  });
  trackConnections(metrics, () => hub.size);
  const router = deps.cluster ? deps.cluster.router(hub) : new LocalRouter(hub);
  const sends = new Sends({
    storage,
    router,
    metrics,
    now,
    limiters,
    abuse,
    quota: {
      maxPerDevice: config.maxQueuedPerDevice ?? LIMITS.maxQueuedPerDevice,
      maxBytesPerDevice: hardening.maxQueuedBytesPerDevice,
      maxPerSender: hardening.maxQueuedPerSender,
      maxSealed: hardening.maxQueuedSealedPerDevice,
    },
  });
  const groupSends = new GroupSends({ storage, sends, now });
  const sealedSends = new SealedSends({ storage, sends, access: new UnidentifiedAccess(storage), now, abuse, limiters });

  installRequestParsing(app, config.minClientVersion);
  installErrorHandling(app, { metrics, maxBodyBytes });

  await app.register(metricsPlugin, { metrics, token: config.metricsToken });
  await app.register(accountsPlugin, { storage, auth, serverSecret, now, abuse, limiters });
  await app.register(keysPlugin, { storage, auth, now, abuse, limiters });
  await app.register(profilesPlugin, { storage, auth, now, abuse, limiters });
  await app.register(messagesPlugin, {
    storage,
    auth,
    hub,
    sends,
    groupSend: (sender, groupId, request, via) => groupSends.accept(sender, groupId, request, via),
    sealedSends,
    metrics,
    now,
    minClientVersion: config.minClientVersion,
    pingIntervalMs: config.pingIntervalMs ?? LIMITS.pingIntervalMs,
    upgrades,
  });
  await app.register(unidentifiedSocketPlugin, {
    upgrades,
    sealedSends,
    metrics,
    minClientVersion: config.minClientVersion,
    pingIntervalMs: config.pingIntervalMs ?? LIMITS.pingIntervalMs,
    perAddress: abuse.unidentifiedSocketsPerAddress,
  });
  await app.register(certificatesPlugin, { storage, auth, keys: deps.sealedSender, now, abuse, limiters });
  await app.register(multiRecipientPlugin, { multiRecipientSends: new MultiRecipientSends({ storage, sends, now, abuse, limiters }) });
  await app.register(groupsPlugin, { storage, auth, sends, groupSends, now });
  await app.register(devicesPlugin, { storage, auth, router, serverSecret, now, limiters, provisioningPollMs: config.provisioningPollMs ?? LIMITS.provisioningPollMs });
  await app.register(turnPlugin, { auth, now, turnUrls: config.turnUrls, turnSecret: config.turnSecret });
  await app.register(noticesPlugin, { auth, now, notices: config.notices, disabledFeatures: config.disabledFeatures ?? [] });
  const attachments = deps.blobs
    ? new AttachmentService({
        storage,
        blobs: deps.blobs,
        now,
        limits: {
          maxAttachmentBytes: config.maxAttachmentBytes ?? LIMITS.maxAttachmentBytes,
          chunkBytes: LIMITS.attachmentChunkBytes,
          ttlMs: config.attachmentTtlMs ?? LIMITS.attachmentTtlMs,
          uploadWindowMs: LIMITS.attachmentUploadWindowMs,
          maxPendingUploads: LIMITS.maxPendingUploadsPerAccount,
        },
      })
    : undefined;
  if (attachments) {
    await app.register(attachmentsPlugin, { service: attachments, auth, now, abuse, limiters, disabled: config.disabledFeatures?.includes('attachments') ?? false, chunkBytes: LIMITS.attachmentChunkBytes, sweepIntervalMs: config.attachmentSweepMs ?? 5 * 60_000 });
  }
  if (config.webRoot) await app.register(webPlugin, { webRoot: config.webRoot });

  return {
    app,
    hub,
    attachments,
    connections,
    metrics,
    async close() {
      await app.close();
      await router.close();
      await storage.close();
    },
  };
}
