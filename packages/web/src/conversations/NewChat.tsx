/**
 * Starts a direct chat with a username typed by the person: a known conversation
 * opens as it is; otherwise the server is asked who has that username, so a typo is
 * answered at once ("There is no Parley user named ...") and the new chat has its
 * ConversationId before the first message.
 */
import { useState } from 'react';
import { directConversation, WireError, type ConversationId, type ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';

export function NewChat({ client, onOpen }: { client: ParleyClient; onOpen: (id: ConversationId, username: string) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const start = async (username: string) => {
    setError(undefined);
    const known = client.conversation(username);
    if (known?.startsWith('direct:')) {
      setName('');
      return onOpen(known, username);
    }
    setBusy(true);
    try {
      // Why the transport: the SDK has no "resolve a username" call that does not also start a session.
      const found = await client.http.lookup(username);
      if (found.accountId === client.account?.accountId) {
        setError('That is your own username.');
        return;
      }
      setName('');
      onOpen(directConversation(found.accountId), found.username);
    } catch (e) {
      setError(e instanceof WireError && e.code === 'UNKNOWN_USER' ? `There is no Parley user named ${username}. Check the spelling.` : explain(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="newchat"
      onSubmit={(e) => {
        e.preventDefault();
        const username = name.trim().toLowerCase();
        if (username && !busy) void start(username);
      }}
    >
      <input
        aria-label="Start a chat by username"
        placeholder="Start a chat by username"
        value={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'newchat-error' : undefined}
        onChange={(e) => {
          setName(e.target.value);
          setError(undefined);
        }}
      />
      {error && (
        <p className="error small" id="newchat-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
