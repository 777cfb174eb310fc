/**
 * What travels inside the encryption: a small JSON `Content`, padded Signal-style
 * (0x80 then zeros to a multiple of 160 bytes) so lengths leak little. Each kind
 * has one strict decoder in its own module (unknown fields, wrong types and
 * oversized values are rejected); this module only unpads, parses and picks the
 * decoder by kind. Anything malformed is a ContentError, nothing else.
 */
import { base64Encode, type Decoder, WireError } from '@parley/wire';
import { callContent, type CallContent } from './call.ts';
import { deleteContent, type DeleteContent } from './delete.ts';
import { editContent, type EditContent } from './edit.ts';
import { groupKeysContent, type GroupKeysContent } from './group-keys.ts';
import { profileKeyContent, type ProfileKeyContent } from './profile-key.ts';
import { reactionContent, type ReactionContent } from './reaction.ts';
import { receiptContent, type ReceiptContent } from './receipt.ts';
import { retryContent, type RetryContent } from './retry.ts';
import { syncContent, type SyncContent } from './sync.ts';
import { textContent, type TextContent } from './text.ts';
import { timerContent, type TimerContent } from './timer.ts';
import { typingContent, type TypingContent } from './typing.ts';

/** The header every content has: format version, the sender's id for it, the sender's clock (ms). */
export interface ContentHeader {
  readonly v: 1;
  readonly id: string;
  readonly ts: number;
}
export type Content = ContentHeader & (TextContent | TypingContent | CallContent | ReceiptContent | GroupKeysContent | SyncContent | RetryContent | ReactionContent | EditContent | DeleteContent | TimerContent | ProfileKeyContent);
export type ContentKind = Content['kind'];

const PAD_BLOCK = 160;
export const MAX_CONTENT_BYTES = 64 * 1024;

export class ContentError extends Error {
  override readonly name = 'ContentError';
  readonly code = 'INVALID_CONTENT';
}

const DECODERS: { readonly [K in ContentKind]: Decoder<unknown> } = {
  text: textContent,
  typing: typingContent,
  call: callContent,
  receipt: receiptContent,
  'group-keys': groupKeysContent,
  sync: syncContent,
  retry: retryContent,
  reaction: reactionContent,
  edit: editContent,
  delete: deleteContent,
  timer: timerContent,
  'profile-key': profileKeyContent,
};

/** Byte fields travel as base64 strings inside the JSON. */
function toJson(c: Content): string {
  return JSON.stringify(c, (_k, v) => (v instanceof Uint8Array ? base64Encode(v) : v));
}

export function encodeContent(c: Content): Uint8Array {
  const json = new TextEncoder().encode(toJson(c));
  if (json.length + 1 > MAX_CONTENT_BYTES) throw new ContentError(`content larger than ${MAX_CONTENT_BYTES} bytes`);
  const padded = new Uint8Array(Math.ceil((json.length + 1) / PAD_BLOCK) * PAD_BLOCK);
  padded.set(json);
  padded[json.length] = 0x80;
  return padded;
}

export function decodeContent(bytes: Uint8Array): Content {
  if (bytes.length > MAX_CONTENT_BYTES) throw new ContentError('content too large');
  let end = bytes.length - 1;
  while (end >= 0 && bytes[end] === 0) end--;
  if (end < 0 || bytes[end] !== 0x80) throw new ContentError('bad padding');
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end)));
  } catch {
    throw new ContentError('content is not valid JSON');
  }
  const kind = typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(DECODERS, kind)) throw new ContentError('unknown content kind');
  try {
    return DECODERS[kind as ContentKind](v, 'content') as Content;
  } catch (e) {
    if (e instanceof WireError) throw new ContentError(e.message);
    throw e;
  }
}
