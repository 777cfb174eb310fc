import { describe, expect, it } from 'vitest';
import { chipLabel, reactionChips } from './summary.ts';

const names: Record<string, string> = { a: 'ana', b: 'ben', c: 'cy' };
const nameOf = (id: string) => names[id] ?? 'someone';

describe('reaction chips', () => {
  it('one chip per emoji in first-seen order, counted, ours first as "You" and marked', () => {
    const chips = reactionChips(
      [
        { author: 'a', emoji: '👍', ts: 1 },
        { author: 'b', emoji: '❤️', ts: 2 },
        { author: 'me', emoji: '👍', ts: 3 },
        { author: 'c', emoji: '👍', ts: 4 },
      ],
      'me',
      nameOf,
    );
    expect(chips).toEqual([
      { emoji: '👍', count: 3, names: ['You', 'ana', 'cy'], mine: true },
      { emoji: '❤️', count: 1, names: ['ben'], mine: false },
    ]);
    expect(chipLabel(chips[0]!)).toBe('👍 3: You, ana and cy. Select to remove yours');
    expect(chipLabel(chips[1]!)).toBe('❤️ 1: ben');
  });

  it('no reactions, no chips', () => {
    expect(reactionChips(undefined, 'me', nameOf)).toEqual([]);
    expect(reactionChips([], 'me', nameOf)).toEqual([]);
  });
});
