/**
 * The records the SDK keeps on the device, beside the protocol's own (sessions,
 * identities, prekeys, sender keys). Plain immutable data; stores copy on write.
 */
import type { AttachmentPointer } from '../content/attachment.ts';
import type { Quote } from '../content/quote.ts';

export type { Quote };

/** One person's reaction to a message (one per person: a new one replaces theirs). */
export interface Reaction {
  /** Who reacted (account id). */
  readonly author: string;
  readonly emoji: string;
  /** When they reacted (their clock, ms). */
  readonly ts: number;
}

/** A conversation: a direct chat with an account, or a group. Never a username. */
export type ConversationId = `direct:${string}` | `group:${string}`;

export interface AccountInfo {
  readonly serverUrl: string;
  readonly accountId: string;
  readonly deviceId: number;
  readonly username: string;
  readonly password: Uint8Array;
  /**
   * A new password sent to the server whose answer has not been seen yet (a password
   * change interrupted): the next change or connection finds out which one the server has.
   */
  readonly nextPassword?: Uint8Array | undefined;
  readonly registrationId: number;
}

export interface Contact {
  readonly accountId: string;
  readonly username: string;
  readonly deviceIds: readonly number[];
  /** We wrote first, or accepted their message request. Strangers get less until then. */
  readonly accepted?: boolean;
  /** Their messages are dropped unread. */
  readonly blocked?: boolean;
  /** The profile key they shared with us (32 bytes), end-to-end encrypted; absent until they do. */
  readonly profileKey?: Uint8Array;
  /** Their profile name as last fetched and decrypted with `profileKey` (absent: unknown or none). */
  readonly profileName?: string;
  /** They have our current profile key (we sent it since it last changed). */
  readonly profileKeyShared?: boolean;
  /**
   * The profile key of theirs whose access key the server refused for a sealed send (they
   * rotated it, maybe blocking us): while `profileKey` is still this one, sends to them go
   * identified without a sealed attempt first (sealed/refusals.ts).
   */
  readonly sealedRefusedKey?: Uint8Array;
}

/** Our own profile, the same on each of our devices (the key is synced; the rest is on the server, sealed). */
export interface OwnProfile {
  /** The profile key: 32 random bytes, shared only with contacts. */
  readonly key: Uint8Array;
  /** When the key was made (the making device's clock, ms): of two keys made at once on two devices, the later wins. */
  readonly createdAt: number;
  /** Our profile name (absent: none set, or not fetched yet on this device). */
  readonly name?: string;
  /** Our profile picture (image bytes). */
  readonly avatar?: Uint8Array;
  /** The server has the profile (name, picture, access key) under this key's version. */
  readonly uploaded?: boolean;
}

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'received';

/** Where a message's attachment stands on this device. */
export type AttachmentState =
  /** Only on the server: not downloaded (yet). */
  | 'remote'
  /** Downloaded, verified and decrypted, and kept on this device (`client.attachments.open`). */
  | 'downloaded'
  /** What the server had did not verify (digest, MAC or size): nothing of it was kept, and it is not fetched again. */
  | 'invalid'
  /** The server no longer has it (it expired); it cannot be downloaded any more. */
  | 'expired';

/** A message's attachment: the pointer from the message (key included) and its state here. */
export interface StoredAttachment extends AttachmentPointer {
  readonly state: AttachmentState;
}

export interface StoredMessage {
  readonly rowId: number;
  readonly conversation: ConversationId;
  readonly direction: 'in' | 'out';
  /** A chat message, or a line the app writes itself (calls, group changes): no bubble, no ticks. */
  readonly kind: 'text' | 'system';
  readonly clientId: string;
  readonly senderAccountId: string;
  readonly timestamp: number;
  /** The text; for a message with an attachment, its caption (possibly empty). */
  readonly body: string;
  readonly status: MessageStatus;
  readonly seen: boolean;
  /** A file, image or voice note sent with the message. */
  readonly attachment?: StoredAttachment;
  /** The message this one replies to (as the sender quoted it). */
  readonly quote?: Quote;
  /** Reactions, one per person, oldest first. */
  readonly reactions?: readonly Reaction[];
  /** How often its author edited it (`body` is the newest text); absent if never. */
  readonly edits?: number;
  /** When it was last edited (the author's clock, ms). */
  readonly editedAt?: number;
  /** Deleted for everyone by its author: a tombstone ("This message was deleted") without body, file or quote. */
  readonly deleted?: boolean;
  /** Disappearing: deleted this long after it was read here (after it was sent, for our own). */
  readonly expiresInMs?: number;
  /** When it will be deleted on this device (ms); absent until its clock starts (read, or sent). */
  readonly expiresAt?: number;
}

/** This account's settings, the same on each of its devices (synced). */
export interface AccountSettings {
  /** Read receipts: false means we neither send them nor show others' (as Signal). Default true. */
  readonly readReceipts?: boolean;
  /** The sealed-sender trust root (base64), pinned the first time the server presented it. */
  readonly sealedSenderTrustRoot?: string;
}

