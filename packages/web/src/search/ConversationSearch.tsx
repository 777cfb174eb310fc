/**
 * Searching the open conversation (the header's search button): a bar under the
 * header with the search field, "2 of 5", and buttons to the previous (older) and
 * next (newer) match. Enter goes to the previous match, Shift+Enter to the next,
 * Escape closes. Each match is scrolled to and highlighted; the term is marked in
 * the messages. The SDK's on-device search finds them (newest first).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ConversationId, ParleyClient, StoredMessage } from '@parley/client';

export function ConversationSearch(props: {
  client: ParleyClient;
  conversation: ConversationId;
  /** Changes when the conversation's messages may have (re-run the search). */
  version: number;
  onTerm: (term: string) => void;
  onShow: (m: StoredMessage) => void;
  onClose: () => void;
}) {
  const { client, conversation, version } = props;
  const [term, setTerm] = useState('');
  const [at, setAt] = useState(0);
  const field = useRef<HTMLInputElement>(null);
  const q = term.trim();
  const found = useMemo(() => (q ? props.client.search(q, { conversation }) : []), [client, conversation, q, version]);
  useEffect(() => field.current?.focus(), []);
  useEffect(() => {
    props.onTerm(q);
    setAt(0);
    if (found[0]) props.onShow(found[0]);
  }, [q]);
  const go = (i: number) => {
    if (found.length === 0) return;
    const n = (i + found.length) % found.length;
    setAt(n);
    props.onShow(found[n]!);
  };
  return (
    <div className="conversation-search" role="search" aria-label="Search in this conversation">
      <input
        ref={field}
        type="search"
        aria-label="Search this chat"
        placeholder="Search this chat"
        value={term}
        onChange={(e) => setTerm(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            go(e.shiftKey ? at - 1 : at + 1);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            props.onClose();
          }
        }}
      />
      <span className="small muted search-count" role="status">
        {q ? (found.length ? `${at + 1} of ${found.length}` : 'No matches') : ''}
      </span>
      <button type="button" className="icon-button" aria-label="Previous match (older)" title="Previous match (older)" disabled={found.length < 2} onClick={() => go(at + 1)}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M7.4 15.4 12 10.8l4.6 4.6L18 14l-6-6-6 6z" />
        </svg>
      </button>
      <button type="button" className="icon-button" aria-label="Next match (newer)" title="Next match (newer)" disabled={found.length < 2} onClick={() => go(at - 1)}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z" />
        </svg>
      </button>
      <button type="button" className="icon-button" aria-label="Close search" title="Close search" onClick={props.onClose}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4l5.6 5.6L5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6z" />
        </svg>
      </button>
    </div>
  );
}
