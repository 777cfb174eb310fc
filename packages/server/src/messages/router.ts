/**
 * Where the effects of a write go once it is committed: freshly stored envelopes
 * to the connections of their devices, a device's sockets closed (unlinked, or its
 * password changed), a provisioning poll woken; and where an account's open
 * connections are listed. On one node (`LocalRouter`) that is this process's
 * delivery hub and polls; in a cluster (cluster/redis-cluster.ts) also the nodes
 * that hold the other connections, through Redis.
 *
 * A router only wakes: what it carries may be lost (a node or Redis dies) without
 * losing anything, since every envelope is in storage and a connection reads its
 * queue whenever it starts or is unsure.
 */
import type { WireError } from '@parley/wire';
import type { DestinedEnvelope, DeviceAddress, EnvelopeFields } from '../storage/storage.ts';
import type { DeliveryHub, DeviceSession } from './delivery.ts';

/**
 * Envelopes just committed: each with its own fields (1:1 sends, group updates), or
 * one shared content for many devices (a group message). `read`: they were written
 * outside the send path, whose answers come in commit order (group updates), so
 * this node's connections read their queues instead of sending them from memory
 * (an envelope of a send committed earlier but not yet answered must not be skipped).
 */
export type Stored =
  | { readonly envelopes: readonly DestinedEnvelope[]; readonly read?: boolean }
  | { readonly fields: EnvelopeFields; readonly to: readonly DeviceAddress[]; readonly ids: readonly number[] };

export interface Router {
  stored(s: Stored): void;
  /** Closes every connection of the device, on every node, with `e` (it was unlinked, or its password changed). */
  disconnect(accountId: string, deviceId: number, e: WireError): void;
  /** The open connections of the account's devices, on every node. */
  sessions(accountId: string): Promise<DeviceSession[]>;
  /** A provisioning channel's message was stored: wakes its poll wherever it waits. */
  provisioned(channelId: string): void;
  /** Sets this node's handler for `provisioned` (the provisioning plugin's polls). */
  onProvisioned(wake: (channelId: string) => void): void;
  close(): Promise<void>;
}

/** Hands stored envelopes to this node's connections (only devices connected here cost anything). */
export function deliverHere(hub: DeliveryHub, s: Stored): void {
  if ('envelopes' in s) {
    for (const { destination: d, ...e } of s.envelopes) {
      if (hub.connected(d.accountId, d.deviceId)) hub.notify(d.accountId, d.deviceId, s.read ? undefined : [e]);
    }
    return;
  }
  // Up to ~6,000 destinations: envelopes are built only for devices connected here.
  s.to.forEach((d, i) => {
    if (hub.connected(d.accountId, d.deviceId)) hub.notify(d.accountId, d.deviceId, [{ ...s.fields, id: s.ids[i]! }]);
  });
}

/** The single-node router: everything is in this process. */
export class LocalRouter implements Router {
  private wake: (channelId: string) => void = () => undefined;

  constructor(private readonly hub: DeliveryHub) {}

  stored(s: Stored): void {
    deliverHere(this.hub, s);
  }

  disconnect(accountId: string, deviceId: number, e: WireError): void {
    this.hub.disconnect(accountId, deviceId, e);
  }

  async sessions(accountId: string): Promise<DeviceSession[]> {
    return this.hub.sessions(accountId);
  }

  provisioned(channelId: string): void {
    this.wake(channelId);
  }

  onProvisioned(wake: (channelId: string) => void): void {
    this.wake = wake;
  }

  async close(): Promise<void> {}
}
