/**
 * How every request is read: bodies are JSON text handed to one strict decoder
 * from @parley/wire (never Fastify's JSON parser), and every /v1 request carries a
 * client version the server accepts. Installed on the root instance by the
 * composition root, so every plugin inherits it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkClientVersion, CLIENT_VERSION_HEADER, decodeJson, type Decoder, WireError } from '@parley/wire';

export function installRequestParsing(app: FastifyInstance, minClientVersion: string): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) =>
    done(new WireError('BAD_REQUEST', 'send JSON with Content-Type: application/json'), undefined),
  );
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/')) return;
    const v = req.headers[CLIENT_VERSION_HEADER];
    checkClientVersion(typeof v === 'string' ? v : undefined, minClientVersion);
  });
}

/** The request's JSON body through `decoder` (Fastify's bodyLimit has already bounded its size). */
export function readBody<T>(req: FastifyRequest, decoder: Decoder<T>): T {
  if (typeof req.body !== 'string') throw new WireError('BAD_REQUEST', 'a JSON body is required');
  return decodeJson(req.body, decoder, Number.POSITIVE_INFINITY);
}
