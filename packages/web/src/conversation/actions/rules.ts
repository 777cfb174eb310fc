/**
 * Which actions a message offers, by the SDK's rules: anyone's chat message can be
 * replied to and reacted to (not a deleted one, nor in a conversation we cannot
 * write to); our own can be deleted for everyone within CHANGE_WINDOW_MS, and our
 * own text (not a file) edited within it. Any chat message, a deleted one's tombstone
 * included, can be deleted for me, wherever. Pure: no DOM.
 */
import { CHANGE_WINDOW_MS, type StoredMessage } from '@parley/client';

export interface MessageRules {
  readonly reply: boolean;
  readonly react: boolean;
  readonly edit: boolean;
  readonly delete: boolean;
  readonly deleteForMe: boolean;
}

export function messageRules(m: StoredMessage, canSend: boolean, now: number): MessageRules {
  const live = m.kind === 'text' && !m.deleted && canSend;
  const own = live && m.direction === 'out' && now - m.timestamp <= CHANGE_WINDOW_MS;
  return { reply: live, react: live, edit: own && !m.attachment, delete: own, deleteForMe: m.kind === 'text' };
}
