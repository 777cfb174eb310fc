import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '@parley/client';
import { quoteAuthor, quoteSnippet, QUOTE_SNIPPET_LENGTH } from './quote-text.ts';

const base: StoredMessage = { rowId: 1, conversation: 'direct:x', direction: 'in', kind: 'text', clientId: 'c', senderAccountId: 'a', timestamp: 0, body: 'hello', status: 'received', seen: true };

describe('quote text', () => {
  it('names the author, "You" for ours', () => {
    expect(quoteAuthor('me', 'me', () => 'x')).toBe('You');
    expect(quoteAuthor('a', 'me', () => 'ana')).toBe('ana');
  });

  it('the original as it is now, else the quoted text; files by kind; long text cut', () => {
    expect(quoteSnippet({ text: 'old' }, { ...base, body: 'new  text\nhere' })).toBe('new text here');
    expect(quoteSnippet({ text: 'gone from here' }, undefined)).toBe('gone from here');
    expect(quoteSnippet({ text: '[report.pdf]' }, undefined)).toBe('📄 report.pdf');
    const photo = { ...base, body: '', attachment: { id: 'i', key: new Uint8Array(), digest: new Uint8Array(), size: 1, contentType: 'image/png', fileName: 'p.png', state: 'downloaded' as const } };
    expect(quoteSnippet({ text: '[p.png]' }, photo)).toBe('📷 Photo');
    expect(quoteSnippet({ text: 'x' }, { ...base, deleted: true, body: '' })).toBe('This message was deleted');
    const long = 'a'.repeat(300);
    expect(quoteSnippet({ text: long }, undefined)).toBe(`${'a'.repeat(QUOTE_SNIPPET_LENGTH)}…`);
  });
});
