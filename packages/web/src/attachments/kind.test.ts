import { describe, expect, it } from 'vitest';
import { attachmentKind, contentTypeOf, fileSize, percent, voiceLength } from './kind.ts';

describe('attachment kinds', () => {
  it('shows common raster images inline, never SVG; voice notes only of playable types; the rest as files', () => {
    expect(attachmentKind({ contentType: 'image/png' })).toBe('image');
    expect(attachmentKind({ contentType: 'image/jpeg' })).toBe('image');
    expect(attachmentKind({ contentType: 'image/svg+xml' })).toBe('file');
    expect(attachmentKind({ contentType: 'audio/webm', voiceNote: true })).toBe('voice');
    expect(attachmentKind({ contentType: 'audio/webm' })).toBe('file');
    expect(attachmentKind({ contentType: 'text/html', voiceNote: true })).toBe('file');
    expect(attachmentKind({ contentType: 'application/pdf' })).toBe('file');
    expect(attachmentKind({ contentType: 'video/mp4' })).toBe('video');
    expect(attachmentKind({ contentType: 'video/webm' })).toBe('video');
    expect(attachmentKind({ contentType: 'video/x-msvideo' })).toBe('file');
  });

  it('writes sizes as file managers do', () => {
    expect(fileSize(0)).toBe('0 B');
    expect(fileSize(1023)).toBe('1023 B');
    expect(fileSize(1024)).toBe('1 KB');
    expect(fileSize(1536)).toBe('1.5 KB');
    expect(fileSize(300 * 1024)).toBe('300 KB');
    expect(fileSize(3 * 1024 * 1024 + 100)).toBe('3 MB');
    expect(fileSize(100 * 1024 * 1024)).toBe('100 MB');
    expect(fileSize(5 * 1024 ** 3)).toBe('5 GB');
  });

  it('progress in whole percent, within 0..100', () => {
    expect(percent(0, 200)).toBe(0);
    expect(percent(199, 200)).toBe(99);
    expect(percent(200, 200)).toBe(100);
    expect(percent(300, 200)).toBe(100);
    expect(percent(0, 0)).toBe(100);
  });

  it("sends the browser's content type when the SDK accepts it, else a guess from the extension, else octet-stream", () => {
    expect(contentTypeOf({ type: 'image/PNG', name: 'a.png' })).toBe('image/png');
    expect(contentTypeOf({ type: 'audio/webm;codecs=opus', name: 'voice' })).toBe('audio/webm');
    expect(contentTypeOf({ type: '', name: 'report.PDF' })).toBe('application/pdf');
    expect(contentTypeOf({ type: '', name: 'noext' })).toBe('application/octet-stream');
    expect(contentTypeOf({ type: 'bogus', name: 'x.bin' })).toBe('application/octet-stream');
  });

  it('voice-note lengths', () => {
    expect(voiceLength(undefined)).toBe('0:00');
    expect(voiceLength(4_400)).toBe('0:04');
    expect(voiceLength(65_000)).toBe('1:05');
  });
});
