/**
 * Finding an account by the username someone typed: usernames are case-insensitive
 * and stored lowercase; anything that cannot be a username is an unknown user.
 */
import { USERNAME_PATTERN, WireError } from '@parley/wire';
import type { AccountRow, AccountStore } from '../storage/storage.ts';

export async function findAccount(accounts: AccountStore, raw: string): Promise<AccountRow> {
  const u = raw.toLowerCase();
  const found = USERNAME_PATTERN.test(u) ? await accounts.accountByUsername(u) : undefined;
  if (!found) throw new WireError('UNKNOWN_USER', `no user named ${JSON.stringify(raw.slice(0, 40))}`);
  return found;
}
