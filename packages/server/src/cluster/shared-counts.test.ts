// Rate limits shared by the nodes of a cluster through a real (throwaway) Redis:
// two limiters with the same name on two connections (two nodes) admit about the
// limit between them, not twice it; Redis holds only hashed keys; while Redis is
// down each node counts alone and nothing fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RateLimiter } from '../abuse/rate-limiter.ts';
import { startRedis, type RedisServer } from '../testing/engines.ts';
import { RedisSharedCounts } from './shared-counts.ts';

let redis: RedisServer;
const connections: Redis[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await redis?.stop();
});

/** A node's limiter: its own Redis connection (failing at once while Redis is down, as the cluster link's does). */
function nodeLimiter(name: string, limit: number, now: () => number): RateLimiter {
  const c = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  c.on('error', () => undefined); // refused while Redis is down, on purpose
  connections.push(c);
  return new RateLimiter({ limit, windowMs: 60_000 }, now, { shared: { counts: new RedisSharedCounts(c), name } });
}

const ready = async () => {
  for (const c of connections) if (c.status !== 'ready') await new Promise((r) => c.once('ready', r));
};

describe('rate limits shared through Redis', () => {
  it('two nodes together admit the limit plus at most one per other node, where alone each would admit the limit', async () => {
    const now = () => 1_000_000;
    const [a, b, c] = [nodeLimiter('lookups', 10, now), nodeLimiter('lookups', 10, now), nodeLimiter('lookups', 10, now)];
    await ready();
    let admitted = 0;
    for (let i = 0; i < 30; i++) {
      const node = [a, b, c][i % 3]!;
      if (node.take('203.0.113.7') === 0) admitted++;
      await node.synced();
    }
    // Alone, each node would have admitted 10 (30 in all).
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(12);
    // Every node now refuses the key; another key and another limiter's name are untouched.
    for (const node of [a, b, c]) expect(node.take('203.0.113.7')).toBeGreaterThan(0);
    expect(a.take('198.51.100.1')).toBe(0);
    const other = nodeLimiter('sends', 10, now);
    await ready();
    expect(other.take('203.0.113.7')).toBe(0);
  });

  it('Redis holds hashed keys that expire with their window, never the account or address itself', async () => {
    const l = nodeLimiter('registrations', 5, () => 7 * 60_000 + 1_000);
    await ready();
    l.take('account-0123456789abcdef');
    await l.synced();
    const inspect = connections[0]!;
    const keys = await inspect.keys('parley:rate:registrations:*');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^parley:rate:registrations:7:[A-Za-z0-9_-]{22}$/);
    expect(keys[0]).not.toContain('0123456789');
    const ttl = await inspect.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(59_000 + 5_000);
  });

  it('while Redis is down each node counts alone, and the counts are shared again once it is back', async () => {
    const now = () => 2_000_000;
    const [a, b] = [nodeLimiter('uploads', 4, now), nodeLimiter('uploads', 4, now)];
    await ready();
    await redis.kill();
    let admitted = 0;
    for (let i = 0; i < 8; i++) {
      const node = i % 2 === 0 ? a : b;
      if (node.take('acct') === 0) admitted++;
      await node.synced();
    }
    // Each node alone: 4 + 4.
    expect(admitted).toBe(8);
    expect(a.take('acct')).toBeGreaterThan(0);
    await redis.start();
    await ready();
    const [c, d] = [nodeLimiter('uploads2', 4, now), nodeLimiter('uploads2', 4, now)];
    await ready();
    let after = 0;
    for (let i = 0; i < 8; i++) {
      const node = i % 2 === 0 ? c : d;
      if (node.take('acct') === 0) after++;
      await node.synced();
    }
    expect(after).toBeLessThanOrEqual(5);
  });
});
