/**
 * A message's attachment inside its bubble. From someone who is not a contact (or
 * in a group not accepted) nothing is fetched or drawn, not even the sender's
 * preview: a placeholder says what it is and "Accept to see this file". A file
 * that did not verify is an error card, never a broken image; one the server no
 * longer has says so. Otherwise: an image (the sender's preview, blurred, while it
 * downloads; a button that opens the viewer once here), a voice-note player, a
 * video player, or a file card with its size, progress while it moves, and
 * Download / Save. A download that failed (the SDK's attachment-failed) says why
 * on its card, with Retry.
 * Bytes come only from the SDK (`client.attachments`), as object URLs revoked when
 * the row goes away.
 */
import { useEffect, useState } from 'react';
import { safeFileName, type ParleyClient, type StoredAttachment, type StoredMessage } from '@parley/client';
import { explain } from '../errors.ts';
import { attachmentKind, fileSize, kindName, percent, voiceLength } from './kind.ts';
import type { Progress } from './transfers.ts';

export interface AttachmentViewProps {
  readonly client: ParleyClient;
  readonly message: StoredMessage & { readonly attachment: StoredAttachment };
  /** Ours, a contact's, or in an accepted group (client.attachments.allowed). */
  readonly allowed: boolean;
  readonly progress: Progress | undefined;
  /** Why its last download failed, until retried. */
  readonly failure: string | undefined;
  /** Downloads it (again), clearing the failure first. */
  readonly onDownload: () => void;
  readonly onOpenImage: (message: StoredMessage) => void;
}

export function AttachmentView(props: AttachmentViewProps) {
  const { message } = props;
  const a = message.attachment;
  const kind = attachmentKind(a);
  if (!props.allowed) {
    return (
      <div className="attachment-card placeholder" data-attachment="stranger">
        <FileIcon kind={kind} />
        <span className="file-text">
          <span className="file-name">{kindName(kind)}</span>
          <span className="small">{fileSize(a.size)} · Accept to see this file</span>
        </span>
      </div>
    );
  }
  if (a.state === 'invalid') {
    return (
      <div className="attachment-card attachment-error" data-attachment="invalid">
        <span className="file-icon" aria-hidden="true">!</span>
        <span className="file-text">
          <span className="file-name">This file could not be verified</span>
          <span className="small">It was changed on the way or on the server, so nothing of it was kept. Ask for it to be sent again.</span>
        </span>
      </div>
    );
  }
  if (a.state === 'expired') {
    return (
      <div className="attachment-card attachment-error" data-attachment="expired">
        <FileIcon kind={kind} />
        <span className="file-text">
          <span className="file-name">{a.fileName ?? kindName(kind)}</span>
          <span className="small">No longer on the server (files are kept 30 days). Ask for it to be sent again.</span>
        </span>
      </div>
    );
  }
  if (kind === 'image') return <ImageAttachment {...props} />;
  if (kind === 'voice' && a.state === 'downloaded') return <VoiceNote client={props.client} message={message} />;
  if (kind === 'video' && a.state === 'downloaded') return <VideoAttachment {...props} />;
  return <FileCard {...props} />;
}

function FileIcon({ kind }: { kind: ReturnType<typeof attachmentKind> }) {
  return (
    <span className="file-icon" aria-hidden="true">
      {kind === 'image' ? '🖼' : kind === 'voice' ? '🎤' : kind === 'video' ? '🎬' : '📄'}
    </span>
  );
}

