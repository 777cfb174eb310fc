/**
 * Sending to a group: one Sender Key message, fanned out by the server to every
 * member device. The recipients we name must be exactly the server's member
 * devices; when they are not (someone joined, linked a device, re-registered),
 * we refetch the group, share our sender key with the new devices and retry.
 */
import { groupEncrypt, ProtocolAddress } from '@parley/protocol';
import { WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { groupSendBody, type GroupOutgoing } from '../transport/http.ts';
import { deliver } from '../send/deliver.ts';
import { refreshGroup } from './groups.ts';
import { ensureSenderKey } from './sender-keys.ts';

/** Encrypts `plaintext` with our sender key and sends it to every member device. Caller holds the lock. */
export async function sendToGroup(ctx: ClientContext, groupId: string, plaintext: Uint8Array, opts: { timestamp: number; ephemeral?: boolean }): Promise<void> {
  const me = requireAccount(ctx);
  for (let attempt = 0; attempt < 4; attempt++) {
    let g = ctx.store.groups.get(groupId);
    if (g?.stale || (g && g.members.length === 0)) g = await refreshGroup(ctx, groupId);
    if (!g?.active) throw new ClientError('NOT_A_MEMBER', 'you are no longer a member of this group');
    const distributionId = await ensureSenderKey(ctx, groupId);
    g = ctx.store.groups.get(groupId)!;
    // Even when our record says we are alone, the server decides: it may know a device we do not.
    const message = await ctx.store.transaction(async (tx) => groupEncrypt(new ProtocolAddress(me.accountId, me.deviceId), distributionId, tx.protocol, plaintext));
    const recipients = g.members
      .map((m) => ({ accountId: m.accountId, devices: m.devices.filter((d) => !(m.accountId === me.accountId && d.deviceId === me.deviceId)) }))
      .filter((r) => r.devices.length > 0);
    try {
      const req: GroupOutgoing = { timestamp: opts.timestamp, ...(opts.ephemeral ? { ephemeral: true } : {}), content: message.serialize(), recipients };
      await deliver(ctx, (conn) => conn.sendGroup(groupId, groupSendBody(req)), () => ctx.http.sendGroupMessage(groupId, req));
      return;
    } catch (e) {
      if (e instanceof WireError && (e.code === 'MISMATCHED_DEVICES' || e.code === 'STALE_DEVICES')) {
        await refreshGroup(ctx, groupId);
        continue;
      }
      if (e instanceof WireError && e.code === 'NOT_FOUND') {
        await refreshGroup(ctx, groupId);
        throw new ClientError('NOT_A_MEMBER', 'you are no longer a member of this group');
      }
      throw e;
    }
  }
  throw new ClientError('SEND_FAILED', 'could not send to the group: its members keep changing; try again');
}
