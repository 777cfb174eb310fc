/**
 * Messages: `PUT /v1/messages/:username` (identified, or sealed: sealed/sealed-sends.ts), the WebSocket that carries envelopes,
 * acks and socket sends, and the sweep that drops expired call messages. The
 * delivery hub and the send path are made by the composition root (other contexts
 * use them too) and handed in.
 */
import type { FastifyPluginAsync } from 'fastify';
import { LIMITS, sealedSendRequest, sendRequest, UNIDENTIFIED_ACCESS_KEY_HEADER, WireError } from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { readBody } from '../requests.ts';
import { parseAccessKey } from '../sealed/access.ts';
import type { SealedSends } from '../sealed/sealed-sends.ts';
import type { MessageQueue } from '../storage/storage.ts';
import type { Upgrades } from '../upgrades.ts';
import type { DeliveryHub } from './delivery.ts';
import type { Sends } from './sends.ts';
import { SocketServer, type SendHandlers } from './socket.ts';

export interface MessagesOptions {
  readonly storage: MessageQueue;
  readonly auth: Authenticator;
  readonly hub: DeliveryHub;
  readonly sends: Sends;
  /** Group sends over the socket: the groups context's function behind `PUT /v1/groups/:groupId/messages`. */
  readonly groupSend: SendHandlers['groupSend'];
  /** Sealed sends: the same route with an `Unidentified-Access-Key` header and no credentials. */
  readonly sealedSends: SealedSends;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly minClientVersion: string;
  readonly pingIntervalMs: number;
  /** Where the device socket's path is routed (the HTTP server's upgrades). */
  readonly upgrades: Upgrades;
}

const EPHEMERAL_SWEEP_MS = 30_000;

export const messagesPlugin: FastifyPluginAsync<MessagesOptions> = async (app, opts) => {
  const { storage, auth, sends, now } = opts;

  app.put<{ Params: { username: string } }>('/v1/messages/:username', async (req) => {
    // A sealed send names no sender: the access key stands in for credentials.
    const accessKey = req.headers[UNIDENTIFIED_ACCESS_KEY_HEADER];
    if (accessKey !== undefined) {
      if (req.headers.authorization !== undefined) throw new WireError('BAD_REQUEST', 'a sealed send carries an access key or credentials, not both');
      return opts.sealedSends.accept(req.params.username, parseAccessKey(accessKey), readBody(req, sealedSendRequest), req.ip);
    }
    const a = await auth.request(req);
    return sends.acceptSend(a, req.params.username, readBody(req, sendRequest), 'http');
  });

  const handlers: SendHandlers = {
    send: (sender, to, request, via) => sends.acceptSend(sender, to, request, via),
    groupSend: opts.groupSend,
  };
  const sockets = new SocketServer(opts.upgrades, {
    auth,
    hub: opts.hub,
    sends: handlers,
    metrics: opts.metrics,
    log: app.log,
    minClientVersion: opts.minClientVersion,
    pingIntervalMs: opts.pingIntervalMs,
    now,
  });

  const sweep = setInterval(() => {
    storage.dropExpiredEphemeral(now() - LIMITS.ephemeralTtlMs).catch((err: unknown) => app.log.error({ err }, 'ephemeral sweep failed'));
  }, EPHEMERAL_SWEEP_MS);
  sweep.unref();

  // Before the HTTP server stops: upgraded sockets would otherwise keep it open.
  app.addHook('preClose', async () => sockets.close());
  app.addHook('onClose', async () => clearInterval(sweep));
};
