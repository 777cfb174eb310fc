/**
 * The top of a conversation: who it is with (a person, or a group with its member
 * count), who is typing, the disappearing-message timer when one is on, and the
 * actions: calls and the safety number for a person, the group info for a group,
 * search in the conversation, and the "More options" menu (disappearing messages,
 * block).
 */
import { useEffect, useState } from 'react';
import { describeTimer } from '@parley/client';
import { PersonAvatar, ProfileName } from '../profiles/use-profile.tsx';
import { Avatar } from '../ui/Avatar.tsx';
import { MenuButton, type MenuAnchor, type MenuItem } from '../ui/Menu.tsx';
import type { ConversationView } from './view.ts';

/** A typing notice older than this is stale (the "stopped" may have been lost). */
const TYPING_SHOWN_MS = 6000;

/** "typing…" in a direct chat; "bob is typing…", "bob and carl are typing…", "3 people are typing…" in a group. */
export function typingText(names: readonly string[], group: boolean): string | undefined {
  if (names.length === 0) return undefined;
  if (!group) return 'typing…';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

export function ConversationHeader(props: {
  view: ConversationView;
  /** Back to the conversation list (shown on narrow screens only). */
  onBack: () => void;
  /** When each person last said they started typing here (0: they stopped). */
  typing: Readonly<Record<string, number>>;
  inCall: boolean;
  onCall: (kind: 'audio' | 'video') => void;
  onShowSafetyNumber: () => void;
  onGroupInfo: () => void;
  /** The disappearing-message timer in seconds (0: off). */
  timer: number;
  onSearch: () => void;
  menuItems: readonly MenuItem[];
}) {
  const { view } = props;
  const [menu, setMenu] = useState<MenuAnchor>();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const typists = Object.entries(props.typing)
    .filter(([, since]) => since > 0 && now - since < TYPING_SHOWN_MS)
    .map(([name]) => name)
    .sort();
  const typing = typingText(typists, view.kind === 'group');
  const members = view.kind === 'group' ? (view.active ? `${view.group.members.length} member${view.group.members.length === 1 ? '' : 's'}` : 'You are no longer a member') : undefined;
  return (
    <header>
      <button type="button" className="icon-button back" aria-label="Back to conversations" title="Back to conversations" onClick={props.onBack}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z" />
        </svg>
      </button>
      <span className="header-who">
        {view.kind === 'direct' ? <PersonAvatar username={view.username} colourKey={view.id} size={38} /> : <Avatar name={view.title} colourKey={view.id} group size={38} />}
        <span className="header-text">
          <span className="header-title">
            <strong>{view.title}</strong>
            {view.kind === 'direct' && <> <ProfileName username={view.username} /></>}
            {props.timer > 0 && (
              <span className="header-timer small" title={`Disappearing messages: ${describeTimer(props.timer)}`}>
                <svg viewBox="0 0 24 24" aria-hidden="true">
                  <path d="M15 1H9v2h6zm-4 13h2V8h-2zm8-6.6 1.4-1.4c-.4-.5-.9-1-1.4-1.4L17.6 6A9 9 0 1 0 21 13a9 9 0 0 0-2-5.6zM12 20a7 7 0 1 1 0-14 7 7 0 0 1 0 14z" />
                </svg>
                <span className="visually-hidden">Disappearing messages: </span>
                {describeTimer(props.timer)}
              </span>
            )}
          </span>
          {/* One live region for both, so the typing notice is announced when it appears. */}
          <span className="muted small subtitle" role="status">
            {typing ? <span className="typing">{typing}</span> : members}
          </span>
        </span>
      </span>
      <span className="header-actions">
        {view.kind === 'direct' ? (
          <>
            {!view.request && !view.blocked && (
              <>
                <button className="link header-action" disabled={props.inCall} onClick={() => props.onCall('audio')} title="Voice call">
                  <svg viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z" />
                  </svg>
                  <span className="action-label">Voice call</span>
                </button>
                <button className="link header-action" disabled={props.inCall} onClick={() => props.onCall('video')} title="Video call">
                  <svg viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11z" />
                  </svg>
                  <span className="action-label">Video call</span>
                </button>
              </>
            )}
            <button className="link header-action" onClick={props.onShowSafetyNumber} title="Verify safety number">
              <svg viewBox="0 0 24 24" aria-hidden="true">
                <path d="M12 2 4 5v6c0 5.5 3.4 10.3 8 11.6 4.6-1.3 8-6.1 8-11.6V5zm-1.2 14.2-3.5-3.5 1.4-1.4 2.1 2.1 4.9-4.9 1.4 1.4z" />
              </svg>
              <span className="action-label">Verify safety number</span>
            </button>
          </>
        ) : (
          <button className="link header-action" onClick={props.onGroupInfo} title="Group info">
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 15h-2v-6h2zm0-8h-2V7h2z" />
            </svg>
            <span className="action-label">Group info</span>
          </button>
        )}
        <button type="button" className="icon-button" aria-label="Search in conversation" title="Search in conversation" onClick={props.onSearch}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M15.5 14h-.79l-.28-.27A6.47 6.47 0 0 0 16 9.5 6.5 6.5 0 1 0 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14z" />
          </svg>
        </button>
        {props.menuItems.length > 0 && (
          <MenuButton label="More options" items={props.menuItems} open={menu} onOpenChange={setMenu}>
            <svg viewBox="0 0 24 24" aria-hidden="true">
              <path d="M12 8a2 2 0 1 0 0-4 2 2 0 0 0 0 4zm0 2a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm0 6a2 2 0 1 0 0 4 2 2 0 0 0 0-4z" />
            </svg>
          </MenuButton>
        )}
      </span>
    </header>
  );
}
