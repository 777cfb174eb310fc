/**
 * A message's text. Web links become clickable only from contacts: from someone who
 * is not (a message request) they stay inert text, so opening the request loads
 * nothing of theirs. Links open in a new tab without a referrer. While the
 * conversation is searched, the matches of the search term are marked.
 */
import type { ReactNode } from 'react';
import { matchRanges } from '../search/match.ts';

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

/** `text` with the matches of `term` in <mark>. */
function marked(text: string, term: string | undefined, key: number): ReactNode {
  const ranges = term ? matchRanges(text, term) : [];
  if (ranges.length === 0) return text;
  const parts: ReactNode[] = [];
  let last = 0;
  for (const [s, e] of ranges) {
    if (s > last) parts.push(text.slice(last, s));
    parts.push(<mark key={`${key}-${s}`}>{text.slice(s, e)}</mark>);
    last = e;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

export function MessageBody({ text, linksAllowed, highlight }: { text: string; linksAllowed: boolean; highlight?: string | undefined }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    const url = m[0].replace(/[.,;:!?)]+$/, '');
    const at = m.index;
    if (at > last) parts.push(marked(text.slice(last, at), highlight, last));
    parts.push(
      linksAllowed ? (
        <a key={at} href={url} target="_blank" rel="noopener noreferrer nofollow">
          {url}
        </a>
      ) : (
        <span key={at} className="inert-link" title="Links from people who are not your contacts are not opened">
          {url}
        </span>
      ),
    );
    last = at + url.length;
  }
  if (last < text.length) parts.push(marked(text.slice(last), highlight, last));
  return <span className="body">{parts}</span>;
}
