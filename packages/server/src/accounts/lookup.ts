/**
 * Finding an account by the username someone typed: usernames are case-insensitive
 * and stored lowercase; anything that cannot be a username is an unknown user.
 * `AccountCache` remembers found accounts for the send path: an account's id,
 * username and identity key never change and accounts are never deleted, so a
 * cached one is never stale, on any node.
 */
import { USERNAME_PATTERN, WireError } from '@parley/wire';
import type { AccountRow, AccountStore } from '../storage/storage.ts';

export async function findAccount(accounts: AccountStore, raw: string): Promise<AccountRow> {
  const u = raw.toLowerCase();
  const found = USERNAME_PATTERN.test(u) ? await accounts.accountByUsername(u) : undefined;
  if (!found) throw new WireError('UNKNOWN_USER', `no user named ${JSON.stringify(raw.slice(0, 40))}`);
  return found;
}

/** Usernames to accounts, the most recent `max` of them (found ones only). */
export class AccountCache {
  private readonly byName = new Map<string, AccountRow>();

  constructor(
    private readonly accounts: AccountStore,
    private readonly max = 10_000,
  ) {}

  async find(raw: string): Promise<AccountRow> {
    const hit = this.byName.get(raw);
    if (hit) return hit;
    const found = await findAccount(this.accounts, raw);
    if (this.byName.size >= this.max) this.byName.delete(this.byName.keys().next().value!);
    this.byName.set(raw, found);
    return found;
  }
}
