// The membership rules as pure functions: what a change does and what its event says.
import { describe, expect, it } from 'vitest';
import { groupUpdateEvent, WireError } from '@parley/wire';
import type { GroupRecord, GroupRole } from '../storage/storage.ts';
import { eventContent, planCreate, planLeave, planUpdate } from './membership.ts';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const [A, B, C, D] = [id(1), id(2), id(3), id(4)] as [string, string, string, string];

function group(...members: Array<[string, GroupRole]>): GroupRecord {
  return {
    groupId: 'ab'.repeat(16),
    revision: 4,
    encryptedAttributes: new Uint8Array(4),
    members: members.map(([accountId, role]) => ({ accountId, username: `u${accountId.slice(-1)}`, role, devices: [{ deviceId: 1, registrationId: 1 }] })),
  };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as WireError).code;
  }
  return 'ok';
};

describe('group membership rules', () => {
  it('creation: the creator first, as admin; no duplicates, not the creator again', () => {
    expect(planCreate(A, [B, C])).toEqual([{ accountId: A, role: 'admin' }, { accountId: B, role: 'member' }, { accountId: C, role: 'member' }]);
    expect(code(() => planCreate(A, [B, B]))).toBe('BAD_REQUEST');
    expect(code(() => planCreate(A, [A]))).toBe('BAD_REQUEST');
  });

  it('an update adds members (as admins when also promoted), and its event lists only what happened', () => {
    const p = planUpdate(group([A, 'admin'], [B, 'member']), A, { addMembers: [C, D], promote: [D, B] });
    expect(p.change).toEqual({
      add: [{ accountId: C, role: 'member' }, { accountId: D, role: 'admin' }],
      remove: [],
      roles: [{ accountId: B, role: 'admin' }],
      encryptedAttributes: undefined,
    });
    expect(p.event).toEqual({ added: [C, D], promoted: [D, B] });
    expect(p.joining).toEqual([C, D]);
    const event = { groupId: 'ab'.repeat(16), revision: 5, actor: A, ...p.event };
    expect(groupUpdateEvent(JSON.parse(new TextDecoder().decode(eventContent(event))), '')).toEqual(event);
  });

  it('refuses what does not fit the group with CONFLICT, and contradictions with BAD_REQUEST', () => {
    const g = group([A, 'admin'], [B, 'member'], [C, 'admin']);
    expect(code(() => planUpdate(g, B, { addMembers: [D] }))).toBe('FORBIDDEN');
    expect(code(() => planUpdate(g, D, { addMembers: [D] }))).toBe('NOT_FOUND');
    expect(code(() => planUpdate(g, A, { expectedRevision: 3, addMembers: [D] }))).toBe('CONFLICT');
    expect(code(() => planUpdate(g, A, { expectedRevision: 4, addMembers: [D] }))).toBe('ok');
    expect(code(() => planUpdate(g, A, { demote: [A] }))).toBe('ok');
    expect(code(() => planUpdate(g, A, { demote: [A, C] }))).toBe('CONFLICT');
    expect(code(() => planUpdate(g, A, { removeMembers: [C], demote: [A] }))).toBe('CONFLICT');
    expect(code(() => planUpdate(g, A, { promote: [C] }))).toBe('CONFLICT');
    expect(code(() => planUpdate(g, A, { promote: [D] }))).toBe('CONFLICT');
    expect(code(() => planUpdate(g, A, { removeMembers: [B], promote: [B] }))).toBe('BAD_REQUEST');
    expect(code(() => planUpdate(g, A, { promote: [B], demote: [B] }))).toBe('BAD_REQUEST');
    expect(code(() => planUpdate(g, A, { removeMembers: [A] }))).toBe('BAD_REQUEST');
    expect(code(() => planUpdate(g, A, {}))).toBe('BAD_REQUEST');
  });

  it('leaving: the last admin hands over to the longest-standing member; another admin needs no heir', () => {
    expect(planLeave(group([A, 'admin'], [B, 'member'], [C, 'member']), A)).toMatchObject({ change: { remove: [A], roles: [{ accountId: B, role: 'admin' }] }, event: { left: true, promoted: [B] } });
    expect(planLeave(group([A, 'admin'], [B, 'member'], [C, 'admin']), A)).toMatchObject({ change: { roles: [] }, event: { left: true } });
    expect(planLeave(group([A, 'admin'], [B, 'member']), B).event).toEqual({ left: true });
    expect(planLeave(group([A, 'admin']), A)).toMatchObject({ change: { remove: [A], roles: [] } });
    expect(code(() => planLeave(group([A, 'admin']), B))).toBe('NOT_FOUND');
  });
});
