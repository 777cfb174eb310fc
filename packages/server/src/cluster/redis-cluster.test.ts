// The Redis link between nodes, against a real (throwaway) Redis, with the delivery
// hub replaced by a recorder: presence is recorded and expires when its node stops
// announcing it; a wake-up reaches exactly the node holding the device; a wake-up
// that nobody receives removes the dead node's presence; unlinks and provisioning
// wake-ups reach every node; after Redis restarts, nodes announce again and resync.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { WireError } from '@parley/wire';
import type { DeliveryHub } from '../messages/delivery.ts';
import type { Router } from '../messages/router.ts';
import type { StoredEnvelope } from '../storage/storage.ts';
import { startRedis, type RedisServer } from '../testing/engines.ts';
import { until } from '../testing.ts';
import { RedisCluster } from './redis-cluster.ts';

let redis: RedisServer;
let inspect: Redis;
beforeAll(async () => {
  redis = await startRedis();
  inspect = new Redis(redis.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  inspect?.disconnect();
  await redis?.stop();
});

/** What a node's hub was asked to do. */
class RecordingHub {
  readonly held = new Set<string>();
  readonly times = new Map<string, number[]>();
  readonly notified: Array<{ device: string; envelopes?: readonly StoredEnvelope[] }> = [];
  readonly disconnected: string[] = [];
  resyncs = 0;
  connected(a: string, d: number) {
    return this.held.has(`${a}.${d}`);
  }
  notify(a: string, d: number, envelopes?: readonly StoredEnvelope[]) {
    this.notified.push({ device: `${a}.${d}`, ...(envelopes ? { envelopes } : {}) });
  }
  disconnect(a: string, d: number, e: WireError) {
    this.disconnected.push(`${a}.${d}`);
    this.codes.push(e.code);
  }
  readonly codes: string[] = [];
  devices() {
    return [...this.held].map((k) => ({ accountId: k.split('.')[0]!, deviceId: Number(k.split('.')[1]), connectedAt: this.times.get(k) ?? [1] }));
  }
  resync() {
    this.resyncs++;
  }
}

const log = { warn: () => undefined, info: () => undefined };
const links: RedisCluster[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
});

async function node(ttl = 60_000): Promise<{ link: RedisCluster; hub: RecordingHub; router: Router }> {
  const link = await RedisCluster.connect({ url: redis.url, presenceTtlMs: ttl, log });
  links.push(link);
  const hub = new RecordingHub();
  return { link, hub, router: link.router(hub as unknown as DeliveryHub) };
}

async function hold(n: { link: RedisCluster; hub: RecordingHub }, a: string, d: number, connectedAt: number[] = [1]) {
  n.hub.held.add(`${a}.${d}`);
  n.hub.times.set(`${a}.${d}`, connectedAt);
  await n.link.held(a, d, connectedAt);
}

const fields = { sourceAccountId: 's', sourceUsername: 'sam', sourceDeviceId: 1, timestamp: 5, serverTimestamp: 6, messageType: 'whisper' as const, content: new Uint8Array([1, 2, 3]), ephemeral: false };

