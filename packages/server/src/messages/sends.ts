/**
 * Accepting sends. `acceptSend` is the one function behind both `PUT
 * /v1/messages/:username` and the socket's `send` frame: it checks the sender
 * covered exactly the recipient's current devices, stores the envelopes durably
 * (group commit), and only then answers and wakes the recipient's connections.
 * `store` is that common end, also used by group and sealed sends; `wake` hands freshly
 * stored envelopes to the delivery hub (also for group updates).
 */
import { WireError, type SendRequest, type SendResponse } from '@parley/wire';
import { AccountCache } from '../accounts/lookup.ts';
import type { Authed } from '../auth/auth.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import type { RateLimiter } from '../abuse/rate-limiter.ts';
import type { AccountStore, DestinedEnvelope, DeviceRow, DeviceStore, EnqueueItem, MessageQueue, NewEnvelope, QueueQuota } from '../storage/storage.ts';
import { EnqueueBatcher } from './enqueue-batcher.ts';
import type { Router } from './router.ts';

/** How a send reached the server: identified over HTTP or the socket, or sealed (`unidentified`: HTTP without credentials; `unidentified-ws`: the unidentified socket). */
export type Transport = 'http' | 'ws' | 'unidentified' | 'unidentified-ws';

/**
 * The copies of a message must cover exactly the recipient's current devices, each at
 * its current registration: MISMATCHED_DEVICES (with the missing and extra ones) or
 * STALE_DEVICES (the re-registered ones) otherwise. Shared by identified and sealed sends.
 */
export function checkDeviceCoverage(devices: readonly DeviceRow[], messages: ReadonlyArray<{ readonly deviceId: number; readonly registrationId: number }>): void {
  const want = new Set(devices.map((d) => d.deviceId));
  const got = new Set(messages.map((m) => m.deviceId));
  if (got.size !== messages.length) throw new WireError('BAD_REQUEST', 'a device appears twice');
  const missing = [...want].filter((d) => !got.has(d));
  const extra = [...got].filter((d) => !want.has(d));
  if (missing.length || extra.length) {
    throw new WireError('MISMATCHED_DEVICES', 'the device list does not match the recipient\'s devices', { missingDevices: missing, extraDevices: extra });
  }
  const stale = messages.filter((m) => devices.find((d) => d.deviceId === m.deviceId)!.registrationId !== m.registrationId).map((m) => m.deviceId);
  if (stale.length) throw new WireError('STALE_DEVICES', 'some devices were re-registered', { staleDevices: stale });
}

export interface SendsDeps {
  readonly storage: AccountStore & DeviceStore & MessageQueue;
  /** Hands committed envelopes to their devices' connections, here and on other nodes. */
  readonly router: Router;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly limiters: Limiters;
  /** What a send may add to each queue it writes (checked by storage in the same transaction). */
  readonly quota: QueueQuota;
  readonly abuse: Pick<AbuseLimits, 'sendsPerAccountPerMinute' | 'ringsPerPairPerMinute'>;
}

export class Sends {
  private readonly batcher: EnqueueBatcher;
  private readonly accounts: AccountCache;

  private readonly sendsByAccount: RateLimiter;
  private readonly ringsByPair: RateLimiter;

  constructor(private readonly deps: SendsDeps) {
    this.batcher = new EnqueueBatcher(deps.storage);
    this.accounts = new AccountCache(deps.storage);
    this.sendsByAccount = deps.limiters.make('sends-by-account', { limit: deps.abuse.sendsPerAccountPerMinute, windowMs: MINUTE_MS });
    this.ringsByPair = deps.limiters.make('rings-by-pair', { limit: deps.abuse.ringsPerPairPerMinute, windowMs: MINUTE_MS });
  }

  /** Counts one send (1:1 or group) against the sender's per-minute allowance; RATE_LIMITED past it. */
  countSend(sender: Authed): void {
    this.sendsByAccount.check(sender.accountId, 'too many messages sent');
  }

  /** One 1:1 send, over HTTP or the socket. Resolves once stored durably. */
  async acceptSend(sender: Authed, toUsername: string, s: SendRequest, via: Transport): Promise<SendResponse> {
    const { storage } = this.deps;
    this.countSend(sender);
    const target = await this.accounts.find(toUsername);
    // Call messages (rings and the rest of call signaling) are ephemeral: bounded per caller and callee.
    if (s.ephemeral) this.ringsByPair.check(`${sender.accountId}>${target.id}`, `too many call messages to ${target.username}`);
    // Sends to oneself cover one's other devices (sync messages), never the sending one.
    const devices = (await storage.devices(target.id)).filter((d) => !(target.id === sender.accountId && d.deviceId === sender.deviceId));
    checkDeviceCoverage(devices, s.messages);
    const serverTimestamp = this.deps.now();
    const envelopes: NewEnvelope[] = s.messages.map((m) => ({
      destinationAccountId: target.id,
      destinationDeviceId: m.deviceId,
      sourceAccountId: sender.accountId,
      sourceUsername: sender.username,
      sourceDeviceId: sender.deviceId,
      timestamp: s.timestamp,
      serverTimestamp,
      messageType: m.type,
      content: m.content,
      ephemeral: s.ephemeral ?? false,
    }));
    await this.store({ envelopes }, via);
    return { serverTimestamp };
  }

  /**
   * The common end of every send: stores the item durably (batched with others in one
   * transaction), counts it, then wakes the destinations' connections with the stored
   * envelopes. Resolves once stored: true, or false when the item's group changed
   * since it was checked (nothing was stored). RATE_LIMITED when a queue it writes
   * to would break its quota (nothing was stored).
   */
  async store(item: EnqueueItem, via: Transport): Promise<boolean> {
    // Why: committed (synchronous=FULL) before the sender hears OK, so nothing acknowledged is lost.
    const ids = await this.batcher.add({ ...item, quota: this.deps.quota });
    if (ids === 'group-changed') return false;
    if (ids === 'queue-full') {
      throw new WireError('RATE_LIMITED', 'a recipient has too many undelivered messages (from you, or in all); try again later', { retryAfter: 60 });
    }
    this.deps.metrics.accepted.inc({ transport: via }, ids.length);
    if ('envelopes' in item) {
      const envelopes = item.envelopes.map(({ destinationAccountId, destinationDeviceId, ...fields }, i): DestinedEnvelope => ({
        ...fields,
        id: ids[i]!,
        destination: { accountId: destinationAccountId, deviceId: destinationDeviceId },
      }));
      this.deps.router.stored({ envelopes });
    } else {
      this.deps.router.stored({ fields: item.fanout.envelope, to: item.fanout.to, ids });
    }
    return true;
  }

  /** Hands stored envelopes (a group change's updates) to their devices' connections, which read them from their queues. */
  wake(envelopes: readonly DestinedEnvelope[]): void {
    this.deps.router.stored({ envelopes, read: true });
  }
}
