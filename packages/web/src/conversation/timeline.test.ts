import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@parley/client';
import { buildTimeline, isSystemLine } from './timeline.ts';

let row = 0;
function msg(body: string, extra: Partial<StoredMessage> = {}): StoredMessage {
  row++;
  return { rowId: row, conversation: 'group:00112233445566778899aabbccddeeff', direction: 'in', kind: 'text', clientId: `0123abcd-${row}`, senderAccountId: 'bob', timestamp: row * 1000, body, status: 'received', seen: true, ...extra };
}
const show = (rows: ReturnType<typeof buildTimeline>) => rows.map((r) => (r.kind === 'message' ? `${r.sender ? `${r.sender}| ` : ''}${r.message.body}` : `line:${r.text}`));

describe('timeline', () => {
  it("recognises the SDK's system lines by their kind, and nothing else", () => {
    expect(isSystemLine(msg('Missed voice call', { clientId: 'call-00ff', kind: 'system' }))).toBe(true);
    expect(isSystemLine(msg('alice added bob', { clientId: 'update-x-2-0', kind: 'system' }))).toBe(true);
    // A text that only looks like a note stays a message.
    expect(isSystemLine(msg('Missed voice call'))).toBe(false);
  });

  it('turns call notes into system lines and keeps messages in stored order', () => {
    const rows = buildTimeline([msg('hi'), msg('Voice call, 2:05', { kind: 'system', clientId: 'call-aa' }), msg('after the call', { direction: 'out', status: 'read' })]);
    expect(show(rows)).toEqual(['hi', 'line:Voice call, 2:05', 'after the call']);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  });

  it('in a group, names the sender of each run of incoming messages; never our own', () => {
    const names: Record<string, string> = { bob: 'bob', carl: 'carl' };
    const rows = buildTimeline(
      [
        msg('alice added bob and carl', { kind: 'system', senderAccountId: 'alice', direction: 'out' }),
        msg('one', { senderAccountId: 'bob' }),
        msg('two', { senderAccountId: 'bob' }),
        msg('three', { senderAccountId: 'carl' }),
        msg('mine', { senderAccountId: 'me', direction: 'out', status: 'sent' }),
        msg('four', { senderAccountId: 'carl' }),
        msg('carl changed the group name', { kind: 'system', senderAccountId: 'carl' }),
        msg('five', { senderAccountId: 'carl' }),
      ],
      (id) => names[id] ?? 'someone',
    );
    expect(show(rows)).toEqual(['line:alice added bob and carl', 'bob| one', 'two', 'carl| three', 'mine', 'carl| four', 'line:carl changed the group name', 'carl| five']);
  });

  it('in a direct conversation, names nobody', () => {
    expect(show(buildTimeline([msg('one'), msg('two')]))).toEqual(['one', 'two']);
  });
});
