/**
 * "Strangers get less" (DESIGN.md invariant 2), in one place. Someone we never
 * wrote to and whose request we have not accepted is a stranger: their calls do
 * not ring (a missed call in the request), their typing is not shown, they get
 * no receipts or typing from us, their links stay inert. Blocked people are
 * dropped without being told. Our own account (other devices) is never a stranger.
 */
import type { Contact, GroupRecord } from '../storage/records.ts';

export type Relationship = 'self' | 'contact' | 'stranger' | 'blocked';

export function relationship(contact: Contact | undefined, selfAccountId: string): Relationship {
  if (contact?.accountId === selfAccountId) return 'self';
  if (contact?.blocked) return 'blocked';
  return contact?.accepted ? 'contact' : 'stranger';
}

export const policy = {
  /** Their messages are kept (a stranger's land as a request); a blocked sender's are dropped. */
  keepsMessages: (r: Relationship) => r !== 'blocked',
  /** A ring from them rings; a stranger's is logged and becomes a missed call; a blocked one is only logged. */
  ringsFor: (r: Relationship): 'ring' | 'missed-call' | 'log-only' => (r === 'contact' || r === 'self' ? 'ring' : r === 'stranger' ? 'missed-call' : 'log-only'),
  /** Call signaling other than a ring is acted on only for contacts. */
  actsOnCallSignals: (r: Relationship) => r === 'contact',
  /** Their typing is shown. */
  showsTyping: (r: Relationship) => r === 'contact' || r === 'self',
  /** We send them delivery and read receipts and typing notices. */
  tellsThem: (r: Relationship) => r === 'contact',
  /** Links in their messages open. */
  linksOpen: (r: Relationship) => r === 'contact' || r === 'self',
};

/**
 * A group is a request until we accept it: when someone who is not our contact
 * added us. We send no receipts or typing there until then.
 */
export function groupAccepted(g: GroupRecord | undefined): boolean {
  return !!g?.accepted;
}
