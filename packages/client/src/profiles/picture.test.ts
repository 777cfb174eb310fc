import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pictureType } from './picture.ts';

const bytes = (...parts: Array<string | number[]>) => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));

describe('pictureType', () => {
  it('recognises PNG, JPEG, GIF and WebP by their first bytes', () => {
    expect(pictureType(bytes([0x89], 'PNG\r\n\x1a\n', [0, 0]))).toBe('image/png');
    expect(pictureType(bytes([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(pictureType(bytes('GIF89a', [1]))).toBe('image/gif');
    expect(pictureType(bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 '))).toBe('image/webp');
    expect(pictureType(bytes('<svg onload=alert(1)>'))).toBeUndefined();
    expect(pictureType(new Uint8Array())).toBeUndefined();
  });

  it('never throws, and answers one of the four types or nothing', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), (b) => [undefined, 'image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(pictureType(b))));
  });
});
