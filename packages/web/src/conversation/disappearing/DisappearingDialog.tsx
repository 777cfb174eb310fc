/**
 * Choosing a conversation's disappearing-message timer (from the header menu): Off,
 * 30 seconds, 5 minutes, 1 hour, 1 day or 1 week, as radio buttons; the current one
 * is chosen. The SDK sets it for everyone in the conversation, and everyone gets the
 * system line saying who set it.
 */
import { useState } from 'react';
import { describeTimer } from '@parley/client';
import { explain } from '../../errors.ts';
import { Dialog } from '../../ui/Dialog.tsx';

/** The timers offered (seconds; 0 is off). The SDK accepts any from 1 s to 4 weeks. */
export const TIMER_CHOICES = [0, 30, 300, 3600, 86_400, 604_800] as const;

export function DisappearingDialog(props: { current: number; onChoose: (seconds: number) => Promise<void>; onClose: () => void }) {
  const [chosen, setChosen] = useState(props.current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (chosen !== props.current) await props.onChoose(chosen);
      props.onClose();
    } catch (e) {
      setError(explain(e));
      setBusy(false);
    }
  };
  return (
    <Dialog label="Disappearing timer" onClose={props.onClose} className="confirm">
      <h2>Disappearing messages</h2>
      <p className="muted">New messages in this chat disappear this long after they were read. Everyone in the chat sees the change.</p>
      <fieldset className="timer-choices">
        <legend className="visually-hidden">Timer</legend>
        {TIMER_CHOICES.map((s) => (
          <label key={s} className="setting">
            <input type="radio" name="timer" checked={chosen === s} onChange={() => setChosen(s)} />
            {s === 0 ? 'Off' : describeTimer(s)}
          </label>
        ))}
      </fieldset>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions end">
        <button className="secondary" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        <button onClick={() => void save()} disabled={busy}>
          Save
        </button>
      </div>
    </Dialog>
  );
}
