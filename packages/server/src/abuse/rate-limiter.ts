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
 *
 * In a cluster a limiter is shared: every event is also added to a counter all
 * nodes share (`SharedCounts`, Redis), under the limiter's name, the window and a
 * hash of the key, and the cluster-wide total that comes back becomes this node's
 * count when it is higher. The decision itself stays local and synchronous (no
 * round trip on the request path): a node learns the other nodes' events with the
 * answer to its own next one, so N nodes together admit at most about one event
 * per node over the limit instead of N times the limit. Without Redis each node
 * counts alone, as on a single node.
 */
import { createHash } from 'node:crypto';
import { WireError } from '@parley/wire';

/** Counters every node of a cluster shares. */
export interface SharedCounts {
  /** Adds `cost` to `key` (created expiring after `ttlMs`) and answers the total; rejects while the counters cannot be reached. */
  add(key: string, cost: number, ttlMs: number): Promise<number>;
}

export interface RateLimiterOptions {
  /** Keys tracked per window before new keys are refused (default DEFAULT_MAX_KEYS). */
  readonly maxKeys?: number;
  /** Counts shared with the other nodes, under this limiter's name (unique per limiter). */
  readonly shared?: { readonly counts: SharedCounts; readonly name: string };
}

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
  private readonly maxKeys: number;
  /** Shares on their way to the cluster's counters. */
  private readonly sharing = new Set<Promise<void>>();

  constructor(
    private readonly spec: RateLimit,
    private readonly now: () => number,
    private readonly options: RateLimiterOptions = {},
  ) {
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
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
    if (this.options.shared) this.share(key, cost, left);
    return next > this.spec.limit ? left : 0;
  }

  /** Adds the event to the cluster's count; its total, when higher, becomes ours. */
  private share(key: string, cost: number, left: number): void {
    const { counts, name } = this.options.shared!;
    const window = this.window;
    // Why hashed: Redis then holds no account ids or client addresses, only what they count.
    const id = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    const p = counts
      .add(`parley:rate:${name}:${window}:${id}`, cost, left + 5_000)
      .then(
        (total) => {
          if (this.window !== window) return;
          const n = this.counts.get(key);
          if (n !== undefined && total > n) this.counts.set(key, Math.min(total, this.spec.limit + 1));
        },
        () => undefined, // unreachable counters: this node counts alone until they are back
      )
      .finally(() => this.sharing.delete(p));
    this.sharing.add(p);
  }

  /** Resolves when every event counted so far has reached the cluster's counters (and their totals are known here). */
  async synced(): Promise<void> {
    while (this.sharing.size > 0) await Promise.all([...this.sharing]);
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
