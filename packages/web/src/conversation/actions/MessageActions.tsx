/**
 * The actions beside a bubble, shown while the pointer is over the message or focus
 * is inside it (and always reachable with Tab): a React button (the reaction bar)
 * and the "More actions" menu (Reply, React, Edit, Delete for everyone, Delete for me). A right
 * click on the bubble opens the same menu where the pointer is.
 */
import { useRef } from 'react';
import { MenuButton, type MenuAnchor, type MenuItem } from '../../ui/Menu.tsx';
import type { MessageRules } from './rules.ts';

export interface MessageActionHandlers {
  readonly onReply: () => void;
  /** Opens the reaction bar next to `anchor`. */
  readonly onReact: (anchor: DOMRect) => void;
  readonly onEdit: () => void;
  readonly onDelete: () => void;
  readonly onDeleteForMe: () => void;
}

export function MessageActions(props: MessageActionHandlers & { rules: MessageRules; menu: MenuAnchor | undefined; onMenu: (open: MenuAnchor | undefined) => void }) {
  const react = useRef<HTMLButtonElement>(null);
  const { rules } = props;
  const items: MenuItem[] = [];
  if (rules.reply) items.push({ label: 'Reply', onSelect: props.onReply });
  if (rules.react) items.push({ label: 'React', onSelect: () => react.current && props.onReact(react.current.getBoundingClientRect()) });
  if (rules.edit) items.push({ label: 'Edit', onSelect: props.onEdit });
  if (rules.delete) items.push({ label: 'Delete for everyone', onSelect: props.onDelete, danger: true });
  if (rules.deleteForMe) items.push({ label: 'Delete for me', onSelect: props.onDeleteForMe, danger: true });
  if (items.length === 0) return null;
  return (
    <span className={props.menu ? 'message-actions open' : 'message-actions'}>
      {rules.react && (
        <button ref={react} type="button" className="icon-button" aria-label="React" title="React" onClick={(e) => props.onReact(e.currentTarget.getBoundingClientRect())}>
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16zm-3.5-9a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zM12 17.5a5.5 5.5 0 0 0 5.1-3.5H6.9a5.5 5.5 0 0 0 5.1 3.5z" />
          </svg>
        </button>
      )}
      <MenuButton label="More actions" items={items} open={props.menu} onOpenChange={props.onMenu}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z" />
        </svg>
      </MenuButton>
    </span>
  );
}