/** An object URL of the downloaded attachment while the component is shown. */
function useBlobUrl(client: ParleyClient, message: StoredMessage, enabled: boolean): { url?: string; error?: string } {
  const [state, setState] = useState<{ url?: string; error?: string }>({});
  useEffect(() => {
    if (!enabled) return;
    let url: string | undefined;
    let live = true;
    client.attachments.blob(message).then(
      (b) => {
        if (!live) return;
        url = URL.createObjectURL(b);
        setState({ url });
      },
      (e) => live && setState({ error: explain(e) }),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, message.senderAccountId, message.clientId, enabled]);
  return state;
}

function ProgressBar({ progress, label }: { progress: Progress; label: string }) {
  const p = percent(progress.done, progress.total);
  return (
    <span className="progress-row">
      <progress max={100} value={p} aria-label={label} />
      <span className="small" aria-hidden="true">
        {p}%
      </span>
    </span>
  );
}

function ImageAttachment(props: AttachmentViewProps) {
  const { client, message } = props;
  const a = message.attachment;
  const downloaded = a.state === 'downloaded';
  const { url, error } = useBlobUrl(client, message, downloaded);
  const [broken, setBroken] = useState(false);
  const ratio = a.width && a.height ? `${a.width} / ${a.height}` : undefined;
  const name = a.fileName ?? 'Photo';
  if (broken || error) return <FileCard {...props} note="This image could not be shown; save it to open it elsewhere." />;
  if (downloaded && url) {
    return (
      <button type="button" className="image-attachment" aria-label={`Open photo ${name}`} onClick={() => props.onOpenImage(message)}>
        <img src={url} alt={name} style={ratio ? { aspectRatio: ratio } : undefined} onError={() => setBroken(true)} />
      </button>
    );
  }
  const thumb = a.thumbnail ? `data:image/jpeg;base64,${base64(a.thumbnail)}` : undefined;
  if (props.failure) return <FileCard {...props} />;
  return (
    <div className="image-attachment pending" style={ratio ? { aspectRatio: ratio } : undefined} data-attachment="image-pending">
      {thumb && <img src={thumb} alt="" className="thumbnail" onError={(e) => (e.currentTarget.hidden = true)} />}
      <span className="image-overlay">
        {props.progress ? (
          <ProgressBar progress={props.progress} label={`Downloading ${name}`} />
        ) : downloaded ? (
          <span className="small">Loading…</span>
        ) : (
          <DownloadButton onDownload={props.onDownload} label={`Download photo (${fileSize(a.size)})`} />
        )}
      </span>
    </div>
  );
}

function DownloadButton({ onDownload, label, name }: { onDownload: () => void; label: string; name?: string }) {
  // Why no error here: a failed download comes back as the SDK's attachment-failed, shown on the card.
  return (
    <button type="button" className="small-button" aria-label={name} onClick={onDownload}>
      {label}
    </button>
  );
}

function FileCard(props: AttachmentViewProps & { note?: string }) {
  const { client, message } = props;
  const a = message.attachment;
  const kind = attachmentKind(a);
  const name = a.fileName ?? kindName(kind);
  const [error, setError] = useState<string>();
  const save = async () => {
    setError(undefined);
    try {
      const blob = await client.attachments.blob(message);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      // Why safeFileName: the sender chose the name; the browser saves under it.
      link.download = safeFileName(name);
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(explain(e));
    }
  };
  return (
    <div className={props.failure && !props.progress ? 'attachment-card failed' : 'attachment-card'} data-attachment={props.failure && !props.progress ? 'failed' : 'file'}>
      <FileIcon kind={kind} />
      <span className="file-text">
        <span className="file-name" title={name}>
          {name}
        </span>
        <span className="small file-size">{fileSize(a.size)}</span>
        {props.progress && <ProgressBar progress={props.progress} label={`Downloading ${name}`} />}
        {props.note && <span className="small">{props.note}</span>}
        {props.failure && !props.progress && (
          <span className="error small download-error" role="alert">
            Download failed: {props.failure}
          </span>
        )}
        {error && (
          <span className="error small" role="alert">
            {error}
          </span>
        )}
      </span>
      {a.state === 'downloaded' ? (
        <button type="button" className="small-button" aria-label={`Save ${name}`} onClick={() => void save()}>
          Save
        </button>
      ) : (
        !props.progress && <DownloadButton onDownload={props.onDownload} label={props.failure ? 'Retry' : 'Download'} name={props.failure ? `Retry downloading ${name}` : undefined} />
      )}
    </div>
  );
}

function VoiceNote({ client, message }: { client: ParleyClient; message: StoredMessage & { readonly attachment: StoredAttachment } }) {
  const { url, error } = useBlobUrl(client, message, true);
  const label = `Voice note, ${voiceLength(message.attachment.durationMs)}`;
  if (error) return <span className="error small">{error}</span>;
  return (
    <div className="voice-note" data-attachment="voice">
      <span className="file-icon" aria-hidden="true">
        🎤
      </span>
      {url ? <audio controls preload="metadata" src={url} aria-label={label} /> : <span className="small">Loading…</span>}
      <span className="small">{voiceLength(message.attachment.durationMs)}</span>
    </div>
  );
}

function VideoAttachment({ client, message }: AttachmentViewProps) {
  const { url, error } = useBlobUrl(client, message, true);
  const a = message.attachment;
  const name = a.fileName ?? 'Video';
  if (error) return <span className="error small">{error}</span>;
  const ratio = a.width && a.height ? `${a.width} / ${a.height}` : undefined;
  return (
    <div className="video-attachment" data-attachment="video">
      {url ? <video controls preload="metadata" src={url} aria-label={`Video ${name}`} style={ratio ? { aspectRatio: ratio } : undefined} /> : <span className="small">Loading…</span>}
    </div>
  );
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}
