/**
 * Asks before something that cannot be undone from here (leaving a group, removing
 * a member, unlinking a device). The action button says what happens; Cancel and
 * Escape change nothing. While the action runs the buttons wait; a failure is shown
 * in the dialog, which stays open.
 */
import { useState } from 'react';
import { explain } from '../errors.ts';
import { Dialog } from './Dialog.tsx';

export function ConfirmDialog(props: { title: string; children: React.ReactNode; action: string; onConfirm: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(explain(e));
      setBusy(false);
    }
  };
  return (
    <Dialog label={props.title} onClose={props.onClose} className="confirm">
      <h2>{props.title}</h2>
      <div className="muted">{props.children}</div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions end">
        <button className="secondary" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        <button className="danger" onClick={() => void confirm()} disabled={busy}>
          {props.action}
        </button>
      </div>
    </Dialog>
  );
}
