/**
 * Conversations (direct chats and groups), newest activity first, keyed by
 * ConversationId, with unread counts and requests marked. Each is a button in a
 * list: reached with Tab, opened with Enter; its name is the person's username or
 * the group's name, its description the rest. `data-conversation` carries that
 * name too, for tests and styling.
 */
import type { ConversationId, ConversationSummary } from '@parley/client';
import { Avatar } from '../ui/Avatar.tsx';
import { clockTime } from '../ui/time.ts';
import type { NameOf } from './names.ts';
import { previewText } from './preview.ts';

export function ConversationList(props: { conversations: readonly ConversationSummary[]; open: ConversationId | undefined; nameOf: NameOf; onSelect: (id: ConversationId) => void }) {
  const { conversations, open, onSelect } = props;
  return (
    <ul className="conversations" aria-label="Conversations">
      {conversations.map((c, i) => {
        const dom = `conversation-${i}`;
        const group = c.kind === 'group';
        return (
          <li key={c.id}>
            <button
              type="button"
              className="conversation-item"
              data-conversation={c.title}
              data-conversation-id={c.id}
              aria-current={c.id === open ? 'true' : undefined}
              aria-label={c.title}
              aria-describedby={[group && `${dom}-kind`, c.request && `${dom}-tag`, `${dom}-preview`, c.unread > 0 && `${dom}-unread`].filter(Boolean).join(' ')}
              onClick={() => onSelect(c.id)}
            >
              <Avatar name={c.title} colourKey={c.id} group={group} />
              <span className="item-text">
                <span className="row">
                  <span className="name">
                    {c.title}
                    {group && (
                      <span className="visually-hidden" id={`${dom}-kind`}>
                        Group
                      </span>
                    )}{' '}
                    {c.request && (
                      <span className="tag" id={`${dom}-tag`}>
                        Message request
                      </span>
                    )}
                  </span>
                  {c.last && <span className="muted small">{clockTime(c.last.timestamp)}</span>}
                </span>
                <span className="row">
                  <span className="preview" id={`${dom}-preview`}>
                    {previewText(c, props.nameOf)}
                  </span>
                  {c.unread > 0 && (
                    <span className="badge" id={`${dom}-unread`} aria-label={`${c.unread} unread`}>
                      {c.unread}
                    </span>
                  )}
                </span>
              </span>
            </button>
          </li>
        );
      })}
      {conversations.length === 0 && <li className="muted empty">No conversations yet. Start one above.</li>}
    </ul>
  );
}
