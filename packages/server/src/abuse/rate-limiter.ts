/**
 * Owns counting events per key (an account, a network address, a pair of them)
 * in fixed windows, and refusing the ones over a limit with RATE_LIMITED and how
 * long to wait. It does not own which limits exist (abuse/policy.ts) or where
 * they are checked (each plugin).
 *
 * Windows are aligned to the clock (every key's window starts at a multiple of
 * `windowMs`), so the whole table is dropped when a window ends and memory is
 * bounded by the keys seen in one window. Why not evict to make room: forgetting a
 * key resets its counter, so an attacker who can make many keys (free accounts,
 * addresses) could reset anyone's. Past `maxKeys` in one window, new keys are
 * refused until the window ends (fail closed) while known keys keep counting.
 */
import { WireError } from '@parley/wire';

export interface RateLimit {
  /** Events allowed per key per window. */
  readonly limit: number;
  readonly windowMs: number;
}

/** Keys tracked per window before new keys are refused (about 100 bytes each). */
export const DEFAULT_MAX_KEYS = 1_000_000;

export class RateLimiter {
  private window = Number.NEGATIVE_INFINITY;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly spec: RateLimit,
    private readonly now: () => number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    if (!Number.isInteger(spec.limit) || spec.limit < 1) throw new RangeError(`a rate limit must be a positive integer, got ${spec.limit}`);
    if (!Number.isInteger(spec.windowMs) || spec.windowMs < 1) throw new RangeError(`a rate window must be a positive number of ms, got ${spec.windowMs}`);
  }

  /** Keys counted in the current window (for tests and metrics). */
  get size(): number {
    this.roll(this.now());
    return this.counts.size;
  }

  private roll(t: number): number {
    const w = Math.floor(t / this.spec.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.counts.clear();
    }
    return (w + 1) * this.spec.windowMs - t;
  }

  /** Counts `cost` events for `key`: 0 when allowed, else the ms until the key may try again. */
  take(key: string, cost = 1): number {
    const left = this.roll(this.now());
    const n = this.counts.get(key);
    if (n === undefined && this.counts.size >= this.maxKeys) return left;
    const next = (n ?? 0) + cost;
    // Why count refused events too: a client that keeps hammering stays refused for the whole window.
    this.counts.set(key, Math.min(next, this.spec.limit + 1));
    return next > this.spec.limit ? left : 0;
  }

  /** True when `key` is already over its limit (counts nothing). */
  over(key: string): boolean {
    this.roll(this.now());
    return (this.counts.get(key) ?? 0) > this.spec.limit;
  }

  /** Counts one event for `key`; throws RATE_LIMITED (with `retryAfter` in seconds) when over. */
  check(key: string, what: string): void {
    const wait = this.take(key);
    if (wait > 0) throw rateLimited(what, wait);
  }
}

/** RATE_LIMITED naming what was refused, with `retryAfter` (whole seconds, at least 1). */
export function rateLimited(what: string, waitMs: number): WireError {
  const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
  return new WireError('RATE_LIMITED', `${what}; try again in ${retryAfter} s`, { retryAfter });
}
