/**
 * Groups: create, list, read, change (admins), leave, and send to a group. The
 * server keeps membership and roles; the name and avatar are encrypted attributes
 * it cannot read. Non-members get NOT_FOUND for any group. Every change is written
 * with its `group-update` envelopes in one transaction (storage), then the
 * members' connections are woken.
 */
import type { FastifyPluginAsync } from 'fastify';
import {
  createGroupRequest,
  groupId as groupIdDecoder,
  groupSendRequest,
  LIMITS,
  updateGroupRequest,
  WireError,
  type GroupUpdateEvent,
} from '@parley/wire';
import type { Authenticator, Authed } from '../auth/auth.ts';
import type { Sends } from '../messages/sends.ts';
import { readBody } from '../requests.ts';
import type { AccountStore, GroupRecord, GroupStore, GroupUpdate } from '../storage/storage.ts';
import type { GroupSends } from './group-sends.ts';
import { eventContent, groupJson, memberOf, planCreate, planLeave, planUpdate, type Plan } from './membership.ts';

export interface GroupsOptions {
  readonly storage: AccountStore & GroupStore;
  readonly auth: Authenticator;
  readonly sends: Sends;
  readonly groupSends: GroupSends;
  readonly now: () => number;
}

/** Times a change without `expectedRevision` is re-planned when another change got in first. */
const ATTEMPTS = 3;

export const groupsPlugin: FastifyPluginAsync<GroupsOptions> = async (app, { storage, auth, sends, groupSends, now }) => {
  const idParam = (raw: string) => groupIdDecoder(raw, 'groupId');

  /** UNKNOWN_USER for accounts that do not exist; FORBIDDEN for any already in the most groups allowed. */
  async function checkJoining(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const found = new Set((await storage.accountsByIds(ids)).map((a) => a.id));
    const unknown = ids.filter((id) => !found.has(id));
    if (unknown.length) throw new WireError('UNKNOWN_USER', `no account ${unknown[0]}${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''}`);
    const counts = await storage.groupCounts(ids);
    if (ids.some((id) => (counts.get(id) ?? 0) >= LIMITS.maxGroupsPerAccount)) {
      throw new WireError('FORBIDDEN', `an account may be in at most ${LIMITS.maxGroupsPerAccount} groups`);
    }
  }

  function updateEnvelope(actor: Authed, event: GroupUpdateEvent): GroupUpdate {
    const t = now();
    return { sourceAccountId: actor.accountId, sourceUsername: actor.username, sourceDeviceId: actor.deviceId, timestamp: t, serverTimestamp: t, content: eventContent(event) };
  }

  /** Plans against the current revision and writes; re-plans if someone else changed the group first. */
  async function change(actor: Authed, groupId: string, plan: (g: GroupRecord) => Plan, pinned: boolean): Promise<number> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const g = await storage.group(groupId);
      memberOf(g, actor.accountId);
      const p = plan(g!);
      await checkJoining(p.joining);
      const event: GroupUpdateEvent = { groupId, revision: g!.revision + 1, actor: actor.accountId, ...p.event };
      const r = await storage.changeGroup({ groupId, fromRevision: g!.revision, ...p.change }, updateEnvelope(actor, event), now());
      if (r.status === 'done') {
        sends.wake(r.envelopes);
        return r.revision;
      }
      if (pinned) break;
    }
    throw new WireError('CONFLICT', 'the group was changed by someone else meanwhile');
  }

  app.post('/v1/groups', async (req, reply) => {
    const a = await auth.request(req);
    const r = readBody(req, createGroupRequest);
    const members = planCreate(a.accountId, r.members);
    await checkJoining(members.map((m) => m.accountId));
    const event: GroupUpdateEvent = { groupId: r.groupId, revision: 0, actor: a.accountId, created: true, memberCount: members.length };
    const w = await storage.createGroup({ groupId: r.groupId, encryptedAttributes: r.encryptedAttributes, members }, updateEnvelope(a, event), now());
    if (w.status !== 'done') throw new WireError('CONFLICT', 'a group with this id exists; choose another id');
    sends.wake(w.envelopes);
    const g = await storage.group(r.groupId);
    return reply.status(201).send(groupJson(g!));
  });

  app.get('/v1/groups', async (req) => {
    const a = await auth.request(req);
    return { groups: (await storage.groupsOf(a.accountId)).map(groupJson) };
  });

  app.get<{ Params: { groupId: string } }>('/v1/groups/:groupId', async (req) => {
    const a = await auth.request(req);
    const g = await storage.group(idParam(req.params.groupId));
    memberOf(g, a.accountId);
    return groupJson(g!);
  });

  app.patch<{ Params: { groupId: string } }>('/v1/groups/:groupId', async (req) => {
    const a = await auth.request(req);
    const groupId = idParam(req.params.groupId);
    const r = readBody(req, updateGroupRequest);
    await change(a, groupId, (g) => planUpdate(g, a.accountId, r), r.expectedRevision !== undefined);
    const g = await storage.group(groupId);
    memberOf(g, a.accountId);
    return groupJson(g!);
  });

  app.post<{ Params: { groupId: string } }>('/v1/groups/:groupId/leave', async (req) => {
    const a = await auth.request(req);
    const revision = await change(a, idParam(req.params.groupId), (g) => planLeave(g, a.accountId), false);
    return { revision };
  });

  app.put<{ Params: { groupId: string } }>('/v1/groups/:groupId/messages', async (req) => {
    const a = await auth.request(req);
    return groupSends.accept(a, idParam(req.params.groupId), readBody(req, groupSendRequest), 'http');
  });
};
