/**
 * The colour of a person's name as text (a sender's name above a group bubble):
 * their avatar colour, darkened so it reads at 4.5:1 or better on a white bubble
 * (a margin beyond the palette's own 4.7:1 with white). Pure: no DOM.
 */
import { colour } from './Avatar.tsx';

/** How much of the avatar colour is kept (the rest is black). */
const KEEP = 0.85;

export function nameColour(key: string): string {
  return darken(colour(key), KEEP);
}

/** `#rrggbb` with each channel multiplied by `keep`. */
export function darken(hex: string, keep: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  const ch = (shift: number) => Math.round(((n >> shift) & 255) * keep).toString(16).padStart(2, '0');
  return `#${ch(16)}${ch(8)}${ch(0)}`;
}
