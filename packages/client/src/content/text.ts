/**
 * A chat message: text, in a direct chat or (with `group`) in a group, with an
 * optional attachment (the text is then its caption, possibly empty) and an
 * optional quote of the message it replies to.
 */
import { groupId, object, oneOf, str } from '@parley/wire';
import { attachmentPointer, type AttachmentPointer } from './attachment.ts';
import { header, MAX_TEXT_LENGTH } from './fields.ts';
import { quote, type Quote } from './quote.ts';
import { expireSeconds } from './timer.ts';

export interface TextContent {
  readonly kind: 'text';
  readonly text: string;
  /** The group it was written in; must match the envelope's group. */
  readonly group?: string;
  readonly attachment?: AttachmentPointer;
  /** The message this one replies to. */
  readonly quote?: Quote;
  /** Disappearing: deleted this many seconds after the recipient read it (after sending, for the sender). */
  readonly expire?: number;
}

export const textContent = object({ ...header, kind: oneOf('text'), text: str(MAX_TEXT_LENGTH) }, { group: groupId, attachment: attachmentPointer, quote, expire: expireSeconds });
