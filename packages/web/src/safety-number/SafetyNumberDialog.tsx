/** The safety number with a contact, as digits and as a QR code, to compare in person. */
import { useEffect, useState } from 'react';
import QRCode from 'qrcode';
import type { ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { Dialog } from '../ui/Dialog.tsx';

export function SafetyNumberDialog({ client, peer, onClose }: { client: ParleyClient; peer: string; onClose: () => void }) {
  const [digits, setDigits] = useState<string>();
  const [qr, setQr] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    client.safetyNumber(peer).then(
      async (f) => {
        setDigits(f.displayable);
        setQr(await QRCode.toDataURL(btoa(String.fromCharCode(...f.scannable)), { margin: 1, width: 220 }));
      },
      (e) => setError(explain(e)),
    );
  }, [client, peer]);
  return (
    <Dialog label="Safety number" onClose={onClose}>
      <h2>Safety number with {peer}</h2>
      {error && <p className="error">{error}</p>}
      {digits && <p className="digits">{digits.match(/.{5}/g)!.join(' ')}</p>}
      {qr && <img src={qr} alt="Safety number QR code" />}
      <p className="muted">Compare these numbers with {peer}, in person or on a call. If they match, your conversation is end-to-end encrypted with them.</p>
      <button onClick={onClose}>Done</button>
    </Dialog>
  );
}
