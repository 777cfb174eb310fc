/**
 * TURN REST credentials (coturn `use-auth-secret`) for relaying calls: username
 * "<expiry>:<account>", password base64(HMAC-SHA1(secret, username)); valid for an
 * hour. Without a configured relay the endpoint answers 204 (no relay; a normal
 * configuration, so nothing a browser would log as an error).
 */
import { createHmac } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Authenticator } from '../auth/auth.ts';

export interface TurnOptions {
  readonly auth: Authenticator;
  readonly now: () => number;
  readonly turnUrls?: readonly string[] | undefined;
  readonly turnSecret?: string | undefined;
}

const TTL_SECONDS = 3600;

export const turnPlugin: FastifyPluginAsync<TurnOptions> = async (app, { auth, now, turnUrls, turnSecret }) => {
  app.get('/v1/turn', async (req, reply) => {
    const a = await auth.request(req);
    if (!turnSecret || !turnUrls?.length) return reply.status(204).send();
    const username = `${Math.floor(now() / 1000) + TTL_SECONDS}:${a.accountId}`;
    const credential = createHmac('sha1', turnSecret).update(username).digest('base64');
    return { urls: turnUrls, username, credential, ttl: TTL_SECONDS };
  });
};
