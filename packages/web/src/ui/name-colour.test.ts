import { describe, expect, it } from 'vitest';
import { COLOURS } from './Avatar.tsx';
import { darken, nameColour } from './name-colour.ts';

/** WCAG 2 contrast of `hex` against white. */
function contrastOnWhite(hex: string): number {
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const n = Number.parseInt(hex.slice(1), 16);
  const [r, g, b] = [16, 8, 0].map((s) => lin(((n >> s) & 255) / 255));
  const l = 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  return 1.05 / (l + 0.05);
}

describe('name colours', () => {
  it('darkens channel by channel', () => {
    expect(darken('#ffffff', 0.5)).toBe('#808080');
    expect(darken('#0f8a6a', 1)).toBe('#0f8a6a');
  });

  it('every avatar colour carries white initials at 4.5:1 (one at 4.3:1 made axe fail for some account ids)', () => {
    for (const c of COLOURS) expect(contrastOnWhite(c)).toBeGreaterThanOrEqual(4.5);
  });

  it('every name colour reads at 4.5:1 on white', () => {
    for (let i = 0; i < 200; i++) expect(contrastOnWhite(nameColour(`direct:account-${i}`))).toBeGreaterThanOrEqual(4.5);
  });
});
