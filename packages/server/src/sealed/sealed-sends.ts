/**
 * Sealed 1:1 sends (sealed sender v1): `PUT /v1/messages/:username` with the
 * recipient's access key in the `Unidentified-Access-Key` header and no credentials.
 * The server checks the access key (access.ts), that the copies cover the recipient's
 * devices, and stores envelopes with no source at all (type `sealed`): it learns the
 * recipient, the time, the size and the network address, never the sender.
 *
 * Abuse limits without a sender: sends per network address per minute, and the
 * queue's sealed bucket (QueueQuota.maxSealed), counted by storage in the enqueue's
 * transaction. Unknown recipients are refused exactly like a wrong key.
 *
 * Why never the device's socket: it is authenticated, so a send over it would name
 * its sender. Clients send sealed messages over plain HTTP requests without an
 * Authorization header (as Signal's unidentified REST path), or over the
 * unidentified socket (unidentified-socket.ts), which never authenticates; both
 * come here.
 */
import { WireError, type SealedSendRequest, type SendResponse } from '@parley/wire';
import { addressKey } from '../abuse/address.ts';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import type { RateLimiter } from '../abuse/rate-limiter.ts';
import { AccountCache } from '../accounts/lookup.ts';
import { checkDeviceCoverage, type Sends, type Transport } from '../messages/sends.ts';
import type { AccountRow, AccountStore, DeviceStore, NewEnvelope } from '../storage/storage.ts';
import type { UnidentifiedAccess } from './access.ts';

export interface SealedSendsDeps {
  readonly storage: AccountStore & DeviceStore;
  readonly sends: Sends;
  readonly access: UnidentifiedAccess;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly abuse: Pick<AbuseLimits, 'sealedSendsPerAddressPerMinute'>;
}

export class SealedSends {
  private readonly accounts: AccountCache;
  private readonly byAddress: RateLimiter;

  constructor(private readonly deps: SealedSendsDeps) {
    this.accounts = new AccountCache(deps.storage);
    this.byAddress = deps.limiters.make('sealed-sends-by-address', { limit: deps.abuse.sealedSendsPerAddressPerMinute, windowMs: MINUTE_MS });
  }

  /**
   * One sealed send from network address `ip`, over HTTP (`unidentified`) or the unidentified
   * socket (`unidentified-ws`). Resolves once stored durably; ACCESS_KEY_REFUSED for a wrong key
   * or no such account.
   */
  async accept(toUsername: string, accessKey: Uint8Array | undefined, s: SealedSendRequest, ip: string | undefined, via: Extract<Transport, 'unidentified' | 'unidentified-ws'> = 'unidentified'): Promise<SendResponse> {
    this.byAddress.check(addressKey(ip), 'too many sealed messages sent from this address');
    const target = await this.accounts.find(toUsername).catch((e: unknown): AccountRow | undefined => {
      if (e instanceof WireError && e.code === 'UNKNOWN_USER') return undefined;
      throw e;
    });
    await this.deps.access.check(target?.id, accessKey);
    // The key was right, so target exists.
    const devices = await this.deps.storage.devices(target!.id);
    checkDeviceCoverage(devices, s.messages);
    const envelopes = sealedEnvelopes(target!.id, s, this.deps.now());
    await this.deps.sends.store({ envelopes }, via);
    return { serverTimestamp: envelopes[0]!.serverTimestamp };
  }
}

/** The envelopes of a sealed send: destination, times, content, and no source. */
export function sealedEnvelopes(accountId: string, s: SealedSendRequest, serverTimestamp: number): NewEnvelope[] {
  return s.messages.map((m) => ({
    destinationAccountId: accountId,
    destinationDeviceId: m.deviceId,
    timestamp: s.timestamp,
    serverTimestamp,
    messageType: 'sealed',
    content: m.content,
    ephemeral: s.ephemeral ?? false,
  }));
}
