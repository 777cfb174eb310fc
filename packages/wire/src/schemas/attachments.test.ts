// The attachment endpoints' decoders (ids, upload state, the chunk offset, Range and
// Content-Range headers) and the size arithmetic clients and server share.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { attachmentCiphertextSize, MIN_PADDED_ATTACHMENT_BYTES, paddedAttachmentSize } from '../attachment-size.ts';
import { attachmentId, attachmentUploadResponse, byteRange, chunkQuery, contentRange, createAttachmentRequest } from './attachments.ts';

const ID = 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9';

function rejects(f: (v: unknown, p: string) => unknown, v: unknown): void {
  expect(() => f(v, ''), JSON.stringify(v)).toThrow(WireError);
}

/** Throws only WireError, or answers. */
function total<T>(f: (v: unknown, p: string) => T, v: unknown): T | undefined {
  try {
    return f(v, '');
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return undefined;
  }
}

describe('attachment schemas', () => {
  it('ids are 32 base64url characters and nothing else', () => {
    expect(attachmentId(ID, '')).toBe(ID);
    for (const bad of [ID.slice(1), `${ID}A`, `${ID.slice(1)}=`, `${ID.slice(2)}..`, `../${ID.slice(3)}`, `${ID.slice(1)}/`, `${ID.slice(1)}%`, ID.replace('A', 'é'), 42, null]) rejects(attachmentId, bad);
  });

  it('upload requests and answers decode with their bounds', () => {
    expect(createAttachmentRequest({ size: 1088 }, '')).toEqual({ size: 1088 });
    for (const size of [0, -1, 1.5, LIMITS.attachmentSizeCap + 1, '1088']) rejects(createAttachmentRequest, { size });
    rejects(createAttachmentRequest, { size: 5, name: 'x.jpg' });
    const up = { attachmentId: ID, size: 5000, committed: 0, chunkSize: LIMITS.attachmentChunkBytes, expiresAt: 9 };
    expect(attachmentUploadResponse(up, '')).toEqual(up);
    rejects(attachmentUploadResponse, { ...up, committed: -1 });
    rejects(attachmentUploadResponse, { ...up, attachmentId: 'short' });
  });

  it('the chunk offset is one decimal integer without sign, leading zeros or other keys', () => {
    expect(chunkQuery({ offset: '0' }, '')).toEqual({ offset: 0 });
    expect(chunkQuery({ offset: '1048576' }, '')).toEqual({ offset: 1048576 });
    for (const offset of ['', '-1', '+1', '01', '1e3', '0x10', ' 1', '1 ', String(LIMITS.attachmentSizeCap + 1), '99999999999999999', ['1', '2'], 1]) rejects(chunkQuery, { offset });
    rejects(chunkQuery, { offset: '1', extra: '2' });
    rejects(chunkQuery, {});
  });

  it('Range: one range in the three forms; anything else is BAD_REQUEST', () => {
    expect(byteRange('bytes=0-', '')).toEqual({ start: 0 });
    expect(byteRange('bytes=10-19', '')).toEqual({ start: 10, end: 19 });
    expect(byteRange('bytes=-500', '')).toEqual({ suffix: 500 });
    for (const bad of ['bytes=-', 'bytes=5-4', 'bytes=-0', 'bytes=0-1,5-6', 'items=0-1', 'bytes = 0-1', 'bytes=01-2', 'bytes=0-1 ', `bytes=0-${'9'.repeat(70)}`, 7, undefined]) rejects(byteRange, bad);
  });

  it('Content-Range: start-end/size with the range inside the file', () => {
    expect(contentRange('bytes 0-9/10', '')).toEqual({ start: 0, end: 9, size: 10 });
    for (const bad of ['bytes 0-10/10', 'bytes 5-4/10', 'bytes */10', 'bytes 0-9/*', 'bytes 0-9', 9]) rejects(contentRange, bad);
  });

  it('property: the header and query decoders answer or throw WireError for any string, and what they accept is what they print', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^bytes=[0-9]{0,18}-[0-9]{0,18}$/), fc.stringMatching(/^bytes [0-9]{1,12}-[0-9]{1,12}\/[0-9]{1,12}$/)), (s) => {
        const r = total(byteRange, s);
        if (r && 'suffix' in r) expect(s).toBe(`bytes=-${r.suffix}`);
        else if (r) expect(s).toBe(`bytes=${r.start}-${r.end ?? ''}`);
        const c = total(contentRange, s);
        if (c) expect(s).toBe(`bytes ${c.start}-${c.end}/${c.size}`);
        const q = total(chunkQuery, { offset: s });
        if (q) expect(String(q.offset)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the schemas throw only WireError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const all: Array<(v: unknown, p: string) => unknown> = [attachmentId, createAttachmentRequest, attachmentUploadResponse, chunkQuery, byteRange, contentRange];
        for (const d of all) total(d, v);
      }),
      { numRuns: 500 },
    );
  });
});

describe('attachment sizes', () => {
  it('pads to at least 1 KiB, then to one of 16 sizes per doubling; the ciphertext adds IV, a PKCS#7 block and the MAC', () => {
    expect(paddedAttachmentSize(0)).toBe(MIN_PADDED_ATTACHMENT_BYTES);
    expect(paddedAttachmentSize(1024)).toBe(1024);
    expect(paddedAttachmentSize(1025)).toBe(1088);
    expect(paddedAttachmentSize(100 * 1024 * 1024)).toBe(100 * 1024 * 1024);
    expect(paddedAttachmentSize(100 * 1024 * 1024 + 1)).toBe(104 * 1024 * 1024);
    expect(attachmentCiphertextSize(0)).toBe(16 + 1024 + 16 + 32);
    expect(() => paddedAttachmentSize(-1)).toThrow(RangeError);
    expect(() => paddedAttachmentSize(1.5)).toThrow(RangeError);
  });

  it('property: padding never shrinks, adds at most 6.25% past 1 KiB, keeps order, and leaves AES blocks whole', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: LIMITS.attachmentSizeCap }), fc.integer({ min: 0, max: LIMITS.attachmentSizeCap }), (a, b) => {
        const pa = paddedAttachmentSize(a);
        expect(pa).toBeGreaterThanOrEqual(a);
        if (a > MIN_PADDED_ATTACHMENT_BYTES) expect(pa - a).toBeLessThanOrEqual(a / 16);
        expect(pa % 16).toBe(0);
        if (a <= b) expect(pa).toBeLessThanOrEqual(paddedAttachmentSize(b));
        expect(attachmentCiphertextSize(a)).toBe(pa + 64);
      }),
      { numRuns: 2000 },
    );
  });
});
