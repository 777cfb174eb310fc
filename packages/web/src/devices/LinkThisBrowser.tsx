/**
 * Linking this browser to an existing account, on the new device's side: the SDK
 * opens a provisioning channel and hands over a code, shown here as text (in groups
 * of four, to read aloud or type) and as a QR code; then it waits until a linked
 * device enters the code, and says what it is doing until the messenger opens.
 */
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import type { ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { duration } from '../ui/time.ts';
import { browserDeviceName, codeGroups } from './device-name.ts';

interface ShownCode {
  readonly text: string;
  readonly qr: string | undefined;
  readonly expiresAt: number;
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function LinkThisBrowser({ client, onDone, onCancel }: { client: ParleyClient; onDone: () => void; onCancel: () => void }) {
  const [code, setCode] = useState<ShownCode>();
  const [step, setStep] = useState<string>();
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [copied, setCopied] = useState(false);
  const name = browserDeviceName(navigator.userAgent);

  useEffect(() => {
    let live = true;
    setCode(undefined);
    setError(undefined);
    setStep('Getting a code from the server');
    client.devices
      .linkAsNew(name, {
        onCode: (text, qrPayload, expiresAt) => {
          if (!live) return;
          setCode({ text, qr: undefined, expiresAt });
          void QRCode.toDataURL(qrPayload, { margin: 1, width: 232, errorCorrectionLevel: 'M' }).then((qr) => live && setCode({ text, qr, expiresAt }));
        },
        onProgress: (s) => live && setStep(capitalised(s)),
      })
      .then(
        () => live && onDone(),
        (e) => {
          if (!live) return;
          setError(explain(e));
          setStep(undefined);
        },
      );
    return () => {
      live = false;
    };
  }, [client, attempt]);

  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  const left = code ? Math.max(0, Math.floor((code.expiresAt - now) / 1000)) : 0;
  return (
    <section className="card link-card" aria-label="Link to an existing account">
      <h1>Link this browser</h1>
      <p className="muted">
        On a device that is already signed in to your account, open <strong>Settings</strong>, <strong>Linked devices</strong>, <strong>Link a new device</strong>, and enter this code
        or scan it. This browser will be listed as “{name}”.
      </p>
      {code && !error && (
        <div className="link-code-box">
          {code.qr ? <img src={code.qr} width={232} height={232} alt="QR code of the link code" /> : <div className="qr-placeholder" aria-hidden="true" />}
          <div>
            <p className="muted small">Link code</p>
            <p className="link-code" data-code={code.text}>
              {codeGroups(code.text).join(' ')}
            </p>
            {navigator.clipboard && (
              <button
                className="secondary small-button"
                onClick={() =>
                  void navigator.clipboard.writeText(code.text).then(
                    () => setCopied(true),
                    () => undefined,
                  )
                }
              >
                {copied ? 'Copied' : 'Copy code'}
              </button>
            )}
            <p className="muted small">{left > 0 ? `The code works once, for the next ${duration(left)}.` : 'The code has expired.'}</p>
          </div>
        </div>
      )}
      {step && !error && (
        <p className="progress" role="status">
          <span className="spinner" aria-hidden="true" /> {step}…
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        {error && <button onClick={() => setAttempt((n) => n + 1)}>Get a new code</button>}
        <button className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}
