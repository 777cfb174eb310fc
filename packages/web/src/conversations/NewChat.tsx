/** Starts a conversation with a username typed by the person. */
import { useState } from 'react';

export function NewChat({ onStart }: { onStart: (username: string) => void }) {
  const [name, setName] = useState('');
  return (
    <form
      className="newchat"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) onStart(name.trim().toLowerCase());
        setName('');
      }}
    >
      <input aria-label="Start a chat by username" placeholder="Start a chat by username" value={name} onChange={(e) => setName(e.target.value)} />
    </form>
  );
}
