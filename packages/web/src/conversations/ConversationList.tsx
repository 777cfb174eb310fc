/** Conversations, newest activity first, with unread counts and message requests marked. */
import type { ParleyClient } from '@parley/client';
import { isCallNote } from '../conversation/timeline.ts';
import { clockTime } from '../ui/time.ts';

export type ConversationSummary = ReturnType<ParleyClient['conversations']>[number];

export function ConversationList(props: { conversations: readonly ConversationSummary[]; open: string | undefined; onSelect: (username: string) => void }) {
  const { conversations, open, onSelect } = props;
  return (
    <ul className="conversations" aria-label="Conversations">
      {conversations.map((c) => (
        <li key={c.username} className={c.username === open ? 'active' : ''} onClick={() => onSelect(c.username)} data-conversation={c.username}>
          <div className="row">
            <span className="name">
              {c.username} {c.request && <span className="tag">Message request</span>}
            </span>
            <span className="muted small">{clockTime(c.last.timestamp)}</span>
          </div>
          <div className="row">
            <span className="preview">{c.last.direction === 'out' && !isCallNote(c.last) ? `You: ${c.last.body}` : c.last.body}</span>
            {c.unread > 0 && <span className="badge" aria-label={`${c.unread} unread`}>{c.unread}</span>}
          </div>
        </li>
      ))}
      {conversations.length === 0 && <li className="muted empty">No conversations yet. Start one above.</li>}
    </ul>
  );
}
