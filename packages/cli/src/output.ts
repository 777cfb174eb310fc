/** How the CLI prints messages, times and errors. */
import { ClientError, DELETED_TEXT, describeTimer, formatFileSize, safeFileName, shortId, WireError, type ClientEvent, type ParleyClient, type StoredMessage } from '@parley/client';
import { UsageError } from './args.ts';
import { labelOf } from './commands/profiles.ts';

export function formatTime(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 16);
}

/**
 * One line per message: `[time #id] alice: text` in a direct chat, `[time #id] <group> / alice: text`
 * in a group (`#id`: the message id's short form, for reply, react, edit and delete); a stranger's
 * is marked as a message request, a blocked person's as blocked; a system line has no sender and no id. A reply starts with
 * what it quotes, an edited message ends with "(edited)", reactions follow in brackets.
 */
export function formatMessage(client: ParleyClient, m: StoredMessage): string {
  const conv = client.conversations().find((c) => c.id === m.conversation);
  const me = client.account;
  const sender = m.senderAccountId === me?.accountId ? 'you' : m.kind === 'system' ? undefined : senderName(client, m);
  const where = conv?.kind === 'group' ? `${conv.title} / ` : '';
  const request = conv?.blocked ? ' (blocked)' : conv?.request ? (conv.kind === 'group' ? ' (group request)' : ' (message request)') : '';
  if (m.kind === 'system') return `[${formatTime(m.timestamp)}] ${conv?.kind === 'group' ? `${conv.title}: ` : ''}${m.body}${request}`;
  let body = m.attachment ? `${describeAttachment(m)}${m.body ? ` ${m.body}` : ''}` : m.body;
  if (m.deleted) body = `(${DELETED_TEXT})`;
  if (m.quote) body = `[reply to ${personName(client, m.quote.author)} #${shortId({ clientId: m.quote.id })}: "${preview(m.quote.text)}"] ${body}`;
  if (m.edits) body += ' (edited)';
  if (m.expiresInMs) body += ` (disappears ${describeTimer(m.expiresInMs / 1000)} after reading)`;
  if (m.reactions?.length) body += `  [${m.reactions.map((r) => `${r.emoji} ${personName(client, r.author)}`).join(', ')}]`;
  return `[${formatTime(m.timestamp)} #${shortId(m)}] ${where}${sender}${conv?.kind === 'direct' ? request : ''}: ${body}${conv?.kind === 'group' ? request : ''}`;
}

/** `you` for our own account, else the person's username (with their profile name when known: `Alice Smith (@alice)`). */
export function personName(client: ParleyClient, accountId: string): string {
  return accountId === client.account?.accountId ? 'you' : labelOf(client, client.displayName(accountId));
}

/** The start of a text, on one line. */
export function preview(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A change to a message that arrived (`inbox` prints these for messages shown before):
 * `[time] bob reacted 👍 to #1a2b3c4d "climbing?"`, `... alice edited #1a2b3c4d: new text`,
 * `... alice deleted #1a2b3c4d`.
 */
export function formatChange(client: ParleyClient, e: Extract<ClientEvent, { type: 'message-changed' }>): string {
  const m = e.message;
  const who = personName(client, e.by);
  const conv = client.conversations().find((c) => c.id === m.conversation);
  const where = conv?.kind === 'group' ? `${conv.title} / ` : '';
  const ref = `#${shortId(m)}`;
  let what: string;
  if (e.change === 'reaction') {
    const r = m.reactions?.find((x) => x.author === e.by);
    what = r ? `reacted ${r.emoji} to ${ref} "${preview(m.body)}"` : `took back a reaction to ${ref} "${preview(m.body)}"`;
  } else if (e.change === 'edit') what = `edited ${ref}: ${m.body}`;
  else what = `deleted ${ref} for everyone`;
  return `[${formatTime(e.at)}] ${where}${who} ${what}`;
}

/** `[file holiday.jpg, image/jpeg, 3.0 MB]`: the name as it would be saved (a sender's raw name may hold anything). */
export function describeAttachment(m: StoredMessage): string {
  const a = m.attachment!;
  const kind = a.voiceNote ? 'voice note' : 'file';
  const state = a.state === 'invalid' ? ', did not verify' : a.state === 'expired' ? ', expired' : '';
  return `[${kind} ${safeFileName(a.fileName ?? 'attachment')}, ${a.contentType}, ${formatBytes(a.size)}${state}]`;
}

/** A size as people read it (the SDK's wording, the same as the web app's). */
export const formatBytes = formatFileSize;

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
  if (conv?.kind === 'direct') return labelOf(client, conv.title);
  if (conv?.groupId) {
    const member = client.groups.list().find((g) => g.groupId === conv.groupId)?.members.find((x) => x.accountId === m.senderAccountId);
    if (member) return labelOf(client, member.username);
  }
  return 'someone';
}

export function describeError(e: unknown): string {
  if (e instanceof WireError) return e.describe();
  if (e instanceof ClientError && e.code === 'BLOCKED') return `BLOCKED: ${e.message} (\`parley unblock ${String(e.details['username'])}\`)`;
  if (e instanceof ClientError) return `${e.code}: ${e.message}`;
  if (e instanceof UsageError) return e.message;
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}
