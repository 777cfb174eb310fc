/**
 * Group sends (`PUT /v1/groups/:groupId/messages` and the socket's `group-send`):
 * one Sender Key message for every member device but the sending one. The sender
 * must be a member and name exactly those devices with their registration ids;
 * then one envelope per device is stored in one durable transaction (the send
 * path's group commit, content stored once), checked in that transaction against
 * the group revision it was validated at, so a member removed meanwhile never gets
 * the message. A group of 1,024 members with 6 devices each is ~6,000 envelopes:
 * the checks take a few queries, not one per member.
 */
import { WireError, type GroupSendRequest, type SendResponse } from '@parley/wire';
import type { Authed } from '../auth/auth.ts';
import type { Sends, Transport } from '../messages/sends.ts';
import type { DeviceAddress, GroupRecord, GroupStore } from '../storage/storage.ts';
import { memberOf } from './membership.ts';

export interface GroupSendsDeps {
  readonly storage: GroupStore;
  readonly sends: Sends;
  readonly now: () => number;
}

/** Times a send is re-checked when the group changes between its check and its commit. */
const ATTEMPTS = 3;

/** The devices a group message from `sender` must reach, if `recipients` names exactly them; else the typed error. */
export function recipientDevices(g: GroupRecord, sender: Authed, recipients: GroupSendRequest['recipients']): DeviceAddress[] {
  const expected = new Map<string, Map<number, number>>();
  for (const m of g.members) {
    const devices = m.devices.filter((d) => !(m.accountId === sender.accountId && d.deviceId === sender.deviceId));
    if (devices.length) expected.set(m.accountId, new Map(devices.map((d) => [d.deviceId, d.registrationId])));
  }
  const mismatched = () => new WireError('MISMATCHED_DEVICES', "the recipients do not match the group's member devices; fetch the group and retry");
  const seen = new Set<string>();
  let stale = false;
  const out: DeviceAddress[] = [];
  for (const r of recipients) {
    if (seen.has(r.accountId)) throw new WireError('BAD_REQUEST', 'recipients name an account twice');
    seen.add(r.accountId);
    const want = expected.get(r.accountId);
    if (!want || want.size !== r.devices.length) throw mismatched();
    const devs = new Set<number>();
    for (const d of r.devices) {
      if (devs.has(d.deviceId)) throw new WireError('BAD_REQUEST', 'recipients name a device twice');
      devs.add(d.deviceId);
      const registrationId = want.get(d.deviceId);
      if (registrationId === undefined) throw mismatched();
      if (registrationId !== d.registrationId) stale = true;
      out.push({ accountId: r.accountId, deviceId: d.deviceId });
    }
  }
  if (seen.size !== expected.size) throw mismatched();
  if (stale) throw new WireError('STALE_DEVICES', 'some member devices were re-registered; fetch the group and retry');
  return out;
}

export class GroupSends {
  constructor(private readonly deps: GroupSendsDeps) {}

  async accept(sender: Authed, groupId: string, s: GroupSendRequest, via: Transport): Promise<SendResponse> {
    const { storage, sends, now } = this.deps;
    sends.countSend(sender);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const g = await storage.group(groupId);
      memberOf(g, sender.accountId);
      const to = recipientDevices(g!, sender, s.recipients);
      const serverTimestamp = now();
      const envelope = {
        sourceAccountId: sender.accountId,
        sourceUsername: sender.username,
        sourceDeviceId: sender.deviceId,
        timestamp: s.timestamp,
        serverTimestamp,
        messageType: 'senderkey' as const,
        content: s.content,
        ephemeral: s.ephemeral ?? false,
        groupId,
      };
      if (await sends.store({ fanout: { envelope, to }, ifGroupRevision: { groupId, revision: g!.revision } }, via)) return { serverTimestamp };
    }
    throw new WireError('MISMATCHED_DEVICES', 'the group kept changing; fetch the group and retry');
  }
}
