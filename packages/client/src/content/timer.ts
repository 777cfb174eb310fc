/**
 * Disappearing messages: a conversation's timer, set by anyone in it (0 turns it
 * off). Messages sent while it is on carry their own `expire` (text.ts), so each
 * message disappears after the time its sender chose, even if this setting came
 * late or was lost. `to` is only for our own other devices (a direct chat).
 */
import { groupId, int, object, oneOf } from '@parley/wire';
import { header } from './fields.ts';
import { conversationId } from './fields.ts';

/** The longest timer: four weeks (as Signal's). */
export const MAX_EXPIRE_SECONDS = 28 * 24 * 3600;

/** Seconds after reading (or sending) that a message is deleted; 0 is "off" for a timer, never sent on a message. */
export const expireSeconds = int(1, MAX_EXPIRE_SECONDS);

export interface TimerContent {
  readonly kind: 'timer';
  /** 0: off. */
  readonly seconds: number;
  readonly group?: string;
  readonly to?: string;
}

export const timerContent = object({ ...header, kind: oneOf('timer'), seconds: int(0, MAX_EXPIRE_SECONDS) }, { group: groupId, to: conversationId });
