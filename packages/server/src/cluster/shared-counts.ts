/**
 * Owns the rate-limit counters every node of a cluster shares, in Redis: INCRBY
 * on a key that expires with its window. Adds made in one turn of the event loop
 * go to Redis in one pipeline, and each add is answered with its key's total.
 * Redis holds nothing that matters if lost: a counter that is gone counts from
 * zero again, and while Redis is unreachable adds fail at once and each node
 * counts alone.
 */
import type { Redis } from 'ioredis';
import type { SharedCounts } from '../abuse/rate-limiter.ts';

interface Pending {
  cost: number;
  ttlMs: number;
  readonly waiters: Array<{ resolve: (total: number) => void; reject: (e: unknown) => void }>;
}

export class RedisSharedCounts implements SharedCounts {
  private pending = new Map<string, Pending>();
  private scheduled = false;

  constructor(private readonly redis: Redis) {}

  add(key: string, cost: number, ttlMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let p = this.pending.get(key);
      if (!p) this.pending.set(key, (p = { cost: 0, ttlMs, waiters: [] }));
      p.cost += cost;
      p.ttlMs = Math.max(p.ttlMs, ttlMs);
      p.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = [...this.pending];
    this.pending = new Map();
    const pipeline = this.redis.pipeline();
    for (const [key, p] of batch) pipeline.incrby(key, p.cost).pexpire(key, Math.ceil(p.ttlMs), 'NX');
    try {
      const results = await pipeline.exec();
      batch.forEach(([, p], i) => {
        const [err, total] = results?.[2 * i] ?? [new Error('no answer from Redis'), undefined];
        for (const w of p.waiters) (err ? w.reject(err) : w.resolve(Number(total)));
      });
    } catch (e) {
      for (const [, p] of batch) for (const w of p.waiters) w.reject(e);
    }
  }
}
