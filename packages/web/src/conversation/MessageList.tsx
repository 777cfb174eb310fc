/**
 * The conversation's messages and call lines, oldest first, in their own scrolling area (the
 * header and composer stay put): day separators and the unread marker above the rows
 * they head, bubbles grouped into runs, attachments inside their bubbles, and after
 * the last message the cards of files still uploading. Virtualized: only the rows in view, plus some
 * overscan, are in the DOM; the rest is padding computed from measured heights
 * (estimated until a row was shown), so 10,000 messages render as fast as 10.
 * While the person is at the bottom, it follows new messages. A message shows its
 * quote (a reply), reactions, "edited", or that it was deleted; its actions
 * (actions/) open from beside it or with a right click. `jump` scrolls to a message
 * (a quote's original, a search result) and highlights it for a moment.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type Ref } from 'react';
import type { ParleyClient, Quote, StoredAttachment, StoredMessage } from '@parley/client';
import { AttachmentView } from '../attachments/AttachmentView.tsx';
import { fileSize, percent } from '../attachments/kind.ts';
import { transferKey, type Progress, type Upload } from '../attachments/transfers.ts';
import { colour } from '../ui/Avatar.tsx';
import type { MenuAnchor } from '../ui/Menu.tsx';
import { nameColour } from '../ui/name-colour.ts';
import { clockTime } from '../ui/time.ts';
import { MessageActions } from './actions/MessageActions.tsx';
import { messageRules } from './actions/rules.ts';
import { MessageBody } from './MessageBody.tsx';
import { ReactionChips } from './reactions/ReactionChips.tsx';
import { reactionChips, type ReactionChip } from './reactions/summary.ts';
import { QuoteBlock } from './reply/QuoteBlock.tsx';
import { quoteAuthor, quoteSnippet } from './reply/quote-text.ts';
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
  readonly onRetryUpload: ((id: string) => void) | undefined;
  readonly onOpenImage: (message: StoredMessage) => void;
  /** Why downloads failed, by transfer key. */
  readonly failedDownloads: Readonly<Record<string, string>>;
  readonly onDownload: (message: StoredMessage) => void;
  /** Our account id. */
  readonly me: string;
  readonly nameOf: (accountId: string) => string;
  /** We can write here (replies, reactions, edits and deletes are offered). */
  readonly canSend: boolean;
  /** The conversation's search term, marked in the messages. */
  readonly highlight: string | undefined;
  /** Scroll to this row and highlight it (a new `seq` jumps again). */
  readonly jump: { readonly key: string; readonly seq: number } | undefined;
  readonly actions: MessageHandlers;
}

/** What the person does to a message. */
export interface MessageHandlers {
  readonly onReply: (m: StoredMessage) => void;
  readonly onReact: (m: StoredMessage, anchor: DOMRect) => void;
  readonly onToggleReaction: (m: StoredMessage, chip: ReactionChip) => void;
  readonly onEdit: (m: StoredMessage) => void;
  readonly onDelete: (m: StoredMessage) => void;
  readonly onDeleteForMe: (m: StoredMessage) => void;
  /** Go to a quote's original (a row key). */
  readonly onJump: (key: string) => void;
}

/** A message's key among the rows: its author and content id. */
const idKey = (author: string, id: string) => `${author}/${id}`;

/** How long a message that was jumped to stays highlighted. */
const FLASH_MS = 2000;

