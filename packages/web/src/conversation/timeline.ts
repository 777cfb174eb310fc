/**
 * A conversation as the person reads it: chat messages in bubbles, and system
 * lines (centred, no bubble, no ticks) for what the SDK writes itself: call notes
 * ("Missed voice call", "Voice call, 2:05") and group changes ("alice added bob").
 * Consecutive messages from one sender within a few minutes form a run (grouped
 * bubbles: one name on top, one tail at the bottom); a new day starts with a day
 * separator, and the first message that was unread when the conversation opened
 * with an unread marker. Both are carried by the row they stand above (not rows of
 * their own), so the virtualized list still has one row per message.
 * Owns no storage: the SDK's messages are the only source.
 */
import type { StoredMessage } from '@parley/client';
import { dayLabel, dayStart } from '../ui/time.ts';

/** What stands above a row: a day separator and/or the unread marker. */
export interface RowHeading {
  /** "Today", "Yesterday", "Monday", "3 Dec 2026": the first row of each day. */
  readonly day?: string;
  /** The unread marker ("2 unread messages"), above the first message unread when the conversation opened. */
  readonly unread?: string;
}

export type TimelineRow =
  | (RowHeading & {
      readonly kind: 'message';
      readonly key: string;
      readonly message: StoredMessage;
      /** The sender's name above the bubble (group conversations, incoming, first of a run). */
      readonly sender?: string;
      /** First of a run of messages from one sender (the bubble has space and a name above it). */
      readonly runStart: boolean;
      /** Last of a run (the bubble has its tail, and in groups the sender's avatar). */
      readonly runEnd: boolean;
    })
  | (RowHeading & { readonly kind: 'system'; readonly key: string; readonly text: string; readonly timestamp: number });

/** Messages further apart than this start a new run, even from the same sender. */
export const RUN_GAP_MS = 5 * 60_000;

/**
 * True for a line the SDK wrote itself rather than a person. The one place that
 * knows this. A peer cannot forge one: only the SDK stores `kind: 'system'`; text
 * from the network is always `kind: 'text'`.
 */
export function isSystemLine(m: StoredMessage): boolean {
  return m.kind === 'system';
}

export interface TimelineOptions {
  /** Names the sender of an incoming message; given for groups only. */
  readonly senderName?: (accountId: string) => string;
  /** The row id of the first message that was unread when the conversation was opened. */
  readonly unreadFrom?: number;
  /** How many were unread then (the marker keeps that number as more arrive); default: all incoming from `unreadFrom` on. */
  readonly unreadCount?: number;
  /** For day labels ("Today", "Yesterday"); default Date.now(). */
  readonly now?: number;
}

/** The rows for `messages` (stored order). */
export function buildTimeline(messages: readonly StoredMessage[], options: TimelineOptions | ((accountId: string) => string) = {}): TimelineRow[] {
  const { senderName, unreadFrom, now = Date.now() } = typeof options === 'function' ? { senderName: options } : options;
  const unreadCount = unreadFrom === undefined ? 0 : ((typeof options === 'function' ? undefined : options.unreadCount) ?? messages.filter((m) => m.rowId >= unreadFrom && m.direction === 'in' && !isSystemLine(m)).length);
  const unreadRow = unreadFrom !== undefined && unreadCount > 0 ? messages.find((m) => m.rowId >= unreadFrom && m.direction === 'in' && !isSystemLine(m))?.rowId : undefined;
  // Why day starts are computed once: 10,000 messages must not format 30,000 dates.
  const days = messages.map((m) => dayStart(m.timestamp));
  const rows: TimelineRow[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const key = `m${m.rowId}`;
    const heading: { day?: string; unread?: string } = {};
    if (i === 0 || days[i] !== days[i - 1]) heading.day = dayLabel(m.timestamp, now);
    if (m.rowId === unreadRow) heading.unread = `${unreadCount} unread message${unreadCount === 1 ? '' : 's'}`;
    if (isSystemLine(m)) {
      rows.push({ kind: 'system', key, text: m.body, timestamp: m.timestamp, ...heading });
      continue;
    }
    const prev = messages[i - 1];
    const next = messages[i + 1];
    const runStart = !prev || !sameRun(prev, m) || days[i - 1] !== days[i] || heading.unread !== undefined;
    const runEnd = !next || !sameRun(m, next) || days[i + 1] !== days[i] || next.rowId === unreadRow;
    const named = senderName && m.direction === 'in' && runStart;
    rows.push({ kind: 'message', key, message: m, runStart, runEnd, ...(named ? { sender: senderName(m.senderAccountId) } : {}), ...heading });
  }
  return rows;
}

/** Whether `b` continues `a`'s run: both chat messages, one sender and direction, close in time. */
function sameRun(a: StoredMessage, b: StoredMessage): boolean {
  return !isSystemLine(a) && !isSystemLine(b) && a.direction === b.direction && a.senderAccountId === b.senderAccountId && b.timestamp - a.timestamp <= RUN_GAP_MS;
}
