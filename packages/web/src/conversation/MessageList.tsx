/** The conversation's messages, oldest first, kept scrolled to the newest. */
import { useEffect, useRef } from 'react';
import type { StoredMessage } from '@parley/client';
import { clockTime } from '../ui/time.ts';
import { MessageBody } from './MessageBody.tsx';
import { Ticks } from './Ticks.tsx';

export function MessageList({ messages, linksAllowed }: { messages: readonly StoredMessage[]; linksAllowed: boolean }) {
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Newer browsers return a Promise from scrollIntoView; an effect must return nothing.
    void bottom.current?.scrollIntoView();
  }, [messages.length]);
  return (
    <ol className="messages">
      {messages.map((m) => (
        <li key={m.rowId} className={m.direction === 'out' ? 'out' : 'in'}>
          <MessageBody text={m.body} linksAllowed={linksAllowed} />
          <span className="meta">
            {clockTime(m.timestamp)} {m.direction === 'out' && <Ticks status={m.status} />}
          </span>
        </li>
      ))}
      <div ref={bottom} />
    </ol>
  );
}
