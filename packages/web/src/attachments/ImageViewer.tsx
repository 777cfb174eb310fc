/** A photo at full size over the app: its name, who sent it and when; Save; Escape or Close goes back. */
import { useEffect, useState } from 'react';
import { safeFileName, type ParleyClient, type StoredMessage } from '@parley/client';
import { explain } from '../errors.ts';
import { Dialog } from '../ui/Dialog.tsx';

export function ImageViewer({ client, message, from, onClose }: { client: ParleyClient; message: StoredMessage; from: string; onClose: () => void }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<string>();
  const name = message.attachment?.fileName ?? 'Photo';
  useEffect(() => {
    let made: string | undefined;
    let live = true;
    client.attachments.blob(message).then(
      (b) => {
        if (!live) return;
        made = URL.createObjectURL(b);
        setUrl(made);
      },
      (e) => live && setError(explain(e)),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [client, message]);
  return (
    <Dialog label={`Photo ${name}`} onClose={onClose} className="image-viewer">
      <div className="viewer-bar">
        <span className="viewer-title">
          <strong>{name}</strong>
          <span className="small">
            {from}, {new Date(message.timestamp).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' })}
          </span>
        </span>
        <span className="actions">
          {url && (
            <a className="button secondary" href={url} download={safeFileName(name)}>
              Save
            </a>
          )}
          <button onClick={onClose}>Close</button>
        </span>
      </div>
      <div className="viewer-image">
        {error ? <p className="error">{error}</p> : url ? <img src={url} alt={name} onError={() => setError('This image could not be shown.')} /> : <p>Loading…</p>}
      </div>
    </Dialog>
  );
}
