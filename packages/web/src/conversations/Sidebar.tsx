/** The sidebar: who is signed in, settings and the call log, new chat and new group, the conversation list. */
import type { ConversationId, ConversationSummary, ParleyClient } from '@parley/client';
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
}) {
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
      <NewChat client={props.client} onOpen={props.onNewChat} />
      <ConversationList conversations={props.conversations} open={props.open} nameOf={props.nameOf} onSelect={props.onSelect} />
    </aside>
  );
}
