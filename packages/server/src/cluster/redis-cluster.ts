/**
 * A node's link to the others through Redis: presence (which node holds which
 * device's connections) and wake-ups (envelopes stored for a device held
 * elsewhere, an unlinked device, a provisioning message). Redis holds nothing
 * that cannot be lost: every envelope is in PostgreSQL, and a node that may have
 * missed wake-ups makes its connections read their queues (`hub.resync`).
 *
 * Presence: a hash per account, `parley:presence:<accountId>`, field
 * `<deviceId>/<nodeId>`, expiring `presenceTtlMs` after the last time a node
 * announced it. Each node announces all its devices every third of that (which also
 * rebuilds presence after Redis lost its data), and removes a field when the
 * device's last connection here goes. A node that dies stops announcing: its
 * fields expire, and a wake-up published to a node nobody listens for (PUBLISH
 * answers 0 receivers) removes them at once.
 *
 * Wake-ups: each node subscribes to `parley:node:<nodeId>`; a writer looks up the
 * destinations' holders (one HGETALL per account) and publishes one message per
 * node, carrying the envelopes so the holder can send them without reading its
 * queue (the hub falls back to a read whenever ids do not follow on). Unlinks and
 * provisioning wake-ups are rare and go to every node on `parley:broadcast`.
 *
 * While Redis is unreachable nothing fails: sends are stored and answered as
 * usual, wake-ups to other nodes are skipped; when it is back, each node
 * announces its devices again and then every connection reads its queue.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { WireError } from '@parley/wire';
import type { ClusterLink } from '../app.ts';
import type { DeliveryHub, Presence } from '../messages/delivery.ts';
import { deliverHere, type Router, type Stored } from '../messages/router.ts';
import type { DestinedEnvelope, EnvelopeFields, EnvelopeType } from '../storage/storage.ts';

export interface RedisClusterOptions {
  /** `redis://host:port[/db]` */
  readonly url: string;
  /** How long presence outlives a node's last announcement (default 60 s). */
  readonly presenceTtlMs?: number;
  /** Logs what went wrong (once per outage, not per message). */
  readonly log: { warn(msg: string): void; info(msg: string): void };
}

const PRESENCE = 'parley:presence:';
const NODE = 'parley:node:';
const BROADCAST = 'parley:broadcast';
/** Announcements are sent in pipelines of this many devices. */
const ANNOUNCE_CHUNK = 1_000;

/** An envelope as published: [account, device, id, source account, source username, source device (the three null when sealed), timestamp, server timestamp, type, content (base64), ephemeral, group]. */
type WireEnvelope = [string, number, number, string | null, string | null, number | null, number, number, EnvelopeType, string, boolean, string | null];

type NodeMessage =
  | { readonly t: 'e'; readonly e: readonly WireEnvelope[] }
  /** One shared content for many devices: fields as in WireEnvelope[3..], destinations [account, device, id]. */
  | { readonly t: 'f'; readonly f: Omit<WireEnvelope, 0 | 1 | 2>; readonly d: ReadonlyArray<readonly [string, number, number]> };

type BroadcastMessage =
  | { readonly t: 'x'; readonly n: string; readonly a: string; readonly d: number; readonly m: string }
  | { readonly t: 'p'; readonly n: string; readonly c: string };

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const unb64 = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

function fieldsOut(f: EnvelopeFields): Omit<WireEnvelope, 0 | 1 | 2> {
  return [f.sourceAccountId ?? null, f.sourceUsername ?? null, f.sourceDeviceId ?? null, f.timestamp, f.serverTimestamp, f.messageType, b64(f.content), f.ephemeral, f.groupId ?? null] as unknown as Omit<
    WireEnvelope,
    0 | 1 | 2
  >;
}

function fieldsIn(w: readonly unknown[]): EnvelopeFields {
  const [sourceAccountId, sourceUsername, sourceDeviceId, timestamp, serverTimestamp, messageType, content, ephemeral, groupId] = w as [
    string | null,
    string | null,
    number | null,
    number,
    number,
    EnvelopeType,
    string,
    boolean,
    string | null,
  ];
  // A sealed envelope has no source (null in all three).
  const source = sourceAccountId === null || sourceUsername === null || sourceDeviceId === null ? {} : { sourceAccountId, sourceUsername, sourceDeviceId };
  return { ...source, timestamp, serverTimestamp, messageType, content: unb64(content), ephemeral, ...(groupId === null ? {} : { groupId }) };
}

