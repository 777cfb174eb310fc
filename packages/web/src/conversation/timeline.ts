/**
 * A conversation as the person reads it: messages, and system lines about calls
 * (centred, no bubble, no ticks). System lines come from two places: the call
 * notes the SDK stores as messages ("Missed voice call", "Cancelled voice call"),
 * and answered calls from the SDK's call log, with the length this browser
 * recorded (call/call-lengths.ts), e.g. "Voice call, 2:05".
 */
import type { CallLogEntry, StoredMessage } from '@parley/client';
import type { CallLength } from '../call/call-lengths.ts';
import { duration } from '../ui/time.ts';

export type TimelineRow =
  | { readonly kind: 'message'; readonly key: string; readonly message: StoredMessage }
  | { readonly kind: 'system'; readonly key: string; readonly text: string; readonly timestamp: number };

/**
 * True for a note the SDK wrote about a call (addCallNote in the SDK's client.ts
 * stores them as messages whose clientId is `call-<callId>`). The one place that
 * knows this: when the SDK gets a message kind for call notes, switch here.
 * Why a peer cannot forge one: every id in content from the network is hex
 * (content.ts), and "call-" is not.
 */
export function isCallNote(m: StoredMessage): boolean {
  return m.kind === 'system';
}

/** "Voice call, 2:05"; "Video call, not connected"; "Voice call" when this browser did not record the length. */
export function answeredCallText(media: 'audio' | 'video', length: CallLength | undefined): string {
  const kind = media === 'video' ? 'Video call' : 'Voice call';
  if (length === undefined) return kind;
  return length === null ? `${kind}, not connected` : `${kind}, ${duration(length)}`;
}

/** Answered calls with `peer` that have ended, from the call log, oldest first. */
export function answeredCalls(log: readonly CallLogEntry[], peer: string): Array<{ callId: string; media: 'audio' | 'video'; endedAt: number }> {
  const answered = new Set<string>();
  const out: Array<{ callId: string; media: 'audio' | 'video'; endedAt: number }> = [];
  const done = new Set<string>();
  for (const e of log) {
    if (e.peer !== peer) continue;
    if (e.event === 'answered') answered.add(e.callId);
    else if (e.event === 'ended' && answered.has(e.callId) && !done.has(e.callId)) {
      done.add(e.callId);
      out.push({ callId: e.callId, media: e.media, endedAt: e.timestamp });
    }
  }
  return out.sort((a, b) => a.endedAt - b.endedAt);
}

/** Messages in stored order, with each answered call's line placed by when it ended. */
export function buildTimeline(messages: readonly StoredMessage[], log: readonly CallLogEntry[], peer: string, lengthOf: (callId: string) => CallLength | undefined): TimelineRow[] {
  // The SDK writes its own line for calls it saw end ("Voice call, 2:05"); those need none from the log.
  const noted = new Set(messages.filter((m) => m.kind === 'system').map((m) => m.clientId));
  const calls = answeredCalls(log, peer).filter((c) => !noted.has(`call-${c.callId}`));
  const rows: TimelineRow[] = [];
  let next = 0;
  const callsBefore = (ts: number) => {
    for (; next < calls.length && calls[next]!.endedAt <= ts; next++) {
      const c = calls[next]!;
      rows.push({ kind: 'system', key: `call-${c.callId}-ended`, text: answeredCallText(c.media, lengthOf(c.callId)), timestamp: c.endedAt });
    }
  };
  for (const m of messages) {
    callsBefore(m.timestamp);
    rows.push(isCallNote(m) ? { kind: 'system', key: `m${m.rowId}`, text: m.body, timestamp: m.timestamp } : { kind: 'message', key: `m${m.rowId}`, message: m });
  }
  callsBefore(Number.POSITIVE_INFINITY);
  return rows;
}
