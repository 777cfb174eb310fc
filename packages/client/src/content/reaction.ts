/**
 * A reaction: one emoji per person per message. A new reaction from the same
 * person replaces theirs; `remove` takes it away. It names its message by author
 * and content id. `to` is only for our own other devices (the direct chat it was
 * sent in) and is ignored from anyone else.
 */
import { accountId, bool, groupId, object, oneOf, str } from '@parley/wire';
import { contentId, header } from './fields.ts';
import { conversationId } from './fields.ts';

/** Emoji are short: the longest ZWJ sequences and flags fit in 32 UTF-16 units. */
export const MAX_EMOJI_LENGTH = 32;
/**
 * One emoji (or ZWJ sequence, flag, keycap, skin tone): pictographs, regional indicators,
 * their components and joiners only. Letters, spaces, markup and control characters are refused.
 */
export const EMOJI_PATTERN = /^(?=[\s\S]*[\p{Extended_Pictographic}\p{Regional_Indicator}])[\p{Extended_Pictographic}\p{Emoji_Component}\p{Emoji_Modifier}\u200d\ufe0f\u20e3]+$/u;

export interface ReactionContent {
  readonly kind: 'reaction';
  /** The message reacted to: its author (account id) and content id. */
  readonly target: { readonly author: string; readonly id: string };
  readonly emoji: string;
  /** Takes our reaction away (`emoji` names the one removed). */
  readonly remove?: boolean;
  readonly group?: string;
  /** To our own devices only: the direct chat it belongs to. */
  readonly to?: string;
}

export const reactionTarget = object({ author: accountId, id: contentId });

export const reactionContent = object(
  { ...header, kind: oneOf('reaction'), target: reactionTarget, emoji: str(MAX_EMOJI_LENGTH, EMOJI_PATTERN) },
  { remove: bool, group: groupId, to: conversationId },
);
