/**
 * Our Sender Key for each group: created on first send (and after every
 * membership loss, which clears it so it rotates), distributed with the group's
 * master key over 1:1 sessions to every member device that does not have it yet
 * (our own other devices included), and recorded per device once the server
 * accepted the distribution. A removed member never receives a key made after
 * its removal, so it cannot read what follows.
 */
import { createSenderKeyDistributionMessage, processSenderKeyDistributionMessage, ProtocolAddress, SenderKeyDistributionMessage } from '@parley/protocol';
import { encodeContent, type Content } from '../content/codec.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { sendToAccount } from '../send/outbox.ts';
import { ClientError } from '../errors.ts';
import type { ContentHandler } from '../receive/types.ts';
import { memberDevices, withMasterKey } from './records.ts';

/** Makes sure every member device has our current sender key; returns its distribution id. */
export async function ensureSenderKey(ctx: ClientContext, groupId: string): Promise<string> {
  const me = requireAccount(ctx);
  const g0 = ctx.store.groups.get(groupId);
  if (!g0?.active || !g0.masterKey) throw new ClientError('NOT_A_MEMBER', 'you are not a member of this group (or its key has not arrived yet)');
  const me1 = new ProtocolAddress(me.accountId, me.deviceId);
  const { distributionId, distribution } = await ctx.store.transaction(async (tx) => {
    const g = tx.groups.get(groupId)!;
    let id = g.senderKey?.distributionId;
    // Our own key for it is gone (state lost): a new one under a new id, shared afresh.
    if (id && !(await tx.protocol.loadSenderKey(me1, id))?.current()) id = undefined;
    if (!id) {
      id = ctx.newId();
      tx.groups.save({ ...g, senderKey: { distributionId: id, sharedWith: [] } });
    }
    return { distributionId: id, distribution: (await createSenderKeyDistributionMessage(me1, id, tx.protocol)).serialize() };
  });
  const g = ctx.store.groups.get(groupId)!;
  const shared = new Set(g.senderKey?.sharedWith ?? []);
  const waiting = memberDevices(g, me).filter((d) => !shared.has(d));
  const accounts = [...new Set(waiting.map((d) => d.slice(0, d.lastIndexOf('.'))))];
  const content: Content = { v: 1, kind: 'group-keys', id: ctx.newId(), ts: ctx.now(), group: groupId, masterKey: g.masterKey!, distributionId, distribution };
  const plaintext = encodeContent(content);
  for (const accountId of accounts) {
    const member = g.members.find((m) => m.accountId === accountId)!;
    await sendToAccount(ctx, member.username, plaintext, { timestamp: content.ts });
    await ctx.store.transaction(async (tx) => {
      const cur = tx.groups.get(groupId)!;
      if (cur.senderKey?.distributionId !== distributionId) return;
      const now = new Set(cur.senderKey.sharedWith);
      for (const d of member.devices) now.add(`${accountId}.${d.deviceId}`);
      tx.groups.save({ ...cur, senderKey: { distributionId, sharedWith: [...now] } });
    });
  }
  return distributionId;
}

/** Forgets which devices have our sender key for these accounts' devices, so they get it again. */
export function forgetShared(sharedWith: readonly string[], accountId: string): string[] {
  return sharedWith.filter((d) => !d.startsWith(`${accountId}.`));
}

/**
 * A member's keys arrived (1:1): their sender key is recorded under their device's
 * address, and the group's master key kept if we did not have it. (The pipeline has
 * checked the sender is a member, refetching the group first if it had to.)
 */
export const onGroupKeys: ContentHandler<'group-keys'> = async (_ctx, tx, r, fx) => {
  if (r.viaSenderKey || !r.group) return;
  const skdm = SenderKeyDistributionMessage.deserialize(r.content.distribution);
  if (skdm.distributionId.toLowerCase() !== r.content.distributionId) return;
  await processSenderKeyDistributionMessage(new ProtocolAddress(r.sender.accountId, r.sender.deviceId), skdm, tx.protocol);
  if (!r.group.masterKey) tx.groups.save(withMasterKey(r.group, r.content.masterKey));
  fx.events.push({ type: 'group', groupId: r.group.groupId });
};
