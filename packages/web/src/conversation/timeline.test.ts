import { describe, expect, it } from 'vitest';
import type { CallLogEntry, StoredMessage } from '@parley/client';
import { answeredCallText, buildTimeline, isCallNote } from './timeline.ts';

let row = 0;
function msg(body: string, timestamp: number, extra: Partial<StoredMessage> = {}): StoredMessage {
  row++;
  return { rowId: row, conversation: 'direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', direction: 'in', kind: 'text', clientId: `0123abcd-${row}`, senderAccountId: 'b', timestamp, body, status: 'received', seen: true, ...extra };
}
function log(callId: string, event: CallLogEntry['event'], timestamp: number, peer = 'bob', media: 'audio' | 'video' = 'audio'): CallLogEntry {
  return { callId, peer, direction: 'out', media, event, timestamp };
}

describe('timeline', () => {
  it('recognises the SDK\'s system lines by their kind, and nothing else', () => {
    expect(isCallNote(msg('Missed voice call', 1, { clientId: 'call-00ff', kind: 'system' }))).toBe(true);
    // A text that only looks like a note stays a message.
    expect(isCallNote(msg('Missed voice call', 1))).toBe(false);
  });

  it('says what an answered call was', () => {
    expect(answeredCallText('audio', 125)).toBe('Voice call, 2:05');
    expect(answeredCallText('video', 7)).toBe('Video call, 0:07');
    expect(answeredCallText('audio', null)).toBe('Voice call, not connected');
    expect(answeredCallText('video', undefined)).toBe('Video call');
  });

  it('turns call notes into system lines and places answered calls by when they ended', () => {
    const messages = [msg('hi', 100), msg('Cancelled voice call', 200, { clientId: 'call-aa', kind: 'system', direction: 'out', status: 'sent' }), msg('after the call', 400)];
    const entries = [
      log('aa', 'ring', 190),
      log('aa', 'missed', 200),
      log('c1', 'ring', 250),
      log('c1', 'answered', 255),
      log('c1', 'ended', 380),
      log('c2', 'ring', 500, 'bob', 'video'),
      log('c2', 'answered', 505, 'bob', 'video'),
      log('c2', 'ended', 600, 'bob', 'video'),
      log('c3', 'answered', 650),
      log('x1', 'answered', 300, 'carol'),
      log('x1', 'ended', 310, 'carol'),
    ];
    const rows = buildTimeline(messages, entries, 'bob', (id) => (id === 'c1' ? 125 : undefined));
    expect(rows.map((r) => (r.kind === 'message' ? `msg:${r.message.body}` : `line:${r.text}`))).toEqual([
      'msg:hi',
      'line:Cancelled voice call',
      'line:Voice call, 2:05',
      'msg:after the call',
      'line:Video call',
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });
});
