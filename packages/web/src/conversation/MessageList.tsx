/**
 * The conversation's messages and call lines, oldest first, in their own scrolling area (the
 * header and composer stay put). Virtualized: only the rows in view, plus some
 * overscan, are in the DOM; the rest is padding computed from measured heights
 * (estimated until a row was shown), so 10,000 messages render as fast as 10.
 * While the person is at the bottom, it follows new messages.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type Ref } from 'react';
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

export function MessageList({ rows, linksAllowed }: { rows: readonly TimelineRow[]; linksAllowed: boolean }) {
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
  }, [rows, total, readView]);

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
          <Row key={row.key} row={row} linksAllowed={linksAllowed} position={start + i + 1} count={rows.length} measure={observe} />
        ))}
      </ol>
    </div>
  );
}

function Row(props: { row: TimelineRow; linksAllowed: boolean; position: number; count: number; measure: Ref<HTMLLIElement> }) {
  const { row } = props;
  if (row.kind === 'system') {
    return (
      <li ref={props.measure} data-key={row.key} className="system" aria-posinset={props.position} aria-setsize={props.count}>
        <p className="system-line">
          <span>{row.text}</span> <span className="meta">{clockTime(row.timestamp)}</span>
        </p>
      </li>
    );
  }
  const m = row.message;
  return (
    <li ref={props.measure} data-key={row.key} className={m.direction === 'out' ? 'out' : 'in'} aria-posinset={props.position} aria-setsize={props.count}>
      <div className="bubble">
        {row.sender && (
          <span className="sender" style={{ color: colour(m.senderAccountId) }}>
            {row.sender}
          </span>
        )}
        <MessageBody text={m.body} linksAllowed={props.linksAllowed} />
        <span className="meta">
          {clockTime(m.timestamp)} {m.direction === 'out' && <Ticks status={m.status} />}
        </span>
      </div>
    </li>
  );
}
