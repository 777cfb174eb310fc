/**
 * The conversation's messages and call lines, oldest first, in their own scrolling area (the
 * header and composer stay put): day separators and the unread marker above the rows
 * they head, bubbles grouped into runs, attachments inside their bubbles, and after
 * the last message the cards of files still uploading. Virtualized: only the rows in view, plus some
 * overscan, are in the DOM; the rest is padding computed from measured heights
 * (estimated until a row was shown), so 10,000 messages render as fast as 10.
 * While the person is at the bottom, it follows new messages.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type Ref } from 'react';
import type { ParleyClient, StoredAttachment, StoredMessage } from '@parley/client';
import { AttachmentView } from '../attachments/AttachmentView.tsx';
import { fileSize, percent } from '../attachments/kind.ts';
import { transferKey, type Progress, type Upload } from '../attachments/transfers.ts';
import { colour } from '../ui/Avatar.tsx';
import { clockTime } from '../ui/time.ts';
import { MessageBody } from './MessageBody.tsx';
import { Ticks } from './Ticks.tsx';
import type { TimelineRow } from './timeline.ts';
import { rowOffsets, visibleRange } from './virtual-window.ts';

/** A row's height before it was measured: one line of text in a bubble. */
const ESTIMATED_ROW_PX = 56;
/** Rendered beyond the viewport on each side, so fast scrolling shows no gaps. */
const OVERSCAN_PX = 600;
/** Space above the first row and below the last. */
const EDGE_PX = 12;
/** Within this of the bottom counts as "at the bottom" (new messages scroll into view). */
const STICK_PX = 48;

export interface MessageListProps {
  readonly client: ParleyClient;
  readonly rows: readonly TimelineRow[];
  readonly linksAllowed: boolean;
  readonly downloads: Readonly<Record<string, Progress>>;
  /** This conversation's files being sent. */
  readonly uploads: readonly Upload[];
  readonly onCancelUpload: (id: string) => void;
  readonly onOpenImage: (message: StoredMessage) => void;
}

export function MessageList({ client, rows, linksAllowed, downloads, uploads, onCancelUpload, onOpenImage }: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measured, setMeasured] = useState(0);
  const [view, setView] = useState({ top: 0, height: 0 });
  const atBottom = useRef(true);

  const rowObserver = useMemo(
    () =>
      new ResizeObserver((entries) => {
        let changed = false;
        for (const e of entries) {
          const key = (e.target as HTMLElement).dataset.key;
          const h = e.borderBoxSize[0]?.blockSize ?? (e.target as HTMLElement).offsetHeight;
          if (key === undefined || h === 0 || heights.current.get(key) === h) continue;
          heights.current.set(key, h);
          changed = true;
        }
        if (changed) setMeasured((n) => n + 1);
      }),
    [],
  );
  useEffect(() => () => rowObserver.disconnect(), [rowObserver]);
  const observe = useCallback(
    (el: HTMLLIElement | null) => {
      if (!el) return;
      rowObserver.observe(el);
      return () => rowObserver.unobserve(el);
    },
    [rowObserver],
  );

  const offsets = useMemo(() => rowOffsets(rows.length, (i) => heights.current.get(rows[i]!.key) ?? ESTIMATED_ROW_PX), [rows, measured]);
  const total = offsets[rows.length]!;
  const { start, end } = visibleRange(offsets, view.top - EDGE_PX, view.height || 1000, OVERSCAN_PX);

  const readView = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    setView((v) => (v.top === el.scrollTop && v.height === el.clientHeight ? v : { top: el.scrollTop, height: el.clientHeight }));
  }, []);

  // Before paint: follow the newest row while at the bottom, then render the window for where the list now is.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) el.scrollTop = el.scrollHeight;
    readView();
  }, [rows, total, readView, uploads.length]);

  // The viewport's own size (window resized, a banner appeared).
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const o = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
      readView();
    });
    o.observe(el);
    return () => o.disconnect();
  }, [readView]);

  const onScroll = () => {
    const el = scroller.current!;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX;
    readView();
  };

  return (
    // Why focusable: a scrolling area must be reachable to scroll it with the keyboard.
    <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Conversation history">
      <ol style={{ paddingTop: EDGE_PX + offsets[start]!, paddingBottom: EDGE_PX + total - offsets[end]! }}>
        {rows.slice(start, end).map((row, i) => (
          <Row key={row.key} client={client} row={row} linksAllowed={linksAllowed} downloads={downloads} onOpenImage={onOpenImage} position={start + i + 1} count={rows.length} measure={observe} />
        ))}
      </ol>
      {uploads.length > 0 && (
        <ol className="uploads" aria-label="Files being sent">
          {uploads.map((u) => (
            <UploadCard key={u.id} upload={u} onCancel={() => onCancelUpload(u.id)} />
          ))}
        </ol>
      )}
    </div>
  );
}