export class RedisCluster implements ClusterLink, Presence {
  readonly nodeId = randomUUID();
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly ttl: number;
  private hub: DeliveryHub | undefined;
  private wakeProvisioning: (channelId: string) => void = () => undefined;
  private announcer: NodeJS.Timeout | undefined;
  private healthy = true;
  private recovering = false;
  private closed = false;

  private constructor(private readonly opts: RedisClusterOptions) {
    this.ttl = opts.presenceTtlMs ?? 60_000;
    const common = {
      lazyConnect: true,
      // Why: while Redis is down, commands fail at once instead of queueing; nothing here must wait for it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(50 * times, 1_000),
    };
    this.cmd = new Redis(opts.url, { ...common, connectionName: `parley-${this.nodeId}` });
    this.sub = new Redis(opts.url, { ...common, enableOfflineQueue: true, connectionName: `parley-sub-${this.nodeId}` });
  }

  /** Connects (both the command and the subscriber connection) and subscribes; fails if Redis cannot be reached now. */
  static async connect(opts: RedisClusterOptions): Promise<RedisCluster> {
    const c = new RedisCluster(opts);
    try {
      await c.cmd.connect();
      await c.sub.connect();
      await c.sub.subscribe(NODE + c.nodeId, BROADCAST);
    } catch (e) {
      c.cmd.disconnect();
      c.sub.disconnect();
      throw new Error(`cannot reach Redis at ${opts.url}: ${(e as Error).message}`);
    }
    c.sub.on('message', (channel: string, message: string) => c.onMessage(channel, message));
    for (const conn of [c.cmd, c.sub]) {
      conn.on('error', () => c.down());
      conn.on('close', () => c.down());
      conn.on('ready', () => void c.recover());
    }
    c.announcer = setInterval(() => void c.announce().catch(() => c.failed()), c.ttl / 3);
    c.announcer.unref();
    return c;
  }

  get presence(): Presence {
    return this;
  }

  router(hub: DeliveryHub): Router {
    this.hub = hub;
    return {
      stored: (s) => this.stored(s),
      disconnect: (accountId, deviceId, e) => {
        hub.disconnect(accountId, deviceId, e);
        this.broadcast({ t: 'x', n: this.nodeId, a: accountId, d: deviceId, m: e.message });
      },
      provisioned: (channelId) => {
        this.wakeProvisioning(channelId);
        this.broadcast({ t: 'p', n: this.nodeId, c: channelId });
      },
      onProvisioned: (wake) => (this.wakeProvisioning = wake),
      close: () => this.close(),
    };
  }

  // ---- presence

  /** Never fails: without Redis the device is announced with all the others when it is back (`recover`). */
  async held(accountId: string, deviceId: number): Promise<void> {
    const key = PRESENCE + accountId;
    await this.cmd
      .pipeline()
      .hset(key, `${deviceId}/${this.nodeId}`, '1')
      .pexpire(key, this.ttl)
      .exec()
      .then(this.checked)
      .catch(() => this.failed());
  }

  released(accountId: string, deviceId: number): void {
    this.cmd.hdel(PRESENCE + accountId, `${deviceId}/${this.nodeId}`).catch(() => this.failed());
  }

  /** A pipeline's per-command errors as a rejection. */
  private readonly checked = (results: Array<[Error | null, unknown]> | null): void => {
    const failed = results?.find(([e]) => e);
    if (failed) throw failed[0]!;
  };

  /** Records every device held here again, with a fresh expiry. */
  private async announce(): Promise<void> {
    const devices = this.hub?.devices() ?? [];
    for (let i = 0; i < devices.length; i += ANNOUNCE_CHUNK) {
      const p = this.cmd.pipeline();
      for (const d of devices.slice(i, i + ANNOUNCE_CHUNK)) p.hset(PRESENCE + d.accountId, `${d.deviceId}/${this.nodeId}`, '1').pexpire(PRESENCE + d.accountId, this.ttl);
      this.checked(await p.exec());
    }
  }

  /** A command failed: Redis is down if the connection is (a lone failed command leaves the link up). */
  private failed(): void {
    if (this.cmd.status !== 'ready') this.down();
  }

  private down(): void {
    if (this.closed || !this.healthy) return;
    this.healthy = false;
    this.opts.log.warn('Redis is unreachable: wake-ups to other nodes are skipped until it is back (nothing stored is lost)');
  }

