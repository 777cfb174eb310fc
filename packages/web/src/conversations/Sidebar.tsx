/** The sidebar: who is signed in, the way to settings and the call log, new chat, the conversation list. */
import { ConversationList, type ConversationSummary } from './ConversationList.tsx';
import { NewChat } from './NewChat.tsx';

export function Sidebar(props: {
  username: string;
  conversations: readonly ConversationSummary[];
  open: string | undefined;
  onSelect: (username: string) => void;
  onSettings: () => void;
  onCallLog: () => void;
}) {
  return (
    <aside className="sidebar">
      <header>
        <strong>{props.username}</strong>
        <nav className="sidebar-actions" aria-label="Account">
          <button className="link small" onClick={props.onSettings}>
            Settings
          </button>
          <button className="link small" onClick={props.onCallLog}>
            Call log
          </button>
        </nav>
      </header>
      <NewChat onStart={props.onSelect} />
      <ConversationList conversations={props.conversations} open={props.open} onSelect={props.onSelect} />
    </aside>
  );
}
