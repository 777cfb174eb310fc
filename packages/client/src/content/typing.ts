/** Typing started or stopped: ephemeral, shown only from contacts. */
import { groupId, object, oneOf } from '@parley/wire';
import { header } from './fields.ts';

export interface TypingContent {
  readonly kind: 'typing';
  readonly typing: 'started' | 'stopped';
  readonly group?: string;
}

export const typingContent = object({ ...header, kind: oneOf('typing'), typing: oneOf('started', 'stopped') }, { group: groupId });
