/**
 * How the app shows an attachment, decided from what the sender said about it: an
 * image (shown inline, only for types every browser decodes and none that can
 * carry script: no SVG), a voice note, a video (played inline), or a file card. Sizes as people read them.
 * Pure: no DOM.
 */
import type { AttachmentPointer } from '@parley/client';

export type AttachmentKind = 'image' | 'voice' | 'video' | 'file';

/** Image types shown inline; anything else (SVG, TIFF, HEIC...) is a file card. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']);

/** Audio types the voice-note player plays; a voice note of another type is a file card. */
const VOICE_TYPES: ReadonlySet<string> = new Set(['audio/webm', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'audio/wav', 'audio/aac']);

/** Video types the player plays inline; other videos are file cards. */
const VIDEO_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'video/webm', 'video/ogg']);

export function attachmentKind(a: Pick<AttachmentPointer, 'contentType' | 'voiceNote'>): AttachmentKind {
  if (INLINE_IMAGE_TYPES.has(a.contentType)) return 'image';
  if (a.voiceNote && VOICE_TYPES.has(a.contentType)) return 'voice';
  if (VIDEO_TYPES.has(a.contentType)) return 'video';
  return 'file';
}

/** What a person calls it: "Photo", "Voice message", "Video", "File". */
export function kindName(kind: AttachmentKind): string {
  return kind === 'image' ? 'Photo' : kind === 'voice' ? 'Voice message' : kind === 'video' ? 'Video' : 'File';
}

/** "512 B", "1.5 KB", "12 MB" (the SDK's wording, shared with the CLI). */
export { formatFileSize as fileSize } from '@parley/client';

/** "42%" of `done` out of `total` bytes (0% for an empty total). */
export function percent(done: number, total: number): number {
  if (total <= 0) return 100;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/**
 * The content type to send for a file the browser picked: its own type when it is
 * one the SDK accepts (lowercase `type/subtype`, no parameters), else a guess from
 * common extensions, else application/octet-stream.
 */
export function contentTypeOf(file: { readonly type: string; readonly name: string }): string {
  const t = file.type.toLowerCase().split(';')[0]!.trim();
  if (/^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/.test(t)) return t;
  const ext = /\.([a-z0-9]{1,8})$/i.exec(file.name)?.[1]?.toLowerCase();
  const byExt: Record<string, string> = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf', mp4: 'video/mp4', webm: 'video/webm', txt: 'text/plain', zip: 'application/zip' };
  return (ext && byExt[ext]) ?? 'application/octet-stream';
}

/** "1:05" for a voice note's length. */
export function voiceLength(ms: number | undefined): string {
  const s = Math.round((ms ?? 0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The icon shown for a kind (in file cards, quotes and the conversation list). */
export function kindIcon(kind: AttachmentKind): string {
  return kind === 'image' ? '📷' : kind === 'voice' ? '🎤' : kind === 'video' ? '🎬' : '📄';
}
