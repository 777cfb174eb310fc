/**
 * What kind of picture a profile picture is, from its first bytes (PNG, JPEG, GIF,
 * WebP): apps set only these, and show a contact's only as the type it really is
 * (never as whatever a sender might claim).
 */
export type PictureType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const ascii = (b: Uint8Array, at: number, s: string) => [...s].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** The picture's type, or undefined when it is none of PNG, JPEG, GIF or WebP. */
export function pictureType(b: Uint8Array): PictureType | undefined {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 6 && (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'))) return 'image/gif';
  if (b.length >= 12 && ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  return undefined;
}
