/**
 * A file name an attacker chose, made safe to save under: one path segment (no
 * directories, no "." or ".."), no control or bidirectional-override characters,
 * nothing Windows refuses (reserved names, `<>:"|?*`, trailing dots), not hidden
 * (no leading dot), at most MAX_SAFE_NAME_BYTES of UTF-8 with its extension kept.
 * Used before anything is written under a sender's name (the CLI's --save-dir; a
 * browser's download name).
 */

export const MAX_SAFE_NAME_BYTES = 200;
const FALLBACK = 'attachment';
// C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, BOM.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
function cut(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (utf8Length(out + ch) > max) break;
    out += ch;
  }
  return out;
}

export function safeFileName(name: string): string {
  // The last segment, whichever separator the sender used.
  let s = name.replace(INVISIBLE, '');
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  s = s.replace(/[<>:"|?*]/g, '_').trim();
  s = s.replace(/^[.\s]+/, '').replace(/[.\s]+$/, '');
  if (!s) return FALLBACK;
  const dot = s.lastIndexOf('.');
  let stem = dot > 0 ? s.slice(0, dot) : s;
  let ext = dot > 0 ? s.slice(dot) : '';
  if (WINDOWS_RESERVED.test(stem.split('.')[0]!)) stem = `_${stem}`;
  if (utf8Length(ext) > 20) {
    stem += ext;
    ext = '';
  }
  stem = cut(stem, MAX_SAFE_NAME_BYTES - utf8Length(ext)).replace(/[.\s]+$/, '');
  return stem ? stem + ext : FALLBACK + ext;
}

/** The n-th alternative of a name that is taken: "photo (1).jpg", "photo (2).jpg", ... */
export function numberedFileName(safe: string, n: number): string {
  if (n === 0) return safe;
  const dot = safe.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [safe.slice(0, dot), safe.slice(dot)] : [safe, ''];
  return `${cut(stem, MAX_SAFE_NAME_BYTES - utf8Length(ext) - 8)} (${n})${ext}`;
}
