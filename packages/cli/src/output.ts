/** How the CLI prints messages, times and errors. */
import { ClientError, WireError, type ParleyClient, type StoredMessage } from '@parley/client';
import { UsageError } from './args.ts';

export function formatTime(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 16);
}

/**
 * One line per message: `[time] alice: text` in a direct chat, `[time] <group> / alice: text`
 * in a group; a stranger's is marked as a message request; a system line has no sender.
 */
export function formatMessage(client: ParleyClient, m: StoredMessage): string {
  const conv = client.conversations().find((c) => c.id === m.conversation);
  const me = client.account;
  const sender = m.senderAccountId === me?.accountId ? 'you' : m.kind === 'system' ? undefined : senderName(client, m);
  const where = conv?.kind === 'group' ? `${conv.title} / ` : '';
  const request = conv?.request ? (conv.kind === 'group' ? ' (group request)' : ' (message request)') : '';
  if (m.kind === 'system') return `[${formatTime(m.timestamp)}] ${conv?.kind === 'group' ? `${conv.title}: ` : ''}${m.body}${request}`;
  return `[${formatTime(m.timestamp)}] ${where}${sender}${conv?.kind === 'direct' ? request : ''}: ${m.body}${conv?.kind === 'group' ? request : ''}`;
}

function senderName(client: ParleyClient, m: StoredMessage): string {
  const conv = client.conversations().find((c) => c.id === m.conversation);
  if (conv?.kind === 'direct') return conv.title;
  if (conv?.groupId) {
    const member = client.groups.list().find((g) => g.groupId === conv.groupId)?.members.find((x) => x.accountId === m.senderAccountId);
    if (member) return member.username;
  }
  return 'someone';
}

export function describeError(e: unknown): string {
  if (e instanceof WireError) return e.describe();
  if (e instanceof ClientError) return `${e.code}: ${e.message}`;
  if (e instanceof UsageError) return e.message;
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}
