/**
 * Turning the server's view of a group into our record: membership from the server,
 * the name opened with the master key when we have it, and what only this device
 * keeps (our sender key, whether we accepted the group).
 */
import type { GroupResponse } from '@parley/wire';
import type { GroupRecord } from '../storage/records.ts';
import { openAttributes } from './attributes.ts';

export function fromServer(prev: GroupRecord | undefined, res: GroupResponse): GroupRecord {
  const name = prev?.masterKey ? openAttributes(prev.masterKey, res.groupId, res.encryptedAttributes)?.name : undefined;
  return {
    ...(prev ?? {}),
    groupId: res.groupId,
    revision: res.revision,
    encryptedAttributes: res.encryptedAttributes,
    members: res.members.map((m) => ({ accountId: m.accountId, username: m.username, role: m.role, devices: m.devices.map((d) => ({ deviceId: d.deviceId, registrationId: d.registrationId })) })),
    ...(name !== undefined ? { name } : {}),
    active: true,
    stale: false,
  };
}

/** With the master key learnt: the key kept and the name opened. */
export function withMasterKey(g: GroupRecord, masterKey: Uint8Array): GroupRecord {
  const name = g.encryptedAttributes ? openAttributes(masterKey, g.groupId, g.encryptedAttributes)?.name : undefined;
  return { ...g, masterKey, ...(name !== undefined ? { name } : {}) };
}

/** Every member device ("accountId.deviceId") but the sending one. */
export function memberDevices(g: GroupRecord, me: { accountId: string; deviceId: number }): string[] {
  return g.members.flatMap((m) => m.devices.filter((d) => !(m.accountId === me.accountId && d.deviceId === me.deviceId)).map((d) => `${m.accountId}.${d.deviceId}`));
}

export function isMember(g: GroupRecord | undefined, accountId: string): boolean {
  return !!g?.active && g.members.some((m) => m.accountId === accountId);
}

/**
 * Whether `accountId` could write to the group at `ts` as far as we know: a member now,
 * or, in a group we are out of, a member when we left and writing before that.
 */
export function wasMemberAt(g: GroupRecord | undefined, accountId: string, ts: number): boolean {
  if (!g) return false;
  const departed = g.departed?.[accountId];
  if (departed !== undefined && ts <= departed && !g.members.some((m) => m.accountId === accountId)) return true;
  if (!g.members.some((m) => m.accountId === accountId)) return false;
  return g.active || (g.leftAt !== undefined && ts <= g.leftAt);
}

export function isAdmin(g: GroupRecord | undefined, accountId: string): boolean {
  return !!g?.active && g.members.some((m) => m.accountId === accountId && m.role === 'admin');
}

/** How people see the group: its name, or "Unnamed group" until a member shares the key. */
export function groupTitle(g: GroupRecord): string {
  return g.name ?? 'Unnamed group';
}
