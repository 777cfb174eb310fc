/**
 * The server's storage interface, split by concept (accounts, devices, keys, the
 * message queue, groups, provisioning channels, attachment uploads, profiles); `Storage` combines them. Every method is async so that a
 * networked database (PostgreSQL) can implement it; SQLite does now. Every adapter
 * runs the one compliance suite in `compliance.ts`.
 *
 * Storage never reads a clock: every time it stamps is passed in by the caller.
 * Everything stored is public key material, opaque ciphertext, or keyed hashes.
 */

export interface AccountRow {
  readonly id: string;
  readonly username: string;
  readonly identityKey: Uint8Array;
}

export interface DeviceRow {
  readonly accountId: string;
  readonly deviceId: number;
  readonly registrationId: number;
  readonly passwordHash: Uint8Array;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** Sealed by the account's devices; the server cannot read it. */
  readonly encryptedName: Uint8Array | undefined;
}

/** A device as it registers (its id is chosen by storage, or 1 for a new account). */
export interface NewDevice {
  readonly registrationId: number;
  readonly passwordHash: Uint8Array;
  readonly encryptedName?: Uint8Array | undefined;
}

/** The outcome of linking a device with a link token. */
export type LinkResult =
  | { readonly status: 'linked'; readonly account: AccountRow; readonly deviceId: number }
  /** No such token, or it expired, or it was used. */
  | { readonly status: 'expired' }
  /** The account has the most active devices allowed (the token is kept for a retry). */
  | { readonly status: 'too-many' };

export interface DeviceLimits {
  /** Active devices an account may have. */
  readonly maxDevices: number;
  /** The largest device id the protocol can carry; ids are never reused, so linking stops there. */
  readonly maxDeviceId: number;
}

export interface ProvisioningChannel {
  readonly id: string;
  /** The new device's ephemeral public key. */
  readonly publicKey: Uint8Array;
  readonly readTokenHash: Uint8Array;
  readonly expiresAt: number;
}

export interface SignedKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
}

export interface OneTimeKey {
  readonly keyId: number;
  readonly publicKey: Uint8Array;
}

export interface DeviceKeys {
  readonly deviceId: number;
  readonly registrationId: number;
  readonly signedPreKey: SignedKey;
  /** A one-time KEM prekey if any is left, else the last-resort one. */
  readonly pqPreKey: SignedKey;
  readonly preKey: OneTimeKey | undefined;
}

/** A device's keys as uploaded; absent signed / last-resort keys are left as they are. */
export interface KeyUpload {
  readonly preKeys?: readonly OneTimeKey[] | undefined;
  readonly pqPreKeys?: readonly SignedKey[] | undefined;
  readonly signedPreKey?: SignedKey | undefined;
  readonly pqLastResort?: SignedKey | undefined;
}

/** The keys a device registers with: replaced later by uploads. */
export interface InitialKeys {
  readonly signedPreKey: SignedKey;
  readonly pqLastResort: SignedKey;
}

export interface DeviceAddress {
  readonly accountId: string;
  readonly deviceId: number;
}

/**
 * 1:1 Signal messages, Sender Key group messages, server-written group changes, and
 * sealed-sender messages (whose sender is inside the encryption: the server never knows it).
 */
export type EnvelopeType = 'prekey' | 'whisper' | 'senderkey' | 'group-update' | 'sealed';

/**
 * An envelope as queued for one device (the destination is the queue it is in).
 * The source fields are all present, except for a `sealed` envelope, which has none
 * (storage keeps NULL in their columns): see `sealedEnvelope`.
 */
export interface StoredEnvelope {
  /** Assigned by storage; increasing per device queue. */
  readonly id: number;
  readonly sourceAccountId?: string | undefined;
  readonly sourceUsername?: string | undefined;
  readonly sourceDeviceId?: number | undefined;
  readonly timestamp: number;
  readonly serverTimestamp: number;
  readonly messageType: EnvelopeType;
  readonly content: Uint8Array;
  readonly ephemeral: boolean;
  /** Set for `senderkey` and `group-update` envelopes only. */
  readonly groupId?: string | undefined;
}

/** What an envelope carries, apart from its id and destination. */
export type EnvelopeFields = Omit<StoredEnvelope, 'id'>;

export interface NewEnvelope extends EnvelopeFields {
  readonly destinationAccountId: string;
  readonly destinationDeviceId: number;
}

/** A stored envelope with the queue it is in (what connections are woken with). */
export interface DestinedEnvelope extends StoredEnvelope {
  readonly destination: DeviceAddress;
}

