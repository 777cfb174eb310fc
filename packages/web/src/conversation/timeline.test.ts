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

  const at = (iso: string) => new Date(iso).getTime();
  const runs = (rows: ReturnType<typeof buildTimeline>) => rows.map((r) => (r.kind === 'message' ? `${r.runStart ? '[' : ''}${r.message.body}${r.runEnd ? ']' : ''}` : `line:${r.text}`));

  it('groups consecutive messages of one sender into runs, broken by another sender, a system line, a gap of minutes or a new day', () => {
    const rows = buildTimeline([
      msg('a1', { timestamp: at('2026-03-02T10:00:00') }),
      msg('a2', { timestamp: at('2026-03-02T10:01:00') }),
      msg('mine', { direction: 'out', senderAccountId: 'me', status: 'read', timestamp: at('2026-03-02T10:02:00') }),
      msg('mine too', { direction: 'out', senderAccountId: 'me', status: 'read', timestamp: at('2026-03-02T10:02:30') }),
      msg('b1', { timestamp: at('2026-03-02T10:03:00') }),
      msg('later', { timestamp: at('2026-03-02T10:20:00') }),
      msg('Missed voice call', { kind: 'system', timestamp: at('2026-03-02T10:21:00') }),
      msg('after', { timestamp: at('2026-03-02T10:22:00') }),
      msg('late', { timestamp: at('2026-03-02T23:59:00') }),
      msg('next day', { timestamp: at('2026-03-03T00:01:00') }),
    ], { now: at('2026-03-03T12:00:00') });
    expect(runs(rows)).toEqual(['[a1', 'a2]', '[mine', 'mine too]', '[b1]', '[later]', 'line:Missed voice call', '[after]', '[late]', '[next day]']);
  });

  it('puts a day separator above the first row of each day: Today, Yesterday, a weekday within the week, else the date', () => {
    const now = at('2026-03-10T12:00:00');
    const rows = buildTimeline([
      msg('old', { timestamp: at('2026-01-05T09:00:00') }),
      msg('old 2', { timestamp: at('2026-01-05T09:01:00') }),
      msg('this week', { timestamp: at('2026-03-07T09:00:00') }),
      msg('yesterday', { timestamp: at('2026-03-09T22:00:00') }),
      msg('call', { kind: 'system', timestamp: at('2026-03-10T08:00:00') }),
      msg('today', { timestamp: at('2026-03-10T09:00:00') }),
    ], { now });
    expect(rows.map((r) => r.day)).toEqual([new Date(at('2026-01-05T09:00:00')).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' }), undefined, new Date(at('2026-03-07T09:00:00')).toLocaleDateString([], { weekday: 'long' }), 'Yesterday', 'Today', undefined]);
  });

  it('marks the first message that was unread when the conversation opened, with how many are unread; our own and system lines do not count', () => {
    const now = at('2026-03-10T12:00:00');
    const list = [
      msg('read', { timestamp: now - 50_000 }),
      msg('mine', { direction: 'out', senderAccountId: 'me', status: 'read', timestamp: now - 40_000 }),
      msg('new 1', { timestamp: now - 30_000 }),
      msg('Missed voice call', { kind: 'system', timestamp: now - 20_000 }),
      msg('new 2', { timestamp: now - 10_000 }),
    ];
    const rows = buildTimeline(list, { now, unreadFrom: list[1]!.rowId });
    expect(rows.map((r) => r.unread)).toEqual([undefined, undefined, '2 unread messages', undefined, undefined]);
    // The marker starts a run of its own.
    const r = rows[2]!;
    expect(r.kind === 'message' && r.runStart).toBe(true);
    expect(buildTimeline(list, { now, unreadFrom: list[4]!.rowId }).map((x) => x.unread)).toEqual([undefined, undefined, undefined, undefined, '1 unread message']);
    expect(buildTimeline(list, { now }).every((x) => x.unread === undefined)).toBe(true);
    // The number stays what it was when the conversation opened.
    expect(buildTimeline(list, { now, unreadFrom: list[2]!.rowId, unreadCount: 1 })[2]!.unread).toBe('1 unread message');
  });

  it('builds 10,000 rows quickly (the virtualized list rebuilds them on every change)', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => msg(`m${i}`, { timestamp: 1_700_000_000_000 + i * 60_000 }));
    const t0 = performance.now();
    const rows = buildTimeline(many, { now: 1_700_000_000_000 + 10_000 * 60_000 });
    expect(rows).toHaveLength(10_000);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