  /** After a reconnection: announce again (Redis may have lost everything), then every connection reads its queue. */
  private async recover(): Promise<void> {
    if (this.closed || this.recovering || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
    this.recovering = true;
    try {
      for (let attempt = 0; !this.closed; attempt++) {
        try {
          await this.announce();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      if (!this.healthy) {
        this.healthy = true;
        this.opts.log.info('Redis is reachable again: presence announced, every connection reads its queue');
      }
      this.hub?.resync();
    } finally {
      this.recovering = false;
    }
  }

  // ---- wake-ups

  private stored(s: Stored): void {
    const hub = this.hub!;
    deliverHere(hub, s);
    if (!this.healthy) return;
    this.publishStored(s).catch(() => this.failed());
  }

  private async publishStored(s: Stored): Promise<void> {
    const destinations = 'envelopes' in s ? s.envelopes.map((e) => e.destination) : s.to;
    const accounts = [...new Set(destinations.map((d) => d.accountId))];
    const p = this.cmd.pipeline();
    for (const a of accounts) p.hkeys(PRESENCE + a);
    const results = await p.exec();
    this.checked(results);
    /** accountId -> deviceId -> the other nodes holding it */
    const holders = new Map<string, Map<number, string[]>>();
    accounts.forEach((a, i) => {
      const byDevice = new Map<number, string[]>();
      for (const field of (results![i]![1] as string[]) ?? []) {
        const slash = field.indexOf('/');
        const node = field.slice(slash + 1);
        if (node === this.nodeId) continue;
        const d = Number(field.slice(0, slash));
        byDevice.set(d, [...(byDevice.get(d) ?? []), node]);
      }
      if (byDevice.size > 0) holders.set(a, byDevice);
    });
    if (holders.size === 0) return;
    const perNode = new Map<string, number[]>(); // node -> indexes into destinations
    destinations.forEach((d, i) => {
      for (const node of holders.get(d.accountId)?.get(d.deviceId) ?? []) perNode.set(node, [...(perNode.get(node) ?? []), i]);
    });
    const sends: Array<Promise<void>> = [];
    for (const [node, indexes] of perNode) {
      let message: NodeMessage;
      if ('envelopes' in s) {
        message = { t: 'e', e: indexes.map((i) => envelopeOut(s.envelopes[i]!)) };
      } else {
        message = { t: 'f', f: fieldsOut(s.fields), d: indexes.map((i) => [s.to[i]!.accountId, s.to[i]!.deviceId, s.ids[i]!] as const) };
      }
      sends.push(
        this.cmd.publish(NODE + node, JSON.stringify(message)).then(async (receivers) => {
          if (receivers > 0) return;
          // Nobody listens for that node: it is gone; forget what it held.
          const p = this.cmd.pipeline();
          for (const i of indexes) p.hdel(PRESENCE + destinations[i]!.accountId, `${destinations[i]!.deviceId}/${node}`);
          await p.exec();
        }),
      );
    }
    await Promise.all(sends);
  }

  private broadcast(m: BroadcastMessage): void {
    if (!this.healthy) return;
    this.cmd.publish(BROADCAST, JSON.stringify(m)).catch(() => this.failed());
  }

  private onMessage(channel: string, raw: string): void {
    const hub = this.hub;
    if (!hub) return;
    let m: NodeMessage | BroadcastMessage;
    try {
      m = JSON.parse(raw) as NodeMessage | BroadcastMessage;
    } catch {
      return; // not ours
    }
    if (channel === BROADCAST) {
      if (!('n' in m) || m.n === this.nodeId) return;
      if (m.t === 'x') hub.disconnect(m.a, m.d, new WireError('DEVICE_UNLINKED', m.m));
      else if (m.t === 'p') this.wakeProvisioning(m.c);
      return;
    }
    if (m.t === 'e') {
      for (const w of m.e) {
        if (hub.connected(w[0], w[1])) hub.notify(w[0], w[1], [{ ...fieldsIn(w.slice(3)), id: w[2] }]);
      }
    } else if (m.t === 'f') {
      const fields = fieldsIn(m.f as unknown as unknown[]);
      for (const [a, d, id] of m.d) if (hub.connected(a, d)) hub.notify(a, d, [{ ...fields, id }]);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.announcer);
    // This node's presence goes with it (other nodes would otherwise publish to nobody until it expires).
    const devices = this.hub?.devices() ?? [];
    if (this.cmd.status === 'ready' && devices.length > 0) {
      const p = this.cmd.pipeline();
      for (const d of devices) p.hdel(PRESENCE + d.accountId, `${d.deviceId}/${this.nodeId}`);
      await p.exec().catch(() => undefined);
    }
    this.sub.disconnect();
    this.cmd.disconnect();
  }
}

function envelopeOut(e: DestinedEnvelope): WireEnvelope {
  return [e.destination.accountId, e.destination.deviceId, e.id, ...fieldsOut(e)] as unknown as WireEnvelope;
}
