/**
 * A reply's quote: which message it answers (the quoted message's content id and
 * author) and a short preview of its text, so a reply reads right even on a device
 * that never had the original. It travels inside the encrypted text content; the
 * preview is the sender's claim, shown as a quote, never trusted as the original.
 */
import { accountId, object, str } from '@parley/wire';
import { contentId } from './fields.ts';

/** The preview is cut to this many characters by the sender (and refused longer). */
export const MAX_QUOTE_LENGTH = 200;

export interface Quote {
  /** The quoted message's content id. */
  readonly id: string;
  /** The quoted message's author (account id). */
  readonly author: string;
  /** A short preview of its text (possibly empty, e.g. a file without caption). */
  readonly text: string;
}

export const quote = object({ id: contentId, author: accountId, text: str(MAX_QUOTE_LENGTH) });
