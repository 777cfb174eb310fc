/** The line under a conversation's name in the list: the last message, said as WhatsApp says it. */
import type { ConversationSummary, StoredMessage } from '@parley/client';
import { attachmentKind, kindIcon, kindName } from '../attachments/kind.ts';
import { isSystemLine } from '../conversation/timeline.ts';
import type { NameOf } from './names.ts';

export function previewText(c: Pick<ConversationSummary, 'kind' | 'last'> & { readonly request?: boolean }, nameOf: NameOf): string {
  const last = c.last;
  if (!last) return c.kind === 'group' ? 'No messages yet' : '';
  if (isSystemLine(last)) return last.body;
  if (last.deleted) return last.direction === 'out' ? 'You deleted this message' : 'This message was deleted';
  const text = messageText(last, c.request ?? false);
  if (last.direction === 'out') return `You: ${text}`;
  return c.kind === 'group' ? `${nameOf(last.senderAccountId)}: ${text}` : text;
}

/** A message as one line: its text, or what it carries ("📷 Photo", "🎤 Voice message", "📄 report.pdf"). */
function messageText(m: StoredMessage, request: boolean): string {
  if (!m.attachment) return m.body;
  const kind = attachmentKind(m.attachment);
  const icon = kindIcon(kind);
  // The file's name is the sender's words, as a caption is; a photo or voice note says what it is.
  // In a request, as in its placeholder, not even the name is shown.
  const what = kind === 'file' && !request ? (m.attachment.fileName ?? kindName(kind)) : kindName(kind);
  return `${icon} ${m.body || what}`;
}
