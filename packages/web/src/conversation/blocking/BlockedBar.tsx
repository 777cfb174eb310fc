/**
 * In place of the composer while we block the person: "You blocked this contact"
 * and Unblock. Blocking itself is asked for from the header menu, with a
 * confirmation (ConversationScreen).
 */
import { useState } from 'react';
import { explain } from '../../errors.ts';

export function BlockedBar({ peer, onUnblock }: { peer: string; onUnblock: () => Promise<void> }) {
  const [error, setError] = useState<string>();
  return (
    <div className="request blocked-bar" role="region" aria-label="Blocked">
      <p>You blocked this contact. {peer} cannot message or call you; they are not told.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button onClick={() => onUnblock().catch((e: unknown) => setError(explain(e)))}>Unblock</button>
      </div>
    </div>
  );
}
