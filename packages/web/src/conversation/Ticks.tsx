/**
 * An outgoing message's delivery state. Each state has its own glyph, and "read"
 * also its word, so read and delivered differ without colour; the accessible
 * name is the state ("sent", "delivered", "read").
 */
import type { MessageStatus } from '@parley/client';

const GLYPH: Record<MessageStatus, string> = { sending: '…', sent: '✓', delivered: '✓✓', read: '✓✓ Read', received: '' };

export function Ticks({ status }: { status: MessageStatus }) {
  return (
    <span className={`ticks ${status}`} data-status={status} role="img" aria-label={status} title={status[0]!.toUpperCase() + status.slice(1)}>
      {GLYPH[status]}
    </span>
  );
}
