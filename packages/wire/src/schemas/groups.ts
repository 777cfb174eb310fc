/**
 * Groups. The server keeps membership and admin rights (as WhatsApp does) and
 * fans one Sender Key message out to every member device; the group's name and
 * avatar travel as `encryptedAttributes`, sealed by the members with the group's
 * master key, which the server never sees.
 */
import { array, bool, bytes, int, object, oneOf } from '../decode.ts';
import { LIMITS } from '../limits.ts';
import { accountId, deviceId, groupId, registrationId, timestampMs, username } from './common.ts';

const attributes = bytes(1, LIMITS.maxGroupAttributesBytes);
const revision = int(0, Number.MAX_SAFE_INTEGER);
const others = array(accountId, LIMITS.maxGroupMembers - 1);

/** `POST /v1/groups`: the creator becomes the first admin; `members` are the others. */
export const createGroupRequest = object({ groupId, encryptedAttributes: attributes, members: others });
export type CreateGroupRequest = ReturnType<typeof createGroupRequest>;

/**
 * `PATCH /v1/groups/:groupId` (admins only). `expectedRevision`, when given, makes the
 * change fail with CONFLICT if someone else changed the group first.
 */
export const updateGroupRequest = object(
  {},
  {
    expectedRevision: revision,
    addMembers: others,
    removeMembers: others,
    promote: others,
    demote: others,
    encryptedAttributes: attributes,
  },
);
export type UpdateGroupRequest = ReturnType<typeof updateGroupRequest>;

const device = object({ deviceId, registrationId });
export const groupMember = object({
  accountId,
  username,
  role: oneOf('admin', 'member'),
  /** The member's current devices: the ones a group message must reach. */
  devices: array(device, LIMITS.maxDevicesPerAccount),
});
export type GroupMemberJson = ReturnType<typeof groupMember>;

/** A group as the server keeps it; answered to members only (others get NOT_FOUND). */
export const groupResponse = object({
  groupId,
  revision,
  encryptedAttributes: attributes,
  members: array(groupMember, LIMITS.maxGroupMembers, 1),
});
export type GroupResponse = ReturnType<typeof groupResponse>;

/** `GET /v1/groups`: the groups this account belongs to. */
export const groupListResponse = object({ groups: array(groupResponse, LIMITS.maxGroupsPerAccount) });
export type GroupListResponse = ReturnType<typeof groupListResponse>;

/**
 * `PUT /v1/groups/:groupId/messages`: one Sender Key message for every member device.
 * `recipients` must name exactly the group's member devices other than the sending
 * one (with their registration ids), else MISMATCHED_DEVICES / STALE_DEVICES: the
 * sender refetches the group, shares its sender key with new devices and retries.
 */
export const groupRecipient = object({ accountId, devices: array(device, LIMITS.maxDevicesPerAccount, 1) });
export const groupSendRequest = object(
  {
    timestamp: timestampMs,
    content: bytes(1, LIMITS.maxMessageBytes),
    recipients: array(groupRecipient, LIMITS.maxGroupMembers),
  },
  { ephemeral: bool },
);
export type GroupSendRequest = ReturnType<typeof groupSendRequest>;

/**
 * What a `group-update` envelope carries (written by the server, in queue order with
 * the messages around it): who changed what. Clients refetch the group for the rest.
 */
export const groupUpdateEvent = object(
  { groupId, revision, actor: accountId },
  {
    created: bool,
    /** With `created`: how many members the group starts with (clients fetch large groups lazily). */
    memberCount: int(1, LIMITS.maxGroupMembers),
    added: others,
    removed: others,
    left: bool,
    promoted: others,
    demoted: others,
    attributesChanged: bool,
  },
);
export type GroupUpdateEvent = ReturnType<typeof groupUpdateEvent>;

/** `POST /v1/groups/:groupId/leave` answers the new revision. */
export const leaveGroupResponse = object({ revision });