/** One envelope for many devices (a group message): its content is stored once. */
export interface Fanout {
  readonly envelope: EnvelopeFields;
  readonly to: readonly DeviceAddress[];
}

/**
 * One caller's envelopes in an `enqueueBatch`, stored together or not at all:
 * either one envelope per device with its own content (a 1:1 message), or a fanout,
 * which may require its group to be still at the revision it was checked against.
 */
export type EnqueueItem =
  | { readonly envelopes: readonly NewEnvelope[]; readonly quota?: QueueQuota }
  | { readonly fanout: Fanout; readonly ifGroupRevision?: { readonly groupId: string; readonly revision: number }; readonly quota?: QueueQuota };

/**
 * Bounds an item must keep in every queue it writes to, counted in the same
 * transaction as the write (so they hold exactly under any concurrency, on any
 * number of nodes): after the item, each destination queue holds at most
 * `maxPerDevice` envelopes and `maxBytesPerDevice` content bytes, and at most
 * `maxPerSender` envelopes from the item's sender account. A sealed item has no
 * sender to count: its bucket is the queue's sealed envelopes, at most `maxSealed`
 * (so one leaked access key cannot fill a whole inbox).
 */
export interface QueueQuota {
  readonly maxPerDevice: number;
  readonly maxBytesPerDevice: number;
  readonly maxPerSender: number;
  readonly maxSealed: number;
}

/** An item's quota bucket: its sender account, or `undefined` for sealed envelopes (no sender known). */
export function senderOf(e: EnvelopeFields): string | undefined {
  return e.messageType === 'sealed' ? undefined : e.sourceAccountId;
}

/**
 * An item's ids (envelopes in order, or the fanout's destinations in order);
 * 'group-changed' when its revision check failed, 'queue-full' when it would break its
 * quota: then nothing of it was stored.
 */
export type EnqueueResult = readonly number[] | 'group-changed' | 'queue-full';

export type GroupRole = 'admin' | 'member';

export interface GroupMemberRecord {
  readonly accountId: string;
  readonly username: string;
  readonly role: GroupRole;
  /** The member's active devices, in id order. */
  readonly devices: ReadonlyArray<{ readonly deviceId: number; readonly registrationId: number }>;
}

export interface GroupRecord {
  readonly groupId: string;
  /** 0 at creation; +1 with every change. */
  readonly revision: number;
  readonly encryptedAttributes: Uint8Array;
  /** In the order they joined (the creator first). */
  readonly members: readonly GroupMemberRecord[];
}

export interface NewGroup {
  readonly groupId: string;
  readonly encryptedAttributes: Uint8Array;
  /** In joining order. */
  readonly members: ReadonlyArray<{ readonly accountId: string; readonly role: GroupRole }>;
}

/** A change computed against revision `fromRevision`; applied only if the group is still there. */
export interface GroupChange {
  readonly groupId: string;
  readonly fromRevision: number;
  /** Joined in this order, after the current members. */
  readonly add: ReadonlyArray<{ readonly accountId: string; readonly role: GroupRole }>;
  readonly remove: readonly string[];
  readonly roles: ReadonlyArray<{ readonly accountId: string; readonly role: GroupRole }>;
  readonly encryptedAttributes?: Uint8Array | undefined;
}

/**
 * The `group-update` envelope a change writes (content: the event for the new
 * revision), into the queue of every device of every account that is a member
 * before or after the change, in the same transaction as the change.
 */
export type GroupUpdate = Omit<EnvelopeFields, 'messageType' | 'groupId' | 'ephemeral'>;

export type GroupWrite =
  | { readonly status: 'done'; readonly revision: number; readonly envelopes: readonly DestinedEnvelope[] }
  /** createGroup: the id exists; changeGroup: the group is gone or no longer at `fromRevision`. Nothing was written. */
  | { readonly status: 'conflict' };

export interface AccountStore {
  /**
   * Creates the account and its first device (id 1, with its signed and last-resort
   * keys) atomically, stamped `at`; false if the username is taken.
   */
  createAccount(account: AccountRow, device: NewDevice, keys: InitialKeys, at: number): Promise<boolean>;
  accountByUsername(username: string): Promise<AccountRow | undefined>;
  accountById(id: string): Promise<AccountRow | undefined>;
  /** The accounts among these ids that exist (one query, however many). */
  accountsByIds(ids: readonly string[]): Promise<AccountRow[]>;
}

