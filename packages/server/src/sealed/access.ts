/**
 * Unidentified access (sealed sender): whether a request that names no sender may
 * write to an account's queues. It presents the account's 16-byte access key (derived
 * by its contacts from its profile key); the key is compared in constant time with
 * the one the account stored (`PUT /v1/profile`). A wrong key, no key, an account
 * without a profile and an account that does not exist are all answered alike:
 * ACCESS_KEY_REFUSED, after the same work, so a stranger learns nothing from it.
 * Reusable by any sealed path (1:1 now, multi-recipient group sends later).
 */
import { timingSafeEqual } from 'node:crypto';
import { ACCESS_KEY_BYTES, WireError } from '@parley/wire';
import type { ProfileStore } from '../storage/storage.ts';

/** Compared with when there is no stored key, so every refusal costs the same. */
const NO_KEY = new Uint8Array(ACCESS_KEY_BYTES);
/** Looked up in place of an account that does not exist (never an account id: those are random version-4 UUIDs). */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

export function accessKeyRefused(): WireError {
  return new WireError('ACCESS_KEY_REFUSED', 'the unidentified-access key was refused');
}

export class UnidentifiedAccess {
  constructor(private readonly profiles: Pick<ProfileStore, 'accessKey'>) {}

  /** Resolves when `presented` is `accountId`'s access key; ACCESS_KEY_REFUSED otherwise (also for `accountId` undefined: no such account). */
  async check(accountId: string | undefined, presented: Uint8Array | undefined): Promise<void> {
    // Why look up even for no account: a missing account costs the same query as one with a wrong key.
    const stored = await this.profiles.accessKey(accountId ?? NO_ACCOUNT);
    const want = stored?.length === ACCESS_KEY_BYTES ? stored : NO_KEY;
    const got = presented?.length === ACCESS_KEY_BYTES ? presented : NO_KEY;
    // Why both conditions after the compare: the time taken must not depend on which failed.
    const same = timingSafeEqual(want, got);
    if (!same || stored === undefined || presented === undefined || want === NO_KEY || got === NO_KEY) throw accessKeyRefused();
  }
}

/** The access key from a header value (base64 of 16 bytes); undefined when malformed (refused like a wrong key). */
export function parseAccessKey(header: string | string[] | undefined): Uint8Array | undefined {
  if (typeof header !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(header)) return undefined;
  return new Uint8Array(Buffer.from(header, 'base64'));
}
