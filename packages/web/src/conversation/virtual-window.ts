/**
 * Which rows of a long list to render: the ones in the viewport plus some
 * overscan, from row heights that are measured once rendered and estimated
 * before. Pure arithmetic, so it is tested in Node; MessageList.tsx measures and
 * scrolls.
 */

/** `offsets[i]` is the top of row i and `offsets[count]` the height of all rows. */
export function rowOffsets(count: number, heightOf: (index: number) => number): Float64Array {
  const offsets = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + heightOf(i);
  return offsets;
}

/** Never more rows than this, whatever the heights say (a bound on the DOM if estimates are far off). */
export const MAX_RENDERED_ROWS = 120;

/**
 * The rows `[start, end)` that overlap `[top - overscan, top + height + overscan)`.
 * Binary search: fast for any length.
 */
export function visibleRange(offsets: Float64Array, top: number, height: number, overscan: number): { start: number; end: number } {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0 };
  const from = Math.max(0, top - overscan);
  const to = Math.max(from, top + height + overscan);
  // First row whose bottom is below `from`.
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! > from) hi = mid;
    else lo = mid + 1;
  }
  const start = lo;
  // First row whose top is at or below `to`.
  lo = start;
  hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! >= to) hi = mid;
    else lo = mid + 1;
  }
  const end = Math.min(Math.max(lo, start + 1), start + MAX_RENDERED_ROWS, count);
  return { start, end };
}
