/**
 * Conversations (direct chats and groups), newest activity first, keyed by
 * ConversationId, with unread counts, requests and blocked people marked. Each row holds one
 * button, reached with Tab and opened with Enter, whose name is the person's
 * username or the group's name, exactly what it shows; the rest of the row (a
 * request or blocked tag, the time, the last message, the unread count) is its description.
 * The button covers the whole row for pointers (style.css). A person's profile
 * name and picture, when they shared them, show beside the username and as the
 * avatar. The row carries
 * `data-conversation` (that name), for tests and styling.
 */
import type { ConversationId, ConversationSummary } from '@parley/client';
import { PersonAvatar, ProfileName } from '../profiles/use-profile.tsx';
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
        const current = c.id === open;
        return (
          <li key={c.id} className={current ? 'conversation-row current' : 'conversation-row'} data-conversation={c.title}>
            {c.kind === 'direct' && c.username ? <PersonAvatar username={c.username} colourKey={c.id} /> : <Avatar name={c.title} colourKey={c.id} group={group} />}
            <span className="item-text">
              <span className="row">
                <span className="name">
                  <button
                    type="button"
                    className="conversation-item"
                    data-conversation-id={c.id}
                    aria-current={current ? 'true' : undefined}
                    aria-describedby={[group && `${dom}-kind`, (c.request || c.blocked) && `${dom}-tag`, `${dom}-preview`, c.unread > 0 && `${dom}-unread`].filter(Boolean).join(' ')}
                    onClick={() => onSelect(c.id)}
                  >
                    {c.title}
                  </button>
                  {group && (
                    <span className="visually-hidden" id={`${dom}-kind`}>
                      Group
                    </span>
                  )}{' '}
                  {(c.request || c.blocked) && (
                    <span className="tag" id={`${dom}-tag`}>
                      {c.blocked ? 'Blocked' : 'Message request'}
                    </span>
                  )}
                  {/* After the tag: a long name is what gets cut short. */}
                  {c.kind === 'direct' && c.username && <> <ProfileName username={c.username} /></>}
                </span>
                {c.last && <span className="muted small time">{clockTime(c.last.timestamp)}</span>}
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
          </li>
        );
      })}
      {conversations.length === 0 && <li className="muted empty">No conversations yet. Start one above.</li>}
    </ul>
  );
}
