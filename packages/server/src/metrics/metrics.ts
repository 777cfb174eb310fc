/**
 * Operational metrics (Prometheus, one registry per app, no global one) and the
 * `/metrics` and `/healthz` endpoints. Metric names are part of the operator's
 * interface: dashboards depend on them, so they do not change.
 */
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  /** Envelopes accepted for delivery, by transport (`http`, `ws`). */
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

export const metricsPlugin: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
