/**
 * The top of a conversation: who it is with (a person, or a group with its member
 * count), who is typing, and the actions: calls and the safety number for a
 * person, the group info for a group.
 */
import { useEffect, useState } from 'react';
import { Avatar } from '../ui/Avatar.tsx';
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
  /** When each person last said they started typing here (0: they stopped). */
  typing: Readonly<Record<string, number>>;
  inCall: boolean;
  onCall: (kind: 'audio' | 'video') => void;
  onShowSafetyNumber: () => void;
  onGroupInfo: () => void;
}) {
  const { view } = props;
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
      <span className="header-who">
        <Avatar name={view.title} colourKey={view.id} group={view.kind === 'group'} size={38} />
        <span className="header-text">
          <strong>{view.title}</strong>
          {/* One live region for both, so the typing notice is announced when it appears. */}
          <span className="muted small subtitle" role="status">
            {typing ? <span className="typing">{typing}</span> : members}
          </span>
        </span>
      </span>
      <span className="header-actions">
        {view.kind === 'direct' ? (
          <>
            {!view.request && (
              <>
                <button className="link" disabled={props.inCall} onClick={() => props.onCall('audio')}>
                  Voice call
                </button>
                <button className="link" disabled={props.inCall} onClick={() => props.onCall('video')}>
                  Video call
                </button>
              </>
            )}
            <button className="link" onClick={props.onShowSafetyNumber}>
              Verify safety number
            </button>
          </>
        ) : (
          <button className="link" onClick={props.onGroupInfo}>
            Group info
          </button>
        )}
      </span>
    </header>
  );
}
