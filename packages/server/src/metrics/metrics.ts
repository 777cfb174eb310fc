/**
 * Operational metrics (Prometheus, one registry per app, no global one) and the
 * `/metrics` and `/healthz` endpoints. Metric names are part of the operator's
 * interface: dashboards depend on them, so they do not change.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { WireError } from '@parley/wire';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Envelopes accepted for delivery, by transport (`http`, `ws`; sealed sends: `unidentified` over HTTP, `unidentified-ws` over the unidentified socket). */
  readonly accepted: Counter<'transport'>;
  readonly acknowledged: Counter;
  /** Requests and socket frames answered with an error, by code. */
  readonly errors: Counter<'code'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    accepted: new Counter({ name: 'parley_messages_accepted_total', help: 'envelopes accepted for delivery', labelNames: ['transport'], registers: [registry] }),
    acknowledged: new Counter({ name: 'parley_envelopes_acknowledged_total', help: 'envelopes acknowledged by devices', registers: [registry] }),
    errors: new Counter({ name: 'parley_errors_total', help: 'requests answered with an error', labelNames: ['code'], registers: [registry] }),
  };
}

/** Reports the number of open authenticated sockets, read at each scrape. */
export function trackConnections(metrics: Metrics, count: () => number): void {
  new Gauge({
    name: 'parley_websockets',
    help: 'open authenticated WebSockets',
    registers: [metrics.registry],
    collect() {
      this.set(count());
    },
  });
}

/** Reports the number of open unidentified sockets (sealed sends; no account), read at each scrape. */
export function trackUnidentifiedSockets(metrics: Metrics, count: () => number): void {
  new Gauge({
    name: 'parley_unidentified_websockets',
    help: 'open unidentified WebSockets (sealed sends)',
    registers: [metrics.registry],
    collect() {
      this.set(count());
    },
  });
}

/** The Prometheus text of `metrics`, for any listener that serves it. */
export async function metricsText(metrics: Metrics): Promise<{ contentType: string; body: string }> {
  return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = typeof header === 'string' ? /^Bearer (.{1,512})$/.exec(header) : null;
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `/healthz` always; `/metrics` on this listener only with a token (they reveal load
 * and error counts by code; main.ts can serve them on a loopback listener instead).
 */
export const metricsPlugin: FastifyPluginAsync<{ metrics: Metrics; token?: string | undefined }> = async (app, { metrics, token }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (req, reply) => {
    if (!token) throw new WireError('NOT_FOUND', 'no such endpoint');
    if (!tokenMatches(req.headers.authorization, token)) throw new WireError('UNAUTHORIZED', 'the metrics token is missing or wrong');
    const m = await metricsText(metrics);
    void reply.header('content-type', m.contentType);
    return m.body;
  });
};
