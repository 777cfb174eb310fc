/**
 * What a quote shows: who wrote the quoted message ("You" for ours) and a one-line
 * snippet of it. A quote of a file says what it was ("📷 Photo", "📄 report.pdf"),
 * from the original when it is still here, else from the quote's own text (the SDK
 * writes "[name]" for a file without a caption). Pure: no DOM.
 */
import type { Quote, StoredMessage } from '@parley/client';
import { attachmentKind, kindIcon, kindName } from '../../attachments/kind.ts';

/** Longest snippet shown in a quote (the SDK keeps up to 200 characters). */
export const QUOTE_SNIPPET_LENGTH = 120;

export function quoteAuthor(author: string, me: string, nameOf: (accountId: string) => string): string {
  return author === me ? 'You' : nameOf(author);
}

export function quoteSnippet(quote: Pick<Quote, 'text'>, original: StoredMessage | undefined): string {
  if (original?.deleted) return 'This message was deleted';
  const a = original?.attachment;
  if (a) {
    const kind = attachmentKind(a);
    return `${kindIcon(kind)} ${original.body || (kind === 'file' ? (a.fileName ?? kindName(kind)) : kindName(kind))}`;
  }
  const text = original?.body ?? quote.text;
  const file = /^\[(.+)\]$/.exec(text);
  const line = file ? `📄 ${file[1]}` : text.replace(/\s+/g, ' ').trim();
  return [...line].length > QUOTE_SNIPPET_LENGTH ? `${[...line].slice(0, QUOTE_SNIPPET_LENGTH).join('')}…` : line;
}
