/**
 * A member's keys for a group, sent 1:1 to each member device: the group's master
 * key (which seals its name) and the sender's Sender Key distribution message for
 * its current distribution id. Receiving it is how a device can read the sender's
 * group messages; a new distribution id means the sender rotated.
 */
import { bytes, groupId, object, oneOf, str } from '@parley/wire';
import { header } from './fields.ts';

export interface GroupKeysContent {
  readonly kind: 'group-keys';
  readonly group: string;
  readonly masterKey: Uint8Array;
  readonly distributionId: string;
  /** A serialized SenderKeyDistributionMessage. */
  readonly distribution: Uint8Array;
}

const uuid = str(36, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export const groupKeysContent = object({
  ...header,
  kind: oneOf('group-keys'),
  group: groupId,
  masterKey: bytes(32, 32),
  distributionId: uuid,
  distribution: bytes(1, 1024),
});