function Headings({ row }: { row: TimelineRow }) {
  return (
    <>
      {row.day && (
        <p className="day-separator">
          <span>{row.day}</span>
        </p>
      )}
      {row.unread && (
        <p className="unread-marker">
          <span>{row.unread}</span>
        </p>
      )}
    </>
  );
}

function UploadCard({ upload, onCancel }: { upload: Upload; onCancel: () => void }) {
  const p = percent(upload.done, upload.total);
  return (
    <li className="out run-start run-end">
      <div className="bubble">
        <div className="attachment-card" data-attachment="upload">
          <span className="file-icon" aria-hidden="true">
            {upload.kind === 'image' ? '🖼' : upload.kind === 'voice' ? '🎤' : '📄'}
          </span>
          <span className="file-text">
            <span className="file-name">{upload.fileName}</span>
            <span className="small file-size">{fileSize(upload.size)}</span>
            {upload.error ? (
              <span className="small upload-error" role="alert">
                Not sent: {upload.error}
              </span>
            ) : (
              <span className="progress-row">
                <progress max={100} value={p} aria-label={`Sending ${upload.fileName}`} />
                <span className="small" aria-hidden="true">
                  {p}%
                </span>
              </span>
            )}
          </span>
          <button type="button" className="small-button secondary" aria-label={upload.error ? `Dismiss ${upload.fileName}` : `Cancel sending ${upload.fileName}`} onClick={onCancel}>
            {upload.error ? 'Dismiss' : 'Cancel'}
          </button>
        </div>
      </div>
    </li>
  );
}

function Row(props: {
  client: ParleyClient;
  row: TimelineRow;
  linksAllowed: boolean;
  downloads: Readonly<Record<string, Progress>>;
  onOpenImage: (message: StoredMessage) => void;
  position: number;
  count: number;
  measure: Ref<HTMLLIElement>;
}) {
  const { row } = props;
  if (row.kind === 'system') {
    return (
      <li ref={props.measure} data-key={row.key} className="system" aria-posinset={props.position} aria-setsize={props.count}>
        <Headings row={row} />
        <p className="system-line">
          <span>{row.text}</span> <span className="meta">{clockTime(row.timestamp)}</span>
        </p>
      </li>
    );
  }
  const m = row.message;
  const classes = [m.direction === 'out' ? 'out' : 'in', row.runStart && 'run-start', row.runEnd && 'run-end', m.attachment && 'has-attachment'].filter(Boolean).join(' ');
  return (
    <li ref={props.measure} data-key={row.key} className={classes} aria-posinset={props.position} aria-setsize={props.count}>
      <Headings row={row} />
      <div className="bubble">
        {row.sender && (
          <span className="sender" style={{ color: colour(m.senderAccountId) }}>
            {row.sender}
          </span>
        )}
        {m.attachment && (
          <AttachmentView
            client={props.client}
            message={m as StoredMessage & { attachment: StoredAttachment }}
            allowed={props.client.attachments.allowed(m)}
            progress={props.downloads[transferKey(m)]}
            onOpenImage={props.onOpenImage}
          />
        )}
        {(m.body || !m.attachment) && <MessageBody text={m.body} linksAllowed={props.linksAllowed} />}
        <span className="meta">
          {clockTime(m.timestamp)} {m.direction === 'out' && <Ticks status={m.status} />}
        </span>
      </div>
    </li>
  );
}
