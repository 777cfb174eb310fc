/**
 * Conversations, newest activity first, with unread counts and message requests
 * marked. Each is a button in a list: reached with Tab, opened with Enter; its
 * name is the username, its description the rest.
 */
import type { ParleyClient } from '@parley/client';
import { isSystemLine } from '../conversation/timeline.ts';
import { clockTime } from '../ui/time.ts';

export type ConversationSummary = ReturnType<ParleyClient['conversations']>[number];

export function ConversationList(props: { conversations: readonly ConversationSummary[]; open: string | undefined; onSelect: (username: string) => void }) {
  const { conversations, open, onSelect } = props;
  return (
    <ul className="conversations" aria-label="Conversations">
      {conversations.map((summary) => {
        const c = { ...summary, username: summary.username ?? summary.title, last: summary.last! };
        const id = `conversation-${c.username}`;
        const preview = c.last.direction === 'out' && !isSystemLine(c.last) ? `You: ${c.last.body}` : c.last.body;
        return (
          <li key={c.username}>
            <button
              type="button"
              className="conversation-item"
              data-conversation={c.username}
              aria-current={c.username === open ? 'true' : undefined}
              aria-label={c.username}
              aria-describedby={[c.request && `${id}-tag`, `${id}-preview`, c.unread > 0 && `${id}-unread`].filter(Boolean).join(' ')}
              onClick={() => onSelect(c.username)}
            >
              <span className="row">
                <span className="name">
                  {c.username}{' '}
                  {c.request && (
                    <span className="tag" id={`${id}-tag`}>
                      Message request
                    </span>
                  )}
                </span>
                <span className="muted small">{clockTime(c.last.timestamp)}</span>
              </span>
              <span className="row">
                <span className="preview" id={`${id}-preview`}>
                  {preview}
                </span>
                {c.unread > 0 && (
                  <span className="badge" id={`${id}-unread`} aria-label={`${c.unread} unread`}>
                    {c.unread}
                  </span>
                )}
              </span>
            </button>
          </li>
        );
      })}
      {conversations.length === 0 && <li className="muted empty">No conversations yet. Start one above.</li>}
    </ul>
  );
}
