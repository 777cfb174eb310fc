/**
 * A menu button and its popup menu (the WAI-ARIA menu button pattern): the button
 * says it has a popup and whether it is open; the menu takes focus on its first item,
 * arrows, Home and End move between items, Enter picks, Escape and Tab close it, and
 * focus goes back to the button. A click outside closes it. The popup is placed
 * with fixed coordinates beside the button (or where a context menu was asked for),
 * so a scrolling list does not clip it; it opens upwards when there is no room below.
 */
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

export interface MenuItem {
  readonly label: string;
  readonly onSelect: () => void;
  readonly danger?: boolean;
}

/** Where the popup goes: under the button, or at a point (a right click). */
export type MenuAnchor = { readonly kind: 'button' } | { readonly kind: 'point'; readonly x: number; readonly y: number };

export function MenuButton(props: {
  /** The button's accessible name ("Message options", "More options"). */
  label: string;
  items: readonly MenuItem[];
  /** The button's content (an icon). */
  children: ReactNode;
  className?: string;
  /** Controlled opening (a context menu opens it from outside); undefined: closed. */
  open: MenuAnchor | undefined;
  onOpenChange: (open: MenuAnchor | undefined) => void;
}) {
  const button = useRef<HTMLButtonElement>(null);
  return (
    <>
      <button
        ref={button}
        type="button"
        className={props.className ? `icon-button ${props.className}` : 'icon-button'}
        aria-label={props.label}
        title={props.label}
        aria-haspopup="menu"
        aria-expanded={props.open !== undefined}
        onClick={() => props.onOpenChange(props.open ? undefined : { kind: 'button' })}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !props.open) {
            e.preventDefault();
            props.onOpenChange({ kind: 'button' });
          }
        }}
      >
        {props.children}
      </button>
      {props.open && <MenuPopup label={props.label} items={props.items} anchor={props.open} button={button} onClose={() => props.onOpenChange(undefined)} />}
    </>
  );
}

function MenuPopup(props: { label: string; items: readonly MenuItem[]; anchor: MenuAnchor; button: React.RefObject<HTMLButtonElement | null>; onClose: () => void }) {
  const menu = useRef<HTMLUListElement>(null);
  const [place, setPlace] = useState<{ top: number; left: number }>();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useLayoutEffect(() => {
    const el = menu.current;
    if (!el) return;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    let x: number;
    let y: number;
    if (props.anchor.kind === 'point') {
      x = props.anchor.x;
      y = props.anchor.y;
    } else {
      const r = props.button.current!.getBoundingClientRect();
      x = r.right - w;
      y = r.bottom + 4;
      if (y + h > window.innerHeight - 8) y = r.top - h - 4;
    }
    setPlace({ top: Math.max(8, Math.min(y, window.innerHeight - h - 8)), left: Math.max(8, Math.min(x, window.innerWidth - w - 8)) });
  }, [props.anchor, props.button]);
  // Once placed (a hidden element cannot take focus): the first item.
  const placed = place !== undefined;
  useLayoutEffect(() => {
    if (placed) menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [placed]);

  useEffect(() => {
    const outside = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!menu.current?.contains(t) && !props.button.current?.contains(t)) onClose.current();
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [props.button]);

  const close = (refocus: boolean) => {
    onClose.current();
    if (refocus) props.button.current?.focus();
  };
  const onKey = (e: React.KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const go = (i: number) => items[(i + items.length) % items.length]?.focus();
    if (e.key === 'ArrowDown') go(at + 1);
    else if (e.key === 'ArrowUp') go(at - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(items.length - 1);
    else if (e.key === 'Escape') close(true);
    else if (e.key === 'Tab') return close(false);
    else return;
    e.preventDefault();
    // Why: Escape here must not also close a dialog underneath.
    e.stopPropagation();
  };
  return (
    <ul ref={menu} role="menu" aria-label={props.label} className="menu" style={place ? { top: place.top, left: place.left } : { visibility: 'hidden' }} onKeyDown={onKey}>
      {props.items.map((item) => (
        <li role="none" key={item.label}>
          <button
            type="button"
            role="menuitem"
            tabIndex={-1}
            className={item.danger ? 'danger-item' : undefined}
            onClick={() => {
              close(true);
              item.onSelect();
            }}
          >
            {item.label}
          </button>
        </li>
      ))}
    </ul>
  );
}
