/**
 * The built web app at `/` (only when a web root is configured): every GET outside
 * /v1/ that no other route answers gets a file of the app, or index.html for the
 * app's own routes, with a strict Content Security Policy.
 */
import type { FastifyPluginAsync } from 'fastify';
import { CSP, StaticSite } from './static-site.ts';

export const webPlugin: FastifyPluginAsync<{ webRoot: string }> = async (app, { webRoot }) => {
  const site = new StaticSite(webRoot);
  app.get('/*', async (req, reply) => {
    if (req.url.startsWith('/v1/')) return reply.callNotFound();
    const f = site.get(req.url);
    return reply
      .header('content-type', f.type)
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(f.body);
  });
};
