/**
 * An edit of one of the sender's own messages: its new text. Only the author can
 * edit (the target is looked up under the sender's account), and only within the
 * change window (conversations/changes.ts). `to` is only for our own other devices.
 */
import { groupId, object, oneOf, str } from '@parley/wire';
import { contentId, header, MAX_TEXT_LENGTH } from './fields.ts';
import { conversationId } from './fields.ts';

export interface EditContent {
  readonly kind: 'edit';
  /** The content id of the sender's message that changes. */
  readonly target: string;
  readonly text: string;
  readonly group?: string;
  readonly to?: string;
}

export const editContent = object({ ...header, kind: oneOf('edit'), target: contentId, text: str(MAX_TEXT_LENGTH, /^[\s\S]+$/) }, { group: groupId, to: conversationId });
