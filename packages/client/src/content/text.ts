/** A chat message: text, in a direct chat or (with `group`) in a group. */
import { groupId, object, oneOf, str } from '@parley/wire';
import { header, MAX_TEXT_LENGTH } from './fields.ts';

export interface TextContent {
  readonly kind: 'text';
  readonly text: string;
  /** The group it was written in; must match the envelope's group. */
  readonly group?: string;
}

export const textContent = object({ ...header, kind: oneOf('text'), text: str(MAX_TEXT_LENGTH) }, { group: groupId });
