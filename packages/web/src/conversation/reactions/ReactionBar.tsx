/**
 * Choosing a reaction: a small bar of the usual six (👍 ❤️ 😂 😮 😢 🙏) and "More",
 * which opens the full emoji picker. It opens beside the message (fixed
 * coordinates, so the scrolling list does not clip it), takes focus on its first
 * emoji; arrows move, Enter picks, Escape closes, and focus goes back to where it
 * came from. Picking the emoji we already chose takes it back.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { EmojiPicker } from '../../emoji/EmojiPicker.tsx';

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

export function ReactionBar(props: { anchor: DOMRect; current: string | undefined; onPick: (emoji: string) => void; onClose: () => void }) {
  const bar = useRef<HTMLDivElement>(null);
  const [place, setPlace] = useState<{ top: number; left: number }>();
  const [full, setFull] = useState(false);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useLayoutEffect(() => {
    const el = bar.current;
    if (!el) return;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    const a = props.anchor;
    const top = a.top - h - 6 >= 8 ? a.top - h - 6 : a.bottom + 6;
    setPlace({ top: Math.min(top, window.innerHeight - h - 8), left: Math.max(8, Math.min(a.left, window.innerWidth - w - 8)) });
  }, [props.anchor, full]);
  // Once placed (a hidden element cannot take focus): the first emoji.
  const placed = place !== undefined;
  useLayoutEffect(() => {
    if (placed && !full) bar.current?.querySelector<HTMLElement>('button')?.focus();
  }, [placed, full]);

  useEffect(() => {
    const outside = (e: PointerEvent) => {
      if (!bar.current?.contains(e.target as Node)) onClose.current();
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, []);

  const onKey = (e: React.KeyboardEvent) => {
    if (full) return;
    const buttons = [...(bar.current?.querySelectorAll<HTMLElement>('.reaction-choices button') ?? [])];
    const at = buttons.indexOf(document.activeElement as HTMLElement);
    if (e.key === 'ArrowRight') buttons[(at + 1) % buttons.length]?.focus();
    else if (e.key === 'ArrowLeft') buttons[(at - 1 + buttons.length) % buttons.length]?.focus();
    else if (e.key === 'Escape') onClose.current();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    <div ref={bar} className="reaction-bar" role="dialog" aria-label="Choose a reaction" style={place ?? { visibility: 'hidden' }} onKeyDown={onKey}>
      {full ? (
        <div className="reaction-picker">
          <EmojiPicker onPick={props.onPick} onClose={() => setFull(false)} />
        </div>
      ) : (
        <div className="reaction-choices" role="toolbar" aria-label="Reactions">
          {QUICK_REACTIONS.map((emoji) => (
            <button key={emoji} type="button" className={emoji === props.current ? 'emoji chosen' : 'emoji'} aria-label={emoji === props.current ? `${emoji} (yours; select to remove)` : emoji} aria-pressed={emoji === props.current} onClick={() => props.onPick(emoji)}>
              {emoji}
            </button>
          ))}
          <button type="button" className="emoji more" aria-label="More reactions" title="More reactions" onClick={() => setFull(true)}>
            +
          </button>
        </div>
      )}
    </div>
  );
}
