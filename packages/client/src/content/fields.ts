/** Field decoders shared by the content codecs: the header every content carries, ids and bounds. */
import { int, str } from '@parley/wire';

/** Content ids: UUIDs (or other hex-and-dash ids) chosen by the sender. */
export const contentId = str(64, /^[0-9a-f-]{8,64}$/);
export const timestamp = int(0, Number.MAX_SAFE_INTEGER);
export const version = int(1, 1);
export const MAX_TEXT_LENGTH = 16 * 1024;
/** Ids a receipt or read sync may name in one message. */
export const MAX_IDS_PER_MESSAGE = 100;

/** The fields every content kind has, for `object({...header, ...})`. */
export const header = { v: version, id: contentId, ts: timestamp };
/** `direct:<accountId>` or `group:<groupId>`. */
export const conversationId = str(43, /^(direct:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|group:[0-9a-f]{32})$/);