export interface DeviceStore {
  /** An active (linked) device. */
  device(accountId: string, deviceId: number): Promise<DeviceRow | undefined>;
  /** The account's active devices in id order. */
  devices(accountId: string): Promise<DeviceRow[]>;
  /** When this device was unlinked, if it was: its tombstone. */
  unlinkedAt(accountId: string, deviceId: number): Promise<number | undefined>;
  /** Records that the device was seen at `at`. */
  touchDevice(accountId: string, deviceId: number, at: number): Promise<void>;
  /** Replaces an active device's password hash (credential rotation). False if there is no such active device. */
  changePassword(accountId: string, deviceId: number, passwordHash: Uint8Array): Promise<boolean>;
  /** Stores a link token (its keyed hash) for the account, valid until `expiresAt`. */
  createLinkToken(accountId: string, tokenHash: Uint8Array, expiresAt: number): Promise<void>;
  /**
   * Adds a device to the token's account, atomically: consumes the token (unknown,
   * used or expired at `at`: 'expired'), gives the device the next id never used by
   * the account, stores its keys. Over `limits`: 'too-many', and the token is kept.
   */
  linkDevice(tokenHash: Uint8Array, device: NewDevice, keys: InitialKeys, at: number, limits: DeviceLimits): Promise<LinkResult>;
  /**
   * Unlinks an active device, atomically: deletes its queue, keys and password and
   * leaves a tombstone stamped `at`. False if there is no such active device.
   */
  unlinkDevice(accountId: string, deviceId: number, at: number): Promise<boolean>;
  /** Drops link tokens expired at `now`; answers how many. */
  dropExpiredLinkTokens(now: number): Promise<number>;
}

/**
 * Groups: membership and roles, kept with a revision. Every write also writes its
 * `group-update` envelopes, atomically, so members see changes in order with the
 * messages around them. A group whose last member leaves is deleted.
 */
export interface GroupStore {
  /** Creates the group at revision 0 with its update envelopes; 'conflict' if the id exists. */
  createGroup(group: NewGroup, update: GroupUpdate, at: number): Promise<GroupWrite>;
  group(groupId: string): Promise<GroupRecord | undefined>;
  /** The groups this account is a member of, in the order it joined them. */
  groupsOf(accountId: string): Promise<GroupRecord[]>;
  /** How many groups each of these accounts is in (accounts in none are left out). */
  groupCounts(accountIds: readonly string[]): Promise<Map<string, number>>;
  /** Applies the change as revision fromRevision + 1 with its update envelopes, or writes nothing ('conflict'). */
  changeGroup(change: GroupChange, update: GroupUpdate, at: number): Promise<GroupWrite>;
}

/**
 * Provisioning channels: short-lived mailboxes through which an existing device
 * hands a new one, end-to-end encrypted, what it needs to link. A channel expired
 * at `now` behaves as if it did not exist.
 */
export interface ProvisioningStore {
  /** Opens a channel; false if the id is in use (the caller draws another). */
  openChannel(channel: ProvisioningChannel): Promise<boolean>;
  channel(id: string, now: number): Promise<ProvisioningChannel | undefined>;
  /** Leaves the one message a channel carries: 'conflict' if one was left before. */
  putChannelMessage(id: string, message: Uint8Array, now: number): Promise<'stored' | 'conflict' | 'expired'>;
  /** Takes the waiting message (deleting it), if there is one. */
  takeChannelMessage(id: string, now: number): Promise<Uint8Array | undefined>;
  /** Drops channels expired at `now`; answers how many. */
  dropExpiredChannels(now: number): Promise<number>;
}

export interface KeyStore {
  /** Stores uploaded keys for a device (replacing signed / last-resort keys when given). */
  storeKeys(accountId: string, deviceId: number, keys: KeyUpload): Promise<void>;
  preKeyCounts(accountId: string, deviceId: number): Promise<{ preKeys: number; pqPreKeys: number }>;
  /**
   * Public keys of a device, consuming one one-time EC prekey and one one-time KEM prekey;
   * with `oneTime` false, none (no one-time EC key, the last-resort KEM key), consuming nothing.
   */
  takeDeviceKeys(accountId: string, deviceId: number, oneTime?: boolean): Promise<DeviceKeys | undefined>;
}