export function MessageList(props: MessageListProps) {
  const { client, rows, linksAllowed, downloads, uploads, onCancelUpload, onOpenImage, jump } = props;
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

  /** Rows by the message they show (quotes find their original here). */
  const byId = useMemo(() => new Map(rows.flatMap((r) => (r.kind === 'message' ? [[idKey(r.message.senderAccountId, r.message.clientId), r]] : []))), [rows]);
  const [menu, setMenu] = useState<{ key: string; anchor: MenuAnchor }>();
  const [flash, setFlash] = useState<string>();
  const offsetsRef = useRef(offsets);
  offsetsRef.current = offsets;

  // A jump: scroll the estimated place into view, then (once rendered and measured) centre the row itself.
  useEffect(() => {
    const el = scroller.current;
    if (!jump || !el) return;
    const i = rows.findIndex((r) => r.key === jump.key);
    if (i < 0) return;
    atBottom.current = false;
    el.scrollTop = Math.max(0, offsetsRef.current[i]! - el.clientHeight / 3);
    readView();
    setFlash(jump.key);
    let frames = 0;
    let raf = 0;
    const settle = () => {
      el.querySelector(`[data-key="${CSS.escape(jump.key)}"]`)?.scrollIntoView({ block: 'center' });
      if (++frames < 4) raf = requestAnimationFrame(settle);
    };
    raf = requestAnimationFrame(settle);
    const t = setTimeout(() => setFlash(undefined), FLASH_MS);
    return () => {
      cancelAnimationFrame(raf);
      clearTimeout(t);
    };
    // Why only `jump`: new rows arriving must not jump again.
  }, [jump]);

  return (
    // Why focusable: a scrolling area must be reachable to scroll it with the keyboard.
    <div className="messages" ref={scroller} onScroll={onScroll} tabIndex={0} role="region" aria-label="Conversation history">
      <ol style={{ paddingTop: EDGE_PX + offsets[start]!, paddingBottom: EDGE_PX + total - offsets[end]! }}>
        {rows.slice(start, end).map((row, i) => (
          <Row
            key={row.key}
            {...props}
            client={client}
            row={row}
            linksAllowed={linksAllowed}
            downloads={downloads}
            onOpenImage={onOpenImage}
            position={start + i + 1}
            count={rows.length}
            measure={observe}
            flash={flash === row.key}
            menu={menu?.key === row.key ? menu.anchor : undefined}
            onMenu={(anchor) => setMenu(anchor ? { key: row.key, anchor } : undefined)}
            original={row.kind === 'message' && row.message.quote ? byId.get(idKey(row.message.quote.author, row.message.quote.id)) : undefined}
          />
        ))}
      </ol>
      {uploads.length > 0 && (
        <ol className="uploads" aria-label="Files being sent">
          {uploads.map((u) => (
            <UploadCard key={u.id} upload={u} onCancel={() => onCancelUpload(u.id)} onRetry={props.onRetryUpload && (() => props.onRetryUpload!(u.id))} />
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

function UploadCard({ upload, onCancel, onRetry }: { upload: Upload; onCancel: () => void; onRetry: (() => void) | undefined }) {
  const p = percent(upload.done, upload.total);
  return (
    <li className="out run-start run-end">
      <div className="bubble">
        <div className="attachment-card" data-attachment="upload">
          <span className="file-icon" aria-hidden="true">
            {upload.kind === 'image' ? '🖼' : upload.kind === 'voice' ? '🎤' : upload.kind === 'video' ? '🎬' : '📄'}
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
          {upload.error && onRetry && (
            <button type="button" className="small-button" aria-label={`Retry sending ${upload.fileName}`} onClick={onRetry}>
              Retry
            </button>
          )}
          <button type="button" className="small-button secondary" aria-label={upload.error ? `Dismiss ${upload.fileName}` : `Cancel sending ${upload.fileName}`} onClick={onCancel}>
            {upload.error ? 'Dismiss' : 'Cancel'}
          </button>
        </div>
      </div>
    </li>
  );
}

function Row(
  props: MessageListProps & {
    row: TimelineRow;
    position: number;
    count: number;
    measure: Ref<HTMLLIElement>;
    flash: boolean;
    menu: MenuAnchor | undefined;
    onMenu: (anchor: MenuAnchor | undefined) => void;
    /** The row of the message this one quotes, if it is still here. */
    original: TimelineRow | undefined;
  },
) {
  const { row, actions } = props;
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
  const rules = messageRules(m, props.canSend, Date.now());
  const chips = m.deleted ? [] : reactionChips(m.reactions, props.me, props.nameOf);
  const classes = [m.direction === 'out' ? 'out' : 'in', row.runStart && 'run-start', row.runEnd && 'run-end', m.attachment && !m.deleted && 'has-attachment', chips.length > 0 && 'has-reactions', props.flash && 'flash'].filter(Boolean).join(' ');
  const original = props.original?.kind === 'message' ? props.original : undefined;
  return (
    <li ref={props.measure} data-key={row.key} className={classes} aria-posinset={props.position} aria-setsize={props.count}>
      <Headings row={row} />
      <div className="bubble-row">
        <div
          className="bubble"
          onContextMenu={(e) => {
            if (!rules.reply && !rules.delete) return;
            e.preventDefault();
            props.onMenu({ kind: 'point', x: e.clientX, y: e.clientY });
          }}
        >
          {row.sender && (
            <span className="sender" style={{ color: nameColour(m.senderAccountId) }}>
              {row.sender}
            </span>
          )}
          {m.deleted ? (
            <span className="body deleted">{m.direction === 'out' ? 'You deleted this message' : 'This message was deleted'}</span>
          ) : (
            <>
              {m.quote && <QuoteOf quote={m.quote} original={original} me={props.me} nameOf={props.nameOf} onJump={original ? () => actions.onJump(original.key) : undefined} />}
              {m.attachment && (
                <AttachmentView
                  client={props.client}
                  message={m as StoredMessage & { attachment: StoredAttachment }}
                  allowed={props.client.attachments.allowed(m)}
                  progress={props.downloads[transferKey(m)]}
                  failure={props.failedDownloads[transferKey(m)]}
                  onDownload={() => props.onDownload(m)}
                  onOpenImage={props.onOpenImage}
                />
              )}
              {(m.body || !m.attachment) && <MessageBody text={m.body} linksAllowed={props.linksAllowed} highlight={props.highlight} />}
            </>
          )}
          <span className="meta">
            {m.expiresInMs !== undefined && (
              <span className="timer-mark" role="img" aria-label="Disappears after it is read" title="Disappears after it is read">
                ⏱
              </span>
            )}
            {m.edits !== undefined && !m.deleted && <span className="edited">edited </span>}
            {clockTime(m.timestamp)} {m.direction === 'out' && !m.deleted && <Ticks status={m.status} />}
          </span>
        </div>
        <MessageActions
          rules={rules}
          menu={props.menu}
          onMenu={props.onMenu}
          onReply={() => actions.onReply(m)}
          onReact={(anchor) => actions.onReact(m, anchor)}
          onEdit={() => actions.onEdit(m)}
          onDelete={() => actions.onDelete(m)}
          onDeleteForMe={() => actions.onDeleteForMe(m)}
        />
      </div>
      <ReactionChips chips={chips} onToggle={(chip) => actions.onToggleReaction(m, chip)} />
    </li>
  );
}

function QuoteOf(props: { quote: Quote; original: (TimelineRow & { kind: 'message' }) | undefined; me: string; nameOf: (id: string) => string; onJump: (() => void) | undefined }) {
  const author = quoteAuthor(props.quote.author, props.me, props.nameOf);
  return <QuoteBlock author={author} snippet={quoteSnippet(props.quote, props.original?.message)} colour={colour(props.quote.author)} onJump={props.onJump} />;
}
