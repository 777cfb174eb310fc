/** The first screen: choose a username; keys are made on this device. */
import { useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';

export function RegisterScreen({ client, onDone }: { client: ParleyClient; onDone: () => void }) {
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
        {error && <p className="error" role="alert">{error}</p>}
      </form>
    </div>
  );
}
