import { describe, expect, it } from 'vitest';
import { ALL_EMOJI, EMOJI, insertAt, searchEmoji } from './emoji-data.ts';

describe('emoji data', () => {
  it('has no duplicates, and every entry a name', () => {
    expect(new Set(ALL_EMOJI.map(([e]) => e)).size).toBe(ALL_EMOJI.length);
    expect(new Set(ALL_EMOJI.map(([, n]) => n)).size).toBe(ALL_EMOJI.length);
    for (const c of EMOJI) expect(c.emoji.length).toBeGreaterThan(0);
    expect(ALL_EMOJI.every(([e, n]) => e.length > 0 && /^[a-z0-9 '\-OK]+$/.test(n))).toBe(true);
  });

  it('search matches every word of the query in the name', () => {
    expect(searchEmoji('')).toBe(ALL_EMOJI);
    expect(searchEmoji('THUMBS').map(([e]) => e)).toEqual(['👍', '👎']);
    expect(searchEmoji('heart red').map(([e]) => e)).toEqual(['❤️']);
    expect(searchEmoji('no such emoji')).toEqual([]);
  });

  it('inserts at the caret or over the selection', () => {
    expect(insertAt('hello', '👋', 5, 5)).toEqual({ text: 'hello👋', caret: 7 });
    expect(insertAt('hello world', '🌍', 6, 11)).toEqual({ text: 'hello 🌍', caret: 8 });
    expect(insertAt('', '🙂', 3, 9)).toEqual({ text: '🙂', caret: 2 });
  });
});
