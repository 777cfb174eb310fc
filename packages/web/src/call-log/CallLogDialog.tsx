/** Every call attempt, newest first, as the SDK's append-only log holds it. */
import { describeCallLogEntry, type ParleyClient } from '@parley/client';
import { Dialog } from '../ui/Dialog.tsx';

export function CallLogDialog({ client, onClose }: { client: ParleyClient; onClose: () => void }) {
  const entries = client.callLog().slice().reverse();
  return (
    <Dialog label="Call log" onClose={onClose}>
      <h2>Call log</h2>
      <p className="muted small">Every call attempt, answered or not, from contacts and strangers. Nothing can remove an entry.</p>
      {entries.length === 0 ? (
        <p className="muted">No calls yet.</p>
      ) : (
        <ol className="call-log">
          {entries.map((e, i) => (
            <li key={i} data-event={e.event}>
              <span>{describeCallLogEntry(e)}</span>
              <span className="muted small">{new Date(e.timestamp).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}</span>
            </li>
          ))}
        </ol>
      )}
      <button onClick={onClose}>Done</button>
    </Dialog>
  );
}
