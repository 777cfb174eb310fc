/**
 * Owns making a node's rate limiters: each named, and shared with the other nodes
 * through the cluster's counters when the node is part of one (see
 * rate-limiter.ts), local otherwise. The composition root makes one `Limiters` and
 * hands it to every plugin that limits something.
 */
import { RateLimiter, type RateLimit, type SharedCounts } from './rate-limiter.ts';

export class Limiters {
  private readonly names = new Set<string>();

  constructor(
    readonly now: () => number,
    private readonly shared?: SharedCounts,
  ) {}

  /** A limiter counting under `name`, which must be unique on the node (it names the shared counters). */
  make(name: string, spec: RateLimit): RateLimiter {
    if (this.names.has(name)) throw new Error(`two rate limiters named ${name}`);
    this.names.add(name);
    return new RateLimiter(spec, this.now, this.shared ? { shared: { counts: this.shared, name } } : {});
  }
}
