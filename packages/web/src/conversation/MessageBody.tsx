/**
 * A message's text. Web links become clickable only from contacts: from someone who
 * is not (a message request) they stay inert text, so opening the request loads
 * nothing of theirs. Links open in a new tab without a referrer.
 */
import type { ReactNode } from 'react';

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

export function MessageBody({ text, linksAllowed }: { text: string; linksAllowed: boolean }) {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    const url = m[0].replace(/[.,;:!?)]+$/, '');
    const at = m.index;
    if (at > last) parts.push(text.slice(last, at));
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
  if (last < text.length) parts.push(text.slice(last));
  return <span className="body">{parts}</span>;
}
