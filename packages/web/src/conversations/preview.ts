/** The line under a conversation's name in the list: the last message, said as WhatsApp says it. */
import type { ConversationSummary } from '@parley/client';
import { isSystemLine } from '../conversation/timeline.ts';
import type { NameOf } from './names.ts';

export function previewText(c: Pick<ConversationSummary, 'kind' | 'last'>, nameOf: NameOf): string {
  const last = c.last;
  if (!last) return c.kind === 'group' ? 'No messages yet' : '';
  if (isSystemLine(last)) return last.body;
  if (last.direction === 'out') return `You: ${last.body}`;
  return c.kind === 'group' ? `${nameOf(last.senderAccountId)}: ${last.body}` : last.body;
}
