/**
 * The emoji picker beside the composer: a search field and a grid of the bundled
 * emoji by category. Keyboard: arrows move through the grid, Enter picks, Escape
 * closes; focus returns to the message field either way. Not modal: clicking
 * outside closes it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { EMOJI, searchEmoji } from './emoji-data.ts';

const COLUMNS = 8;

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const root = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const groups = useMemo(() => (query.trim() ? [{ name: 'Results', emoji: searchEmoji(query) }] : EMOJI), [query]);
  const flat = useMemo(() => groups.flatMap((g) => g.emoji), [groups]);

  useEffect(() => {
    search.current?.focus();
    const outside = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node) && !(e.target as Element).closest?.('.emoji-toggle')) onClose();
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, []);
  useEffect(() => setActive(0), [query]);

  const focusCell = (i: number) => {
    const n = Math.max(0, Math.min(flat.length - 1, i));
    setActive(n);
    root.current?.querySelector<HTMLButtonElement>(`[data-index="${n}"]`)?.focus();
  };
  const onGridKey = (e: React.KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (e.key in moves) {
      e.preventDefault();
      focusCell(active + moves[e.key]!);
    } else if (e.key === 'Home') {
      e.preventDefault();
      focusCell(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      focusCell(flat.length - 1);
    }
  };

  let index = 0;
  return (
    <div
      className="emoji-picker"
      role="dialog"
      aria-label="Emoji"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <input
        ref={search}
        type="search"
        aria-label="Search emoji"
        placeholder="Search emoji"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            focusCell(0);
          } else if (e.key === 'Enter') {
            e.preventDefault();
            const first = flat[0];
            if (first) onPick(first[0]);
          }
        }}
      />
      <div className="emoji-scroll" onKeyDown={onGridKey}>
        {groups.map((g) => (
          <section key={g.name} aria-label={g.name}>
            <h4 className="emoji-category">{g.name}</h4>
            <div className="emoji-grid">
              {g.emoji.map(([emoji, name]) => {
                const i = index++;
                return (
                  <button key={emoji} type="button" className="emoji" data-index={i} tabIndex={i === active ? 0 : -1} aria-label={name} title={name} onClick={() => onPick(emoji)}>
                    {emoji}
                  </button>
                );
              })}
            </div>
          </section>
        ))}
        {flat.length === 0 && <p className="muted small">No emoji match “{query}”.</p>}
      </div>
    </div>
  );
}
