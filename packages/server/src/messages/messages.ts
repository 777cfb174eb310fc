/**
 * Messages: `PUT /v1/messages/:username`, the WebSocket that carries envelopes,
 * acks and socket sends, and the sweep that drops expired call messages. The
 * delivery hub and the send path are made by the composition root (other contexts
 * use them too) and handed in.
 */
import type { FastifyPluginAsync } from 'fastify';
import { LIMITS, sendRequest } from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { readBody } from '../requests.ts';
import type { MessageQueue } from '../storage/storage.ts';
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
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly minClientVersion: string;
  readonly pingIntervalMs: number;
}

const EPHEMERAL_SWEEP_MS = 30_000;

export const messagesPlugin: FastifyPluginAsync<MessagesOptions> = async (app, opts) => {
  const { storage, auth, sends, now } = opts;

  app.put<{ Params: { username: string } }>('/v1/messages/:username', async (req) => {
    const a = await auth.request(req);
    return sends.acceptSend(a, req.params.username, readBody(req, sendRequest), 'http');
  });

  const handlers: SendHandlers = {
    send: (sender, to, request, via) => sends.acceptSend(sender, to, request, via),
    groupSend: opts.groupSend,
  };
  const sockets = new SocketServer(app.server, {
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