export interface MessageQueue {
  /**
   * True when a queue's ids are 1, 2, 3, ... with no gaps (PostgreSQL): then an
   * envelope whose id follows the last one a connection sent can go out without a
   * read, even when other nodes write the same queue. Otherwise ids only increase
   * (SQLite, one process, where every write is seen in order).
   */
  readonly queueIdsDense?: boolean;
  /**
   * Several callers' envelopes in one durable transaction (group commit): all or
   * nothing; an item whose group revision check fails stores nothing and is answered
   * 'group-changed', one over its quota 'queue-full'; the others are stored.
   */
  enqueueBatch(items: readonly EnqueueItem[]): Promise<EnqueueResult[]>;
  /** Envelopes for a device with id > afterId, in id order, at most `limit`. */
  pending(accountId: string, deviceId: number, afterId: number, limit: number): Promise<StoredEnvelope[]>;
  queueLength(accountId: string, deviceId: number): Promise<number>;
  /** The devices of these accounts whose queues hold at least `limit` envelopes (one query, however many accounts). */
  fullQueues(accountIds: readonly string[], limit: number): Promise<DeviceAddress[]>;
  /** Deletes acknowledged envelopes in one transaction; answers how many existed. */
  ackBatch(items: ReadonlyArray<DeviceAddress & { readonly id: number }>): Promise<number>;
  /** Drops ephemeral envelopes stored before `olderThan` (ms); answers how many. */
  dropExpiredEphemeral(olderThan: number): Promise<number>;
}

/**
 * An attachment's metadata (its bytes are in the blob store, under its id): who
 * uploads it, how large it will be, how much of it is durable, and when it goes.
 */
export interface AttachmentRecord {
  /** Random, unguessable (the download capability); also the blob's key. */
  readonly id: string;
  readonly ownerAccountId: string;
  readonly ownerDeviceId: number;
  /** The exact size of the finished blob. */
  readonly size: number;
  /** Bytes durable in the blob store; the upload is finished when this is `size`. */
  readonly committed: number;
  readonly createdAt: number;
  /** Unfinished: when the upload is abandoned. Finished: when the blob is deleted. */
  readonly expiresAt: number;
}

/**
 * Attachment uploads. Storage keeps only metadata; the server deletes a blob
 * before its record, so a record can outlive its blob briefly but a blob never
 * outlives its record for long (the sweeper deletes blobs without one).
 */
export interface AttachmentStore {
  /** Records a new upload (committed 0); false if the id is taken (the caller draws another). */
  createAttachment(a: Omit<AttachmentRecord, 'committed'>): Promise<boolean>;
  attachment(id: string): Promise<AttachmentRecord | undefined>;
  /**
   * Moves `committed` from `from` to `to`, only if it is still `from` (else false, nothing
   * changes). When `to` reaches the size, the upload is finished and `expiresAt` becomes
   * `finishedExpiresAt`.
   */
  commitAttachment(id: string, from: number, to: number, finishedExpiresAt: number): Promise<boolean>;
  /** How many unfinished uploads the account has. */
  pendingUploads(accountId: string): Promise<number>;
  /** Up to `limit` ids of attachments expired at `now` (finished or abandoned), oldest first. */
  expiredAttachments(now: number, limit: number): Promise<string[]>;
  /** Which of these ids have a record (one query, however many). */
  existingAttachments(ids: readonly string[]): Promise<Set<string>>;
  deleteAttachment(id: string): Promise<void>;
}

/** An account's encrypted profile: sealed by its devices with the profile key, which the server never sees. */
export interface ProfileRecord {
  readonly accountId: string;
  /** Derived from the profile key: only holders of the key can name it. */
  readonly version: string;
  /** The encrypted, padded profile name. */
  readonly name: Uint8Array;
  /** The encrypted profile picture, if it has one. */
  readonly avatar: Uint8Array | undefined;
  /** The unidentified-access key (sealed sender), derived from the profile key. */
  readonly accessKey: Uint8Array;
  readonly updatedAt: number;
}

/** Profiles: one current version per account; setting one replaces the previous entirely. */
export interface ProfileStore {
  setProfile(p: ProfileRecord): Promise<void>;
  /** The account's current profile, if it ever set one. */
  profile(accountId: string): Promise<ProfileRecord | undefined>;
  /** The account's current access key, if it set a profile. */
  accessKey(accountId: string): Promise<Uint8Array | undefined>;
}

export interface Storage extends AccountStore, DeviceStore, KeyStore, MessageQueue, GroupStore, ProvisioningStore, AttachmentStore, ProfileStore {
  close(): Promise<void>;
}

/**
 * The storage engine cannot take the request now: a networked database restarting or
 * unreachable, the disk full, the database file locked by another program. Nothing
 * was written, or a commit's outcome is unknown. Retryable; answered UNAVAILABLE with
 * `says` (what the client is told: never the driver's wording, which can name hosts
 * and paths). An adapter throws it instead of its driver's errors.
 */
export class StorageUnavailable extends Error {
  override readonly name = 'StorageUnavailable';
  constructor(
    readonly reason: string,
    readonly says = 'the database cannot be reached',
  ) {
    super(`storage unavailable: ${reason}`);
  }
}
