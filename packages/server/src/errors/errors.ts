/**
 * The one error handler: every failure leaves as `{error: {code, message, ...}}`
 * with the HTTP status of its code in wire's ERROR_TABLE (via WireError.status);
 * anything that is not a WireError is a bug, logged at error level and answered
 * INTERNAL without details, except storage being unreachable (UNAVAILABLE, 503). Unknown endpoints get NOT_FOUND. Installed on the
 * root instance by the composition root, so it covers every plugin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WireError } from '@parley/wire';
import type { Metrics } from '../metrics/metrics.ts';
import { StorageUnavailable } from '../storage/storage.ts';

/** A thrown value as the WireError the client sees (Fastify's own errors mapped to codes). */
export function toWireError(err: unknown, maxBodyBytes: number): WireError | undefined {
  if (err instanceof WireError) return err;
  // Why not INTERNAL: the database restarting is no bug, and the client may retry (its copy stored twice is dropped by message id).
  if (err instanceof StorageUnavailable) return new WireError('UNAVAILABLE', err.says);
  const code = (err as { code?: string }).code;
  const status = (err as { statusCode?: number }).statusCode;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new WireError('PAYLOAD_TOO_LARGE', `body larger than ${maxBodyBytes} bytes`);
  // Fastify's other client errors: typed, without Fastify's wording (it can echo the request back).
  if (status && status < 500) return new WireError('BAD_REQUEST', 'the request was malformed');
  return undefined;
}

/** Sends `we` as the typed error body, with Retry-After when it says how long to wait. */
export function sendWireError(reply: FastifyReply, we: WireError): void {
  const retryAfter = we.details.retryAfter;
  if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
  void reply.status(we.status).send(we.toBody());
}

/**
 * Fastify's `frameworkErrors` option: errors its router raises before any route or
 * handler runs (a URL that does not decode, a parameter over the length limit) in
 * the typed format too, instead of Fastify's own bodies (`FST_ERR_BAD_URL`, 414).
 */
export function frameworkErrors(err: Error, _req: FastifyRequest, reply: FastifyReply): void {
  const code = (err as { code?: string }).code;
  const we = new WireError('BAD_REQUEST', code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the URL is malformed');
  sendWireError(reply, we);
}

export function installErrorHandling(app: FastifyInstance, deps: { metrics: Metrics; maxBodyBytes: number }): void {
  app.setErrorHandler((err: unknown, req, reply) => {
    let we = toWireError(err, deps.maxBodyBytes);
    if (!we) {
      req.log.error({ err }, 'unhandled error');
      we = new WireError('INTERNAL', 'internal error');
    }
    deps.metrics.errors.inc({ code: we.code });
    sendWireError(reply, we);
  });
  app.setNotFoundHandler((_req, reply) => {
    const we = new WireError('NOT_FOUND', 'no such endpoint');
    void reply.status(we.status).send(we.toBody());
  });
}
