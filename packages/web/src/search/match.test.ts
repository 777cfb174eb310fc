import { describe, expect, it } from 'vitest';
import { matchRanges, snippet } from './match.ts';

describe('search matches', () => {
  it('finds every match in any case', () => {
    expect(matchRanges('Pizza, PIZZA and pizzas', 'pizza')).toEqual([
      [0, 5],
      [7, 12],
      [17, 22],
    ]);
    expect(matchRanges('nothing here', 'pizza')).toEqual([]);
    expect(matchRanges('anything', '')).toEqual([]);
  });

  it('a snippet around the first match, cut with ellipses, on one line', () => {
    expect(snippet('Shall we\nget pizza tonight?', 'PIZZA')).toEqual({ before: 'Shall we get ', match: 'pizza', after: ' tonight?' });
    const long = `${'a'.repeat(50)} pizza ${'b'.repeat(50)}`;
    const s = snippet(long, 'pizza', 10);
    expect(s).toEqual({ before: `…${'a'.repeat(9)} `, match: 'pizza', after: ` ${'b'.repeat(9)}…` });
    expect(snippet('no match', 'x')).toEqual({ before: '', match: '', after: 'no match' });
  });
});
