/**
 * Provisioning channels: the short-lived mailbox through which an existing device
 * sends a new one the account's identity, end-to-end encrypted to the new device's
 * ephemeral key. The new device opens a channel (no account yet; limited per
 * address) and polls it with its read token; an authenticated device fetches the
 * channel's key and leaves one message. The server keeps only a keyed hash of the
 * read token and never sees anything it could decrypt the message with.
 *
 * Long polls are bounded: one per channel (a newer poll answers the older one 204),
 * at most LIMITS.maxProvisioningPolls at once, each released when its client goes.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import {
  base64Encode,
  channelId as channelIdDecoder,
  LIMITS,
  openChannelRequest,
  PROVISIONING_TOKEN_HEADER,
  provisioningMessageRequest,
  secret32,
  WireError,
} from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';
import { hashSecret, secretMatches } from '../auth/credentials.ts';
import { addressKey } from '../abuse/address.ts';
import type { Limiters } from '../abuse/limiters.ts';
import { readBody } from '../requests.ts';
import type { Router } from '../messages/router.ts';
import type { ProvisioningStore } from '../storage/storage.ts';

export interface ProvisioningOptions {
  readonly storage: ProvisioningStore;
  readonly auth: Authenticator;
  /** Carries "a message was stored" to the node where the channel's poll waits. */
  readonly router: Pick<Router, 'provisioned' | 'onProvisioned'>;
  readonly serverSecret: Uint8Array;
  readonly now: () => number;
  readonly limiters: Limiters;
  /** How long a message poll waits (LIMITS.provisioningPollMs; shorter in tests). */
  readonly pollMs: number;
}

/** The channel-id alphabet of wire's CHANNEL_ID_PATTERN: 32 letters and digits without look-alikes. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** A fresh channel id: 10 characters, 5 random bits each (256 is a multiple of 32, so no bias). */
export function newChannelId(): string {
  return Array.from(randomBytes(10), (b) => ALPHABET[b & 31]!).join('');
}

/** Message polls waiting for their channel's message. */
class Polls {
  private readonly waiting = new Map<string, (woken: boolean) => void>();

  constructor(private readonly max: number) {}

  /** Registers the one poll of a channel; an earlier one is answered at once with nothing. */
  wait(channelId: string, ms: number): { woken: Promise<boolean>; cancel(): void } {
    const earlier = this.waiting.get(channelId);
    if (!earlier && this.waiting.size >= this.max) throw new WireError('RATE_LIMITED', 'too many provisioning polls at once; try again shortly');
    earlier?.(false);
    let done!: (woken: boolean) => void;
    const woken = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      done = (w) => {
        clearTimeout(timer);
        if (this.waiting.get(channelId) === done) this.waiting.delete(channelId);
        resolve(w);
      };
    });
    this.waiting.set(channelId, done);
    return { woken, cancel: () => done(false) };
  }

  wake(channelId: string): void {
    this.waiting.get(channelId)?.(true);
  }

  /** Answers every poll (the server is stopping). */
  release(): void {
    for (const done of [...this.waiting.values()]) done(false);
  }
}

export const provisioningPlugin: FastifyPluginAsync<ProvisioningOptions> = async (app, { storage, auth, router, serverSecret, now, limiters, pollMs }) => {
  const polls = new Polls(LIMITS.maxProvisioningPolls);
  router.onProvisioned((id) => polls.wake(id));
  const opensByAddress = limiters.make('provisioning-channels-by-address', { limit: LIMITS.provisioningChannelsPerMinute, windowMs: 60_000 });
  app.addHook('preClose', async () => polls.release());

  const channelParam = (raw: string): string => channelIdDecoder(raw, 'channelId');
  const expired = () => new WireError('LINK_EXPIRED', 'the link code expired or was used');

  app.post('/v1/provisioning', async (req) => {
    const { publicKey } = readBody(req, openChannelRequest);
    opensByAddress.check(addressKey(req.ip), 'too many link codes from this address');
    const readToken = new Uint8Array(randomBytes(32));
    const expiresAt = now() + LIMITS.linkTtlMs;
    // 50 random bits: a collision is rare, and then the next draw is used.
    for (;;) {
      const channelId = newChannelId();
      if (await storage.openChannel({ id: channelId, publicKey, readTokenHash: hashSecret(serverSecret, readToken), expiresAt })) {
        return { channelId, readToken: base64Encode(readToken), expiresAt };
      }
    }
  });

  app.get<{ Params: { channelId: string } }>('/v1/provisioning/:channelId', async (req) => {
    await auth.request(req);
    const ch = await storage.channel(channelParam(req.params.channelId), now());
    if (!ch) throw expired();
    return { publicKey: base64Encode(ch.publicKey) };
  });

  app.put<{ Params: { channelId: string } }>('/v1/provisioning/:channelId', async (req, reply) => {
    await auth.request(req);
    const id = channelParam(req.params.channelId);
    const { message } = readBody(req, provisioningMessageRequest);
    const r = await storage.putChannelMessage(id, message, now());
    if (r === 'expired') throw expired();
    if (r === 'conflict') throw new WireError('CONFLICT', 'this link code was already answered');
    router.provisioned(id);
    return reply.status(204).send();
  });

  app.get<{ Params: { channelId: string } }>('/v1/provisioning/:channelId/message', async (req, reply) => {
    const id = channelParam(req.params.channelId);
    const header = req.headers[PROVISIONING_TOKEN_HEADER];
    let token: Uint8Array;
    try {
      token = secret32(header, PROVISIONING_TOKEN_HEADER);
    } catch {
      throw new WireError('UNAUTHORIZED', `the ${PROVISIONING_TOKEN_HEADER} header is missing or malformed`);
    }
    const ch = await storage.channel(id, now());
    if (!ch) throw expired();
    if (!secretMatches(serverSecret, token, ch.readTokenHash)) throw new WireError('UNAUTHORIZED', 'wrong provisioning read token');
    // Registered before looking, so a message stored in between wakes this poll.
    const poll = polls.wait(id, pollMs);
    reply.raw.on('close', () => poll.cancel());
    let message = await storage.takeChannelMessage(id, now());
    if (message) poll.cancel();
    else if (await poll.woken) message = await storage.takeChannelMessage(id, now());
    if (!message) return reply.status(204).send();
    return { message: base64Encode(message) };
  });
};
