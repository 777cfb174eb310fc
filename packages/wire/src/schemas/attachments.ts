/**
 * Attachments: encrypted files in the server's blob store. A device reserves an
 * upload of an exact size, sends it in chunks (each at the offset the server has
 * committed, so a cut upload resumes where it stopped), and the recipients, who
 * learn the attachment id inside an end-to-end encrypted message, download it
 * (with byte ranges, so a cut download resumes too). The server sees only opaque
 * ciphertext and its size; names, types and keys travel inside the message.
 *
 * Uploads are authenticated and belong to the device's account; downloads need no
 * credentials: the id (192 random bits) is the capability, as Signal's CDN keys
 * are, so the server does not learn which account fetches which file.
 */
import { type Decoder, int, invalid, object, str } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { timestampMs } from './common.ts';

/** Attachment ids: 24 random bytes chosen by the server, base64url without padding. */
export const ATTACHMENT_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;
export const attachmentId: Decoder<string> = str(32, ATTACHMENT_ID_PATTERN);

const blobSize = int(1, LIMITS.attachmentSizeCap);

/** `POST /v1/attachments`: reserve an upload of exactly `size` bytes (ciphertext). */
export const createAttachmentRequest = object({ size: blobSize });
export type CreateAttachmentRequest = ReturnType<typeof createAttachmentRequest>;

/**
 * An upload's state: the answer to `POST /v1/attachments`, `GET /v1/attachments/:id/upload`
 * and every chunk. `committed` bytes are durable; the next chunk goes at that offset and
 * holds at most `chunkSize` bytes. `expiresAt`: until it is finished, when the upload is
 * abandoned; once finished (`committed === size`), when the blob is deleted.
 */
export const attachmentUploadResponse = object({
  attachmentId,
  size: blobSize,
  committed: int(0, LIMITS.attachmentSizeCap),
  chunkSize: blobSize,
  expiresAt: timestampMs,
});
export type AttachmentUpload = ReturnType<typeof attachmentUploadResponse>;

/** A decimal integer in a URL or header: digits only, no sign, no leading zeros, at most the size cap. */
const decimal: Decoder<number> = (v, p) => {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v)) invalid(p, 'expected a decimal integer');
  const n = Number(v);
  if (n > LIMITS.attachmentSizeCap) invalid(p, `expected at most ${LIMITS.attachmentSizeCap}`);
  return n;
};

/** `PUT /v1/attachments/:id?offset=N`: the query string (one `offset`, nothing else). */
export const chunkQuery = object({ offset: decimal });

/** A `Range` request header: one range, `bytes=start-`, `bytes=start-end` (inclusive) or the last `bytes=-n`. */
export type ByteRange = { readonly start: number; readonly end?: number } | { readonly suffix: number };

export const byteRange: Decoder<ByteRange> = (v, p) => {
  if (typeof v !== 'string' || v.length > 64) invalid(p, 'expected a Range of one byte range');
  const m = /^bytes=([0-9]*)-([0-9]*)$/.exec(v);
  if (!m || (m[1] === '' && m[2] === '')) invalid(p, 'expected bytes=start-end, bytes=start- or bytes=-length');
  if (m[1] === '') {
    const suffix = decimal(m[2], p);
    if (suffix === 0) invalid(p, 'a suffix range needs a length of at least 1');
    return { suffix };
  }
  const start = decimal(m[1], p);
  if (m[2] === '') return { start };
  const end = decimal(m[2], p);
  if (end < start) invalid(p, 'the range ends before it starts');
  return { start, end };
};

/** The `Content-Range` of a 206 answer: `bytes start-end/size` (end inclusive, within size). */
export const contentRange: Decoder<{ readonly start: number; readonly end: number; readonly size: number }> = (v, p) => {
  if (typeof v !== 'string' || v.length > 64) invalid(p, 'expected a Content-Range');
  const m = /^bytes ([0-9]+)-([0-9]+)\/([0-9]+)$/.exec(v);
  if (!m) invalid(p, 'expected bytes start-end/size');
  const [start, end, size] = [decimal(m[1], p), decimal(m[2], p), decimal(m[3], p)];
  if (end < start || end >= size) invalid(p, 'the range is not inside the file');
  return { start, end, size };
};
