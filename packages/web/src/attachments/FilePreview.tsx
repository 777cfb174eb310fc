/**
 * The files about to be sent, before anything leaves the browser (picked, pasted or
 * dropped): an image as a thumbnail, anything else as a card with its name and
 * size, a caption field (sent with the first file), Cancel and Send. A modal
 * dialog: focus starts in the caption, Enter sends, Escape cancels. Thumbnails are
 * object URLs of the local files, revoked when the preview closes.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Dialog } from '../ui/Dialog.tsx';
import { attachmentKind, contentTypeOf, fileSize, kindIcon } from './kind.ts';

export function FilePreview(props: { files: readonly File[]; title: string; onSend: (caption: string) => void; onCancel: () => void }) {
  const [caption, setCaption] = useState('');
  const field = useRef<HTMLInputElement>(null);
  // After the dialog focused itself (its effect runs first): the caption is where typing goes.
  useEffect(() => field.current?.focus(), []);
  const items = useMemo(
    () =>
      props.files.map((f) => {
        const kind = attachmentKind({ contentType: contentTypeOf({ type: f.type, name: f.name }) });
        return { file: f, kind, url: kind === 'image' ? URL.createObjectURL(f) : undefined };
      }),
    [props.files],
  );
  useEffect(() => () => items.forEach((i) => i.url && URL.revokeObjectURL(i.url)), [items]);
  const label = props.files.length === 1 ? `Send ${props.files[0]!.name || 'file'} to ${props.title}` : `Send ${props.files.length} files to ${props.title}`;
  return (
    <Dialog label={label} onClose={props.onCancel} className="file-preview">
      <h2>{label}</h2>
      <ul className="preview-items">
        {items.map((i, n) =>
          i.url ? (
            <li key={n} className="preview-image" data-preview="image">
              <img src={i.url} alt={i.file.name || 'Image'} />
              <span className="small muted">
                {i.file.name} · {fileSize(i.file.size)}
              </span>
            </li>
          ) : (
            <li key={n} className="attachment-card preview-file" data-preview="file">
              <span className="file-icon" aria-hidden="true">
                {kindIcon(i.kind)}
              </span>
              <span className="file-text">
                <span className="file-name">{i.file.name || 'file'}</span>
                <span className="small file-size">{fileSize(i.file.size)}</span>
              </span>
            </li>
          ),
        )}
      </ul>
      <form
        className="preview-send"
        onSubmit={(e) => {
          e.preventDefault();
          props.onSend(caption.trim());
        }}
      >
        <input aria-label="Caption" placeholder="Add a caption" value={caption} ref={field} onChange={(e) => setCaption(e.target.value)} />
        <div className="actions end">
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit">Send</button>
        </div>
      </form>
    </Dialog>
  );
}
