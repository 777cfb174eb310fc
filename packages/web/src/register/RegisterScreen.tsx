/**
 * The first screen: create an account (choose a username; keys are made on this
 * device), or link this browser to an account that exists on another device.
 */
import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { LinkThisBrowser } from '../devices/LinkThisBrowser.tsx';
import { explain } from '../errors.ts';

export function RegisterScreen({ client, onDone, startLinking = false }: { client: ParleyClient; onDone: () => void; startLinking?: boolean }) {
  const [linking, setLinking] = useState(startLinking);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await client.register(name.trim(), (step) => setBusy(step));
      onDone();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(undefined);
    }
  };
  if (linking) {
    return (
      <div className="center">
        {/* Why reload on cancel: the SDK's wait for the other device cannot be stopped, and must not finish later. */}
        <LinkThisBrowser client={client} onDone={onDone} onCancel={() => location.reload()} />
      </div>
    );
  }
  return (
    <div className="center">
      <form className="card register" onSubmit={submit}>
        <h1>Parley</h1>
        <p className="muted">Private messages. Keys are made on this device and never leave it.</p>
        <label htmlFor="username">Choose a username</label>
        <input id="username" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. alice" />
        <button type="submit" disabled={!!busy || name.trim().length < 3}>
          {busy ? `${busy}…` : 'Create account'}
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="divider" role="separator">
          <span>or</span>
        </div>
        <button type="button" className="secondary" disabled={!!busy} onClick={() => setLinking(true)}>
          Link to an existing account
        </button>
        <p className="muted small">Already use Parley on another device? Link this browser to that account: new messages then arrive on both.</p>
      </form>
    </div>
  );
}
