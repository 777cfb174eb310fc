/** Who the conversation is with, whether they are typing, and the call and safety-number actions. */
import { useEffect, useState } from 'react';

/** A typing notice older than this is stale (the "stopped" may have been lost). */
const TYPING_SHOWN_MS = 6000;

export function ConversationHeader(props: {
  peer: string;
  typingSince: number;
  request: boolean;
  inCall: boolean;
  onCall: (kind: 'audio' | 'video') => void;
  onShowSafetyNumber: () => void;
}) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const peerTyping = props.typingSince > 0 && now - props.typingSince < TYPING_SHOWN_MS;
  return (
    <header>
      <span>
        <strong>{props.peer}</strong> {peerTyping && <span className="muted small typing">typing…</span>}
      </span>
      <span>
        {!props.request && (
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
      </span>
    </header>
  );
}
