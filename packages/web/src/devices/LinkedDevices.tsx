/**
 * Settings, "Linked devices": the account's devices (this one marked, when each was
 * linked and last seen), linking a new one by the code it shows (pasted or typed;
 * scanned with the camera where the browser can read QR codes), and unlinking one
 * after a confirmation. The server lets the first device unlink any other, and any
 * device unlink itself; only those buttons are offered. Each device shows its open
 * connections; "Change this browser's password" signs out every copy of this
 * browser's credentials (a stolen one included) on every server node.
 */
import { useCallback, useEffect, useState } from 'react';
import type { DeviceInfo, ParleyClient, SessionInfo } from '@parley/client';
import { explain } from '../errors.ts';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { calendarDate, timeAgo } from '../ui/time.ts';
import { QrScanner, qrScanningAvailable } from './QrScanner.tsx';

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const connectionsText = (n: number) => (n === 0 ? '' : ` · ${n} connection${n === 1 ? '' : 's'} open`);

export function LinkedDevices({ client }: { client: ParleyClient }) {
  const me = client.account!;
  const [devices, setDevices] = useState<DeviceInfo[]>();
  const [listError, setListError] = useState<string>();
  const [unlinking, setUnlinking] = useState<DeviceInfo>();
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [rotating, setRotating] = useState(false);
  const [rotated, setRotated] = useState<string>();
  const load = useCallback(() => {
    client.devices.list().then(
      (list) => {
        setDevices(list);
        setListError(undefined);
      },
      (e) => setListError(explain(e)),
    );
    client.devices.sessions().then(setSessions, () => setSessions([]));
  }, [client]);
  useEffect(load, [load]);
  // After a password change this browser reconnects: list its connection again once it is back.
  useEffect(() => client.on((e) => e.type === 'connection' && e.state === 'open' && load()), [client, load]);
  const now = Date.now();
  const mayUnlink = (d: DeviceInfo) => (me.deviceId === 1 ? !d.current : d.current);

  return (
    <section className="settings-section" aria-labelledby="linked-devices-title">
      <h3 id="linked-devices-title">Linked devices</h3>
      <p className="muted small">Every device here receives your messages and can send as you. Unlink any you do not recognise.</p>
      {listError && (
        <p className="error" role="alert">
          {listError}
        </p>
      )}
      {!devices && !listError && <p className="muted">Loading…</p>}
      {devices && (
        <ul className="devices" aria-label="Your devices">
          {devices.map((d) => (
            <li key={d.deviceId} aria-current={d.current ? 'true' : undefined}>
              <span className="device-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round">
                  <rect x="3" y="4" width="18" height="12" rx="2" />
                  <path d="M8 20h8M12 16v4" />
                </svg>
              </span>
              <span className="device-text">
                <span className="device-name">
                  {d.name} {d.current && <span className="tag current">This device</span>}
                </span>
                <span className="muted small">
                  Linked {calendarDate(d.createdAt)} · {d.current ? 'active now' : `last seen ${timeAgo(d.lastSeenAt, now)}`}
                  {connectionsText(sessions.filter((s) => s.deviceId === d.deviceId).length)}
                </span>
              </span>
              {mayUnlink(d) && (
                <button className="link danger-link" onClick={() => setUnlinking(d)} aria-label={`Unlink ${d.name}`}>
                  Unlink
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <LinkNewDevice client={client} onLinked={load} />
      <p className="muted small">
        If this browser shows more open connections than you have tabs open, someone may have a copy of its credentials. Changing its password signs out every copy.
      </p>
      {rotated && (
        <p className="success" role="status">
          {rotated}
        </p>
      )}
      <button className="secondary" onClick={() => setRotating(true)}>
        Change this browser's password
      </button>
      {rotating && (
        <ConfirmDialog
          title="Change this browser's password?"
          action="Change password"
          onConfirm={async () => {
            await client.devices.rotateCredentials();
            setRotated('Password changed: every other copy of this browser is signed out, on every server. Your other devices are not affected.');
            load();
          }}
          onClose={() => setRotating(false)}
        >
          Every connection made with this browser's current password is closed at once, including any copy of it elsewhere. This browser reconnects with the new one; you stay signed in.
        </ConfirmDialog>
      )}
      {unlinking && (
        <ConfirmDialog
          title={unlinking.current ? 'Unlink this browser?' : `Unlink ${unlinking.name}?`}
          action="Unlink"
          onConfirm={async () => {
            await client.devices.unlink(unlinking.deviceId);
            if (!unlinking.current) load();
          }}
          onClose={() => setUnlinking(undefined)}
        >
          {unlinking.current
            ? 'This browser stops receiving messages at once and can no longer send. To use it again, link it again from another device.'
            : 'It stops receiving your messages at once and can no longer send as you. It can be linked again later with a new code.'}
        </ConfirmDialog>
      )}
    </section>
  );
}

function LinkNewDevice({ client, onLinked }: { client: ParleyClient; onLinked: () => void }) {
  const [open, setOpen] = useState(false);
  const [code, setCode] = useState('');
  const [scanning, setScanning] = useState(false);
  const [step, setStep] = useState<string>();
  const [error, setError] = useState<string>();
  const [linked, setLinked] = useState<string>();

  const link = async (text: string) => {
    setError(undefined);
    setLinked(undefined);
    setStep('Checking the code');
    try {
      const id = await client.devices.link(text, (s) => setStep(capitalised(s)));
      setCode('');
      setOpen(false);
      setLinked(`Device ${id} is linked. It gets new messages from now on; your contacts and groups were sent to it.`);
      onLinked();
    } catch (e) {
      setError(explain(e));
    } finally {
      setStep(undefined);
    }
  };

  if (!open) {
    return (
      <>
        {linked && (
          <p className="success" role="status">
            {linked}
          </p>
        )}
        <button
          className="secondary"
          onClick={() => {
            setOpen(true);
            setLinked(undefined);
          }}
        >
          Link a new device
        </button>
      </>
    );
  }
  return (
    <form
      className="link-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (code.trim() && !step) void link(code);
      }}
    >
      <label htmlFor="link-code-input">Code shown on the new device</label>
      <p className="muted small" id="link-code-help">
        On the new device, choose “Link to an existing account” (in the web app) or run <code>parley link</code>; paste or type the code it shows.
      </p>
      <input
        id="link-code-input"
        autoFocus
        autoComplete="off"
        spellCheck={false}
        placeholder="abcd efgh jkmn …"
        aria-describedby={error ? 'link-code-help link-code-error' : 'link-code-help'}
        aria-invalid={error ? true : undefined}
        value={code}
        disabled={!!step}
        onChange={(e) => setCode(e.target.value)}
      />
      {scanning && (
        <QrScanner
          onCode={(text) => {
            setScanning(false);
            setCode(text);
            void link(text);
          }}
          onClose={() => setScanning(false)}
        />
      )}
      {step && (
        <p className="progress" role="status">
          <span className="spinner" aria-hidden="true" /> {step}…
        </p>
      )}
      {error && (
        <p className="error" id="link-code-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="submit" disabled={!code.trim() || !!step}>
          Link device
        </button>
        {qrScanningAvailable() && !scanning && (
          <button type="button" className="secondary" disabled={!!step} onClick={() => setScanning(true)}>
            Scan QR code
          </button>
        )}
        <button
          type="button"
          className="secondary"
          disabled={!!step}
          onClick={() => {
            setOpen(false);
            setError(undefined);
            setScanning(false);
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
