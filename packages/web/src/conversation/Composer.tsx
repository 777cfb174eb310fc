/**
 * Writing a message: typing notices (started, and stopped after 3 s without a key),
 * sending, and keeping the text when sending failed. A changed safety number (of
 * the person, or of a group member) stops the send and is handed up with whose it is.
 */
import { useRef, useState } from 'react';
import { ClientError, type ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';

const TYPING_IDLE_MS = 3000;

export function Composer(props: { client: ParleyClient; to: string; title: string; onSent: () => void; onIdentityChanged: (username: string, safetyNumber: string) => void }) {
  const { client, to } = props;
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const onType = (value: string) => {
    setText(value);
    if (!typingTimer.current) void client.sendTyping(to, true);
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(() => {
      typingTimer.current = undefined;
      void client.sendTyping(to, false);
    }, TYPING_IDLE_MS);
  };
  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    setError(undefined);
    if (typingTimer.current) {
      clearTimeout(typingTimer.current);
      typingTimer.current = undefined;
      void client.sendTyping(to, false);
    }
    try {
      await client.sendText(to, body);
    } catch (err) {
      if (err instanceof ClientError && err.code === 'IDENTITY_CHANGED') {
        const { username, safetyNumber } = err.details;
        props.onIdentityChanged(typeof username === 'string' ? username : props.title, typeof safetyNumber === 'string' ? safetyNumber : '');
      } else setError(explain(err));
      setText(body);
    }
    props.onSent();
  };
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <form className="composer" onSubmit={send}>
        <input aria-label="Message" placeholder={`Message ${props.title}`} value={text} onChange={(e) => onType(e.target.value)} />
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </>
  );
}
