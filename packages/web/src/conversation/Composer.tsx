/**
 * Writing a message: typing notices (started, and stopped after 3 s without a key),
 * sending, and keeping the text when sending failed.
 */
import { useRef, useState } from 'react';
import { ClientError, type ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';

const TYPING_IDLE_MS = 3000;

export function Composer(props: { client: ParleyClient; peer: string; onSent: () => void; onIdentityChanged: (safetyNumber: string) => void }) {
  const { client, peer } = props;
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const onType = (value: string) => {
    setText(value);
    if (!typingTimer.current) void client.sendTyping(peer, true);
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(() => {
      typingTimer.current = undefined;
      void client.sendTyping(peer, false);
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
      void client.sendTyping(peer, false);
    }
    try {
      await client.sendText(peer, body);
    } catch (err) {
      if (err instanceof ClientError && err.code === 'IDENTITY_CHANGED') {
        const n = err.details.safetyNumber;
        props.onIdentityChanged(typeof n === 'string' ? n : '');
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
        <input aria-label="Message" placeholder={`Message ${peer}`} value={text} onChange={(e) => onType(e.target.value)} />
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </>
  );
}
