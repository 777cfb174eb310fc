/** The sidebar: who is signed in, the way to settings and the call log, new chat, the conversation list. */
import type { ReactNode } from 'react';
import { ConversationList, type ConversationSummary } from './ConversationList.tsx';
import { NewChat } from './NewChat.tsx';

export function Sidebar(props: {
  username: string;
  conversations: readonly ConversationSummary[];
  open: string | undefined;
  onSelect: (username: string) => void;
  onCallLog: () => void;
  settings: ReactNode;
}) {
  return (
    <aside className="sidebar">
      <header>
        <strong>{props.username}</strong>
        {props.settings}
        <button className="link small" onClick={props.onCallLog}>
          Call log
        </button>
      </header>
      <NewChat onStart={props.onSelect} />
      <ConversationList conversations={props.conversations} open={props.open} onSelect={props.onSelect} />
    </aside>
  );
}
