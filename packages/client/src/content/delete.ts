/**
 * Delete for everyone: the sender's own message becomes a "This message was
 * deleted" tombstone on every device of every member (within the change window).
 * `to` is only for our own other devices.
 */
import { groupId, object, oneOf } from '@parley/wire';
import { contentId, header } from './fields.ts';
import { conversationId } from './fields.ts';

export interface DeleteContent {
  readonly kind: 'delete';
  /** The content id of the sender's message that is deleted. */
  readonly target: string;
  readonly group?: string;
  readonly to?: string;
}

export const deleteContent = object({ ...header, kind: oneOf('delete'), target: contentId }, { group: groupId, to: conversationId });
