import { describe, expect, it } from 'vitest';
import { MAX_RENDERED_ROWS, rowOffsets, visibleRange } from './virtual-window.ts';

describe('virtual window', () => {
  it('offsets add up the heights', () => {
    expect(Array.from(rowOffsets(3, (i) => [10, 20, 30][i]!))).toEqual([0, 10, 30, 60]);
    expect(Array.from(rowOffsets(0, () => 1))).toEqual([0]);
  });

  it('renders the rows that overlap the viewport and the overscan', () => {
    const o = rowOffsets(100, () => 50);
    expect(visibleRange(o, 0, 200, 0)).toEqual({ start: 0, end: 4 });
    expect(visibleRange(o, 60, 200, 0)).toEqual({ start: 1, end: 6 });
    expect(visibleRange(o, 1000, 200, 100)).toEqual({ start: 18, end: 26 });
    // At the bottom.
    expect(visibleRange(o, 4800, 200, 100)).toEqual({ start: 94, end: 100 });
  });

  it('is bounded and fast for 10,000 rows of mixed heights', () => {
    const o = rowOffsets(10_000, (i) => (i % 7 === 0 ? 120 : 48));
    const total = o[10_000]!;
    const t0 = performance.now();
    for (let top = 0; top < total; top += 97) {
      const { start, end } = visibleRange(o, top, 700, 400);
      expect(end - start).toBeGreaterThan(0);
      expect(end - start).toBeLessThanOrEqual(MAX_RENDERED_ROWS);
      expect(o[start]!).toBeLessThanOrEqual(Math.max(0, top - 400));
      expect(o[end]! >= Math.min(total, top + 700 + 400)).toBe(true);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('never renders more than MAX_RENDERED_ROWS, even with tiny rows', () => {
    const o = rowOffsets(10_000, () => 1);
    const { start, end } = visibleRange(o, 0, 5000, 0);
    expect([start, end]).toEqual([0, MAX_RENDERED_ROWS]);
  });

  it('handles an empty list and a viewport past the end', () => {
    expect(visibleRange(rowOffsets(0, () => 1), 0, 100, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(rowOffsets(3, () => 10), 500, 100, 0)).toEqual({ start: 2, end: 3 });
  });
});
