/**
 * Names for account ids, as far as the SDK lets the app know them: our own account
 * ("You"), the members of our groups, and the people we have direct chats with. A
 * former group member we never chatted with has no name here (the SDK exposes no
 * contact lookup by id); they are "Former member".
 */
import type { ConversationSummary, ParleyClient } from '@parley/client';

export type NameOf = (accountId: string) => string;

export const FORMER_MEMBER = 'Former member';

/** `conversations` is `client.conversations()`, passed in because listing them reads every message. */
export function accountNames(client: ParleyClient, conversations: readonly ConversationSummary[]): NameOf {
  const names = new Map<string, string>();
  for (const c of conversations) if (c.kind === 'direct' && c.username) names.set(c.id.slice('direct:'.length), c.username);
  for (const g of client.groups.list()) for (const m of g.members) names.set(m.accountId, m.username);
  const me = client.account?.accountId;
  return (accountId) => (accountId === me ? 'You' : (names.get(accountId) ?? FORMER_MEMBER));
}
