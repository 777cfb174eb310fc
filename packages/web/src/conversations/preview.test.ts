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

  it('says what an attachment is when it has no caption', () => {
    const a = { id: 'x', key: new Uint8Array(64), digest: new Uint8Array(32), size: 10, state: 'remote' as const };
    expect(previewText({ kind: 'direct', last: last('', { attachment: { ...a, contentType: 'image/png', fileName: 'cat.png' } }) }, nameOf)).toBe('📷 Photo');
    expect(previewText({ kind: 'direct', last: last('the view', { attachment: { ...a, contentType: 'image/png' } }) }, nameOf)).toBe('📷 the view');
    expect(previewText({ kind: 'group', last: last('', { attachment: { ...a, contentType: 'audio/webm', voiceNote: true } }) }, nameOf)).toBe('bob: 🎤 Voice message');
    expect(previewText({ kind: 'direct', last: last('', { direction: 'out', attachment: { ...a, contentType: 'application/pdf', fileName: 'report.pdf' } }) }, nameOf)).toBe('You: 📄 report.pdf');
    expect(previewText({ kind: 'direct', request: true, last: last('', { attachment: { ...a, contentType: 'application/pdf', fileName: 'report.pdf' } }) }, nameOf)).toBe('📄 File');
  });
});
