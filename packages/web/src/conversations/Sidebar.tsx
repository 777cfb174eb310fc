/**
 * The sidebar: who is signed in, settings and the call log, new chat and new group,
 * the message search, and the conversation list (or, while searching, the results).
 */
import { useState } from 'react';
import type { ConversationId, ConversationSummary, ParleyClient, StoredMessage } from '@parley/client';
import { SearchBox } from '../search/SearchBox.tsx';
import { SearchResults } from '../search/SearchResults.tsx';
import { ConversationList } from './ConversationList.tsx';
import type { NameOf } from './names.ts';
import { NewChat } from './NewChat.tsx';

export function Sidebar(props: {
  client: ParleyClient;
  username: string;
  conversations: readonly ConversationSummary[];
  open: ConversationId | undefined;
  nameOf: NameOf;
  onSelect: (id: ConversationId) => void;
  onNewChat: (id: ConversationId, username: string) => void;
  onNewGroup: () => void;
  onSettings: () => void;
  onCallLog: () => void;
  /** Open a search result: its conversation, at that message. */
  onOpenMessage: (m: StoredMessage) => void;
  /** Changes whenever messages may have (search again). */
  version: number;
}) {
  const [query, setQuery] = useState('');
  const q = query.trim();
  return (
    <aside className="sidebar">
      <header>
        <strong>{props.username}</strong>
        <nav className="sidebar-actions" aria-label="Account">
          <button className="link small" onClick={props.onNewGroup}>
            New group
          </button>
          <button className="link small" onClick={props.onSettings}>
            Settings
          </button>
          <button className="link small" onClick={props.onCallLog}>
            Call log
          </button>
        </nav>
      </header>
      <SearchBox query={query} onQuery={setQuery} />
      <NewChat client={props.client} onOpen={props.onNewChat} />
      {q ? (
        <SearchResults client={props.client} query={q} conversations={props.conversations} version={props.version} nameOf={props.nameOf} onOpen={props.onOpenMessage} />
      ) : (
        <ConversationList conversations={props.conversations} open={props.open} nameOf={props.nameOf} onSelect={props.onSelect} />
      )}
    </aside>
  );
}