/** A conversation's settings on this device (the same on every member's device once synced). */
export interface ConversationSettings {
  /** Disappearing messages: seconds after reading; absent or 0: off. */
  readonly expireSeconds?: number;
}
export type NewMessage = Omit<StoredMessage, 'rowId' | 'seen'> & { readonly seen?: boolean };

/** What a deleted message shows instead of its text. */
export const DELETED_TEXT = 'This message was deleted';

/** The canonical contact every store keeps and returns: the flags as booleans; profile fields absent rather than empty or false; bytes copied. */
export function normalizeContact(c: Contact): Contact {
  return {
    accountId: c.accountId,
    username: c.username,
    deviceIds: [...c.deviceIds],
    accepted: !!c.accepted,
    blocked: !!c.blocked,
    ...(c.profileKey ? { profileKey: c.profileKey.slice() } : {}),
    ...(c.profileName ? { profileName: c.profileName } : {}),
    ...(c.profileKeyShared ? { profileKeyShared: true } : {}),
    ...(c.sealedRefusedKey ? { sealedRefusedKey: c.sealedRefusedKey.slice() } : {}),
  };
}

/** The canonical own profile: optional fields absent rather than empty or false; bytes copied. */
export function normalizeOwnProfile(p: OwnProfile): OwnProfile {
  return { key: p.key.slice(), createdAt: p.createdAt, ...(p.name ? { name: p.name } : {}), ...(p.avatar?.length ? { avatar: p.avatar.slice() } : {}), ...(p.uploaded ? { uploaded: true } : {}) };
}

/** The canonical form every store returns: optional fields absent rather than empty, zero or false. */
export function normalizeMessage<M extends NewMessage | StoredMessage>(m: M): M {
  const out: Record<string, unknown> = { ...m };
  if (!m.reactions?.length) delete out.reactions;
  if (!m.edits) delete out.edits;
  if (m.editedAt === undefined) delete out.editedAt;
  if (!m.deleted) delete out.deleted;
  if (!m.quote) delete out.quote;
  if (!m.attachment) delete out.attachment;
  if (!m.expiresInMs) delete out.expiresInMs;
  if (m.expiresAt === undefined) delete out.expiresAt;
  return out as M;
}

/** One line of the append-only call log: every attempt, answered or not, from anyone. */
export interface CallLogEntry {
  readonly callId: string;
  readonly peer: string;
  readonly direction: 'in' | 'out';
  readonly media: 'audio' | 'video';
  /**
   * `hung-up-early`: a stranger hung up before their ring or within seconds of it (calls/suspicion.ts);
   * `switched-off`: a ring not shown because the server's kill switch has calls off.
   */
  readonly event: 'ring' | 'answered' | 'declined' | 'missed' | 'busy' | 'ended' | 'blocked' | 'stranger' | 'hung-up-early' | 'switched-off';
  readonly timestamp: number;
}

export interface GroupMemberRecord {
  readonly accountId: string;
  readonly username: string;
  readonly role: 'admin' | 'member';
  readonly devices: ReadonlyArray<{ readonly deviceId: number; readonly registrationId: number }>;
}

/** A group as this device knows it: the server's membership plus what only members know. */
export interface GroupRecord {
  readonly groupId: string;
  /** The key that seals the group's name; unknown until a member shares it. */
  readonly masterKey?: Uint8Array;
  /** The decrypted name, once the master key is known. */
  readonly name?: string;
  readonly revision: number;
  readonly encryptedAttributes?: Uint8Array;
  readonly members: readonly GroupMemberRecord[];
  /** False once we left or were removed: the history stays, sending stops. */
  readonly active: boolean;
  /** When we found ourselves out of the group (ms): what members sent before that still arrives. */
  readonly leftAt?: number;
  /** Members who left or were removed, and when we learnt it (ms): what they sent before still arrives. */
  readonly departed?: Readonly<Record<string, number>>;
  /**
   * Our current sender key for this group: its distribution id and the member devices
   * ("accountId.deviceId") that have it. Cleared when someone leaves, so it rotates.
   */
  readonly senderKey?: { readonly distributionId: string; readonly sharedWith: readonly string[] };
  /** The server told us of a newer revision than `revision`: refetch before sending. */
  readonly stale?: boolean;
  /**
   * We created it, were added by a contact, or accepted it. Until then the group is a
   * request: no receipts or typing from us.
   */
  readonly accepted?: boolean;
  /** Who added us (account id), for the request. */
  readonly addedBy?: string;
}

/**
 * What we sent recently (encoded content and where to), kept a day so a device that
 * could not decrypt it can ask for it again (a retry request).
 */
export interface SentRecord {
  readonly conversation: ConversationId;
  readonly timestamp: number;
  readonly content: Uint8Array;
  readonly sentAt: number;
  /** The accounts it was for (a group's members then); only they may ask for it again. */
  readonly recipients?: readonly string[];
}
