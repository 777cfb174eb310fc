/**
 * What an unlinked browser shows instead of the messenger: the server no longer
 * lets this device receive or send for the account. The way on is to link it again
 * (or start a new account); either one first deletes this browser's copy of the
 * account (keys, sessions, history), which is of no use to it any more.
 */
import { useState } from 'react';

export function UnlinkedScreen(props: { username: string; onLinkAgain: () => void; onNewAccount: () => void }) {
  const [busy, setBusy] = useState(false);
  const go = (action: () => void) => {
    setBusy(true);
    action();
  };
  return (
    <div className="center">
      <section className="card" aria-labelledby="unlinked-title">
        <h1 id="unlinked-title">This browser was unlinked</h1>
        <p role="alert">
          It was removed from <strong>{props.username}</strong>'s account, from another device or from itself. It no longer receives messages and cannot send any.
        </p>
        <p className="muted">To use Parley here again, link it again: you get a new code to enter on a device that is still linked. This removes what this browser kept of the account.</p>
        <div className="actions column">
          <button autoFocus disabled={busy} onClick={() => go(props.onLinkAgain)}>
            Link this browser again
          </button>
          <button className="secondary" disabled={busy} onClick={() => go(props.onNewAccount)}>
            Create a new account instead
          </button>
        </div>
      </section>
    </div>
  );
}