describe('redis cluster link', () => {
  it('wakes exactly the node that holds the device, with the envelope', async () => {
    const [a, b, c] = await Promise.all([node(), node(), node()]);
    await hold(b, 'acct1', 2);
    a.router.stored({ envelopes: [{ ...fields, id: 7, destination: { accountId: 'acct1', deviceId: 2 } }, { ...fields, id: 1, destination: { accountId: 'acct1', deviceId: 3 } }] });
    await until(() => b.hub.notified.length === 1, 'b woken');
    expect(b.hub.notified[0]).toEqual({ device: 'acct1.2', envelopes: [{ ...fields, id: 7 }] });
    // A group message: one content for many devices.
    await hold(c, 'acct2', 1);
    a.router.stored({ fields, to: [{ accountId: 'acct1', deviceId: 2 }, { accountId: 'acct2', deviceId: 1 }], ids: [8, 3] });
    await until(() => b.hub.notified.length === 2 && c.hub.notified.length === 1, 'b and c woken');
    expect(c.hub.notified[0]).toEqual({ device: 'acct2.1', envelopes: [{ ...fields, id: 3 }] });
    expect(a.hub.notified).toEqual([]);
  });

  it("a node that stops announcing loses its presence by expiry; a wake-up nobody receives removes it at once", async () => {
    const a = await node();
    const dying = await node(400);
    await hold(dying, 'acct3', 1);
    expect(await inspect.hkeys('parley:presence:acct3')).toEqual([`1/${dying.link.nodeId}`]);
    // The process dies without a goodbye: its connections to Redis drop, nothing is removed.
    (dying.link as unknown as { cmd: Redis; sub: Redis }).sub.disconnect();
    (dying.link as unknown as { cmd: Redis; sub: Redis }).cmd.disconnect();
    await until(async () => (await inspect.exists('parley:presence:acct3')) === 0, 'presence expired');

    const dead = await node(60_000);
    await hold(dead, 'acct4', 1);
    (dead.link as unknown as { cmd: Redis; sub: Redis }).sub.disconnect();
    (dead.link as unknown as { cmd: Redis; sub: Redis }).cmd.disconnect();
    a.router.stored({ envelopes: [{ ...fields, id: 1, destination: { accountId: 'acct4', deviceId: 1 } }] });
    await until(async () => (await inspect.hlen('parley:presence:acct4')) === 0, 'presence removed');
  });

  it('unlinks and provisioning wake-ups reach every other node', async () => {
    const [a, b] = await Promise.all([node(), node()]);
    const woken: string[] = [];
    b.router.onProvisioned((id) => woken.push(id));
    a.router.onProvisioned(() => undefined);
    a.router.provisioned('chan1');
    a.router.disconnect('acct5', 2, new WireError('DEVICE_UNLINKED', 'unlinked'));
    a.router.disconnect('acct5', 3, new WireError('CREDENTIALS_CHANGED', 'password changed'));
    await until(() => woken.length === 1 && b.hub.disconnected.length === 2, 'b told');
    expect([woken, b.hub.disconnected, a.hub.disconnected]).toEqual([['chan1'], ['acct5.2', 'acct5.3'], ['acct5.2', 'acct5.3']]);
    // The other node closes the sockets with the same reason (a changed password is not an unlink).
    expect(b.hub.codes).toEqual(['DEVICE_UNLINKED', 'CREDENTIALS_CHANGED']);
  });

  it("lists an account's sessions held on every node, and not those of a node that died", async () => {
    const [a, b, dying] = await Promise.all([node(), node(), node()]);
    await hold(a, 'acct7', 1, [100, 300]);
    await hold(b, 'acct7', 2, [200]);
    await hold(dying, 'acct7', 3, [50]);
    await hold(b, 'acct8', 1, [999]);
    const all = [
      { deviceId: 1, connectedAt: 100 },
      { deviceId: 1, connectedAt: 300 },
      { deviceId: 2, connectedAt: 200 },
    ];
    expect(await b.router.sessions('acct7')).toEqual([...all, { deviceId: 3, connectedAt: 50 }]);
    // A connection closes on a: the value is rewritten.
    await a.link.held('acct7', 1, [300]);
    // The dying node stops without removing its presence (as on SIGKILL): its subscription goes, its fields stay.
    const internals = dying.link as unknown as { sub: { disconnect(): void }; cmd: { disconnect(): void }; announcer: NodeJS.Timeout };
    clearInterval(internals.announcer);
    internals.sub.disconnect();
    links.splice(links.indexOf(dying.link), 1);
    await until(async () => Number(((await inspect.pubsub('NUMSUB', `parley:node:${dying.link.nodeId}`)) as unknown[])[1]) === 0, 'unsubscribed');
    expect(await a.router.sessions('acct7')).toEqual(all.slice(1));
    expect(await inspect.hkeys('parley:presence:acct7')).not.toContain(`3/${dying.link.nodeId}`);
    internals.cmd.disconnect();
  });

  it('after Redis restarts empty, nodes announce their devices again and every connection reads its queue', async () => {
    const a = await node();
    await hold(a, 'acct6', 1);
    await redis.kill();
    await redis.start();
    await until(() => a.hub.resyncs > 0, 'resync');
    expect(await inspect.hkeys('parley:presence:acct6')).toEqual([`1/${a.link.nodeId}`]);
    // And wake-ups cross again.
    const b = await node();
    b.router.stored({ envelopes: [{ ...fields, id: 2, destination: { accountId: 'acct6', deviceId: 1 } }] });
    await until(() => a.hub.notified.length === 1, 'a woken');
  });
});
