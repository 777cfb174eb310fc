import { describe, expect, it } from 'vitest';
import { duration, timeAgo } from './time.ts';

describe('time', () => {
  it('writes durations', () => {
    expect(duration(7)).toBe('0:07');
    expect(duration(125)).toBe('2:05');
    expect(duration(3723)).toBe('1:02:03');
  });

  it('says how long ago, in words', () => {
    const now = Date.UTC(2026, 11, 3, 12, 0, 0);
    expect(timeAgo(now - 10_000, now)).toBe('just now');
    expect(timeAgo(now + 5_000, now)).toBe('just now');
    expect(timeAgo(now - 60_000, now)).toBe('1 minute ago');
    expect(timeAgo(now - 5 * 60_000, now)).toBe('5 minutes ago');
    expect(timeAgo(now - 3 * 3600_000, now)).toBe('3 hours ago');
    expect(timeAgo(now - 30 * 3600_000, now)).toBe('yesterday');
    expect(timeAgo(now - 10 * 86400_000, now)).toMatch(/2026/);
  });
});
