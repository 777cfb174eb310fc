/**
 * A retry request: "I could not decrypt what you sent at `timestamp`" (in `group`,
 * or directly). The sender re-sends it over a fresh 1:1 session, with its sender key
 * first for a group message, so nobody is left with "unable to decrypt".
 */
import { groupId, object, oneOf } from '@parley/wire';
import { header, timestamp } from './fields.ts';

export interface RetryContent {
  readonly kind: 'retry';
  readonly timestamp: number;
  readonly group?: string;
}

export const retryContent = object({ ...header, kind: oneOf('retry'), timestamp }, { group: groupId });
