/** How the CLI prints messages, times and errors. */
import { ClientError, safeFileName, WireError, type ParleyClient, type StoredMessage } from '@parley/client';
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
  const body = m.attachment ? `${describeAttachment(m)}${m.body ? ` ${m.body}` : ''}` : m.body;
  return `[${formatTime(m.timestamp)}] ${where}${sender}${conv?.kind === 'direct' ? request : ''}: ${body}${conv?.kind === 'group' ? request : ''}`;
}

/** `[file holiday.jpg, image/jpeg, 3.0 MB]`: the name as it would be saved (a sender's raw name may hold anything). */
export function describeAttachment(m: StoredMessage): string {
  const a = m.attachment!;
  const kind = a.voiceNote ? 'voice note' : 'file';
  const state = a.state === 'invalid' ? ', did not verify' : a.state === 'expired' ? ', expired' : '';
  return `[${kind} ${safeFileName(a.fileName ?? 'attachment')}, ${a.contentType}, ${formatBytes(a.size)}${state}]`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/**
 * A progress line on stderr (`label: 42% (1.2 MB of 3.0 MB)`), redrawn in place; `end`
 * finishes the line. Transfers count encrypted, padded bytes; the line shows them as a
 * share of the file's own `size`.
 */
export function progressLine(label: string, size: number): { update: (done: number, total: number) => void; end: () => void } {
  let shown = -1;
  return {
    update: (done, total) => {
      const pct = total === 0 ? 100 : Math.floor((done * 100) / total);
      if (pct === shown) return;
      shown = pct;
      process.stderr.write(`\r${label}: ${pct}% (${formatBytes(Math.round((size * pct) / 100))} of ${formatBytes(size)})`);
    },
    end: () => {
      if (shown >= 0) process.stderr.write('\n');
      shown = -1;
    },
  };
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
