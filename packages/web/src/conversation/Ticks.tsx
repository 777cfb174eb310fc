/** An outgoing message's delivery state: sending, sent, delivered to their device, read. */
import type { MessageStatus } from '@parley/client';

function glyph(s: MessageStatus): string {
  return s === 'read' ? '✓✓' : s === 'delivered' ? '✓✓' : s === 'sent' ? '✓' : s === 'sending' ? '…' : '';
}

export function Ticks({ status }: { status: MessageStatus }) {
  return (
    <span className={`ticks ${status}`} data-status={status} aria-label={status}>
      {glyph(status)}
    </span>
  );
}
