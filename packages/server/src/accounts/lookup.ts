/**
 * Finding an account by the username someone typed: usernames are case-insensitive
 * and stored lowercase; anything that cannot be a username is an unknown user.
 * `AccountCache` remembers found accounts for the send path: an account's id,
 * username and identity key never change and accounts are never deleted, so a
 * cached one is never stale, on any node.
 */
import { USERNAME_PATTERN, WireError } from '@parley/wire';
import type { AccountRow, AccountStore } from '../storage/storage.ts';

/**
 * ASCII letters lowercased, nothing else. Why not toLowerCase: Unicode folding maps the
 * Kelvin sign (U+212A) to "k" and the dotted capital I to "i̇", so a look-alike name
 * typed by someone would resolve to a real account.
 */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Never a username (fails USERNAME_PATTERN), looked up in place of malformed names so every lookup costs one query. */
const NO_SUCH_NAME = '-';

export async function findAccount(accounts: AccountStore, raw: string): Promise<AccountRow> {
  const u = asciiLower(raw);
  // Why query even for a malformed name: an unknown and a known name cost the same work.
  const found = await accounts.accountByUsername(USERNAME_PATTERN.test(u) ? u : NO_SUCH_NAME);
  if (!found) throw unknownUser(raw);
  return found;
}

/** The one answer for a name that finds nothing (also where a lookup must not reveal that an account exists). */
export function unknownUser(raw: string): WireError {
  return new WireError('UNKNOWN_USER', `no user named ${JSON.stringify(raw.slice(0, 40))}`);
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
