import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@parley/client';
import { previewText } from './preview.ts';

const last = (body: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  rowId: 1, conversation: 'group:00112233445566778899aabbccddeeff', direction: 'in', kind: 'text', clientId: 'c1', senderAccountId: 'b0b', timestamp: 1, body, status: 'received', seen: false, ...extra,
});
const nameOf = (id: string) => (id === 'b0b' ? 'bob' : 'Former member');

describe('conversation preview', () => {
  it("names the sender in groups, says 'You' for ours, and shows system lines as they are", () => {
    expect(previewText({ kind: 'group', last: last('see you at 8') }, nameOf)).toBe('bob: see you at 8');
    expect(previewText({ kind: 'direct', last: last('see you at 8') }, nameOf)).toBe('see you at 8');
    expect(previewText({ kind: 'group', last: last('on my way', { direction: 'out', status: 'sent' }) }, nameOf)).toBe('You: on my way');
    expect(previewText({ kind: 'group', last: last('bob added carl', { kind: 'system' }) }, nameOf)).toBe('bob added carl');
    expect(previewText({ kind: 'direct', last: last('Missed voice call', { kind: 'system', direction: 'out' }) }, nameOf)).toBe('Missed voice call');
  });

  it('a group without messages says so', () => {
    expect(previewText({ kind: 'group' }, nameOf)).toBe('No messages yet');
  });
});
