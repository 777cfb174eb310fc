/**
 * A conversation as the person reads it: chat messages in bubbles, and system
 * lines (centred, no bubble, no ticks) for what the SDK writes itself: call notes
 * ("Missed voice call", "Voice call, 2:05") and group changes ("alice added bob").
 * In a group, an incoming bubble carries its sender's name when the message before
 * it was not theirs. Owns no storage: the SDK's messages are the only source.
 */
import type { StoredMessage } from '@parley/client';

export type TimelineRow =
  | {
      readonly kind: 'message';
      readonly key: string;
      readonly message: StoredMessage;
      /** The sender's name above the bubble (group conversations, incoming, first of a run). */
      readonly sender?: string;
    }
  | { readonly kind: 'system'; readonly key: string; readonly text: string; readonly timestamp: number };

/**
 * True for a line the SDK wrote itself rather than a person. The one place that
 * knows this. A peer cannot forge one: only the SDK stores `kind: 'system'`; text
 * from the network is always `kind: 'text'`.
 */
export function isSystemLine(m: StoredMessage): boolean {
  return m.kind === 'system';
}

/**
 * The rows for `messages` (stored order). `senderName` is given for groups only: it
 * names the sender of an incoming message.
 */
export function buildTimeline(messages: readonly StoredMessage[], senderName?: (accountId: string) => string): TimelineRow[] {
  const rows: TimelineRow[] = [];
  let previousSender: string | undefined;
  for (const m of messages) {
    const key = `m${m.rowId}`;
    if (isSystemLine(m)) {
      rows.push({ kind: 'system', key, text: m.body, timestamp: m.timestamp });
      previousSender = undefined;
      continue;
    }
    const named = senderName && m.direction === 'in' && m.senderAccountId !== previousSender;
    rows.push(named ? { kind: 'message', key, message: m, sender: senderName(m.senderAccountId) } : { kind: 'message', key, message: m });
    previousSender = m.direction === 'in' ? m.senderAccountId : undefined;
  }
  return rows;
}
