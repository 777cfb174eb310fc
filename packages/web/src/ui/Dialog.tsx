/**
 * A modal dialog over the app, named for assistive technology. Focus moves into it
 * and stays there (Tab wraps), Escape closes it like its own close button, and
 * focus goes back to what opened it. Dialogs stack (a confirmation over the group
 * info): only the topmost, the last modal dialog in the document, handles keys.
 */
import { useEffect, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select, textarea, [tabindex]:not([tabindex="-1"])';

export function Dialog(props: { label: string; onClose: () => void; children: ReactNode; className?: string }) {
  const card = useRef<HTMLDivElement>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
    card.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      const modals = document.querySelectorAll('[role="dialog"][aria-modal="true"]');
      if (modals[modals.length - 1] !== card.current) return;
      if (e.key === 'Escape' && !e.defaultPrevented) {
        e.preventDefault();
        onClose.current();
      } else if (e.key === 'Tab' && card.current) {
        const items = [...card.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
        const first = items[0];
        const last = items.at(-1);
        if (!first || !last) return;
        const inside = card.current.contains(document.activeElement);
        if (e.shiftKey && (document.activeElement === first || !inside)) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && (document.activeElement === last || !inside)) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <div className="modal">
      <div className={props.className ? `card ${props.className}` : 'card'} role="dialog" aria-modal="true" aria-label={props.label} tabIndex={-1} ref={card}>
        {props.children}
      </div>
    </div>
  );
}
