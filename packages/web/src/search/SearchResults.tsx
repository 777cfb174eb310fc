/**
 * Messages found in all conversations (the search box at the top of the sidebar),
 * newest first: each a button with the conversation's name, the date, and the
 * words around the match with the match marked. Selecting one opens its
 * conversation at that message. Only what is on this device is searched (the SDK's
 * `search`); nothing is sent anywhere.
 */
import { useMemo } from 'react';
import type { ConversationSummary, ParleyClient, StoredMessage } from '@parley/client';
import { calendarDate, clockTime, dayStart } from '../ui/time.ts';
import { snippet } from './match.ts';

/** Results shown at most (the newest). */
export const SEARCH_RESULTS_SHOWN = 50;

export function SearchResults(props: { client: ParleyClient; query: string; conversations: readonly ConversationSummary[]; version: number; nameOf: (id: string) => string; onOpen: (m: StoredMessage) => void }) {
  const { client, query, conversations, version } = props;
  const titles = useMemo(() => new Map(conversations.map((c) => [c.id, c])), [conversations]);
  const found = useMemo(() => client.search(query, { limit: SEARCH_RESULTS_SHOWN }).filter((m) => titles.has(m.conversation)), [client, query, titles, version]);
  const today = dayStart(Date.now());
  return (
    <div className="search-results">
      <p className="small muted search-summary" role="status">
        {found.length === 0 ? `No messages found for “${query}”` : `${found.length}${found.length === SEARCH_RESULTS_SHOWN ? '+' : ''} message${found.length === 1 ? '' : 's'} found`}
      </p>
      <ul aria-label="Search results">
        {found.map((m) => {
          const c = titles.get(m.conversation)!;
          const s = snippet(m.body, query);
          const who = m.direction === 'out' ? 'You: ' : c.kind === 'group' ? `${props.nameOf(m.senderAccountId)}: ` : '';
          return (
            <li key={`${m.senderAccountId}/${m.clientId}`}>
              <button type="button" className="search-result" data-result-conversation={c.title} onClick={() => props.onOpen(m)}>
                <span className="row">
                  <span className="name">{c.title}</span>
                  <span className="small muted">{dayStart(m.timestamp) === today ? clockTime(m.timestamp) : calendarDate(m.timestamp)}</span>
                </span>
                <span className="preview">
                  {who}
                  {s.before}
                  <mark>{s.match}</mark>
                  {s.after}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
