/**
 * The SDK's store interface, split by concept. Reads may happen any time through
 * `ClientStore`; every write goes through the handle a transaction hands out
 * (`store.transaction(async (tx) => ...)`), so what one operation changes commits
 * together or not at all, and events are emitted only after the commit. A write
 * through a handle whose transaction has ended throws. Three implementations pass
 * one compliance suite (`compliance.ts`): the in-memory reference (`memory-store.ts`),
 * SQLite (Node) and IndexedDB (browsers).
 */
import type { IdentityKeyPair, ProtocolAddress, ProtocolStore, PublicKey, SenderKeyStore, SessionRecord, TrustLevel } from '@parley/protocol';
import type { AccountInfo, AccountSettings, AttachmentState, CallLogEntry, Contact, ConversationId, ConversationSettings, GroupRecord, MessageStatus, NewMessage, OwnProfile, SentRecord, StoredMessage } from './records.ts';

export interface AccountRead {
  get(): AccountInfo | undefined;
}
export interface AccountWrite extends AccountRead {
  save(a: AccountInfo, identity: IdentityKeyPair): void;
  /** Reserves `count` prekey ids of a kind and returns the first (ids wrap before 2^24). */
  nextPreKeyId(kind: 'ec' | 'kem', count: number): number;
}

export interface ContactsRead {
  byId(accountId: string): Contact | undefined;
  byUsername(username: string): Contact | undefined;
  all(): Contact[];
}
export interface ContactsWrite extends ContactsRead {
  /** Inserts or replaces by account id; a username moves to its newest account. */
  save(c: Contact): void;
}

export interface MessagesRead {
  /** Messages in insertion order, of one conversation or all; `onlyUnseen`: incoming ones not yet seen. */
  list(conversation?: ConversationId, onlyUnseen?: boolean): StoredMessage[];
  find(senderAccountId: string, clientId: string): StoredMessage | undefined;
  /**
   * Chat messages (not system lines or deleted ones) whose text contains `query`, compared
   * case-insensitively (`toLowerCase`, Unicode), newest first, at most `limit`; in one
   * conversation or all. An empty query finds nothing.
   */
  search(query: string, options?: { conversation?: ConversationId; limit?: number }): StoredMessage[];
  /** Messages whose `expiresAt` is at or before `at` (ms), in insertion order. */
  expiring(at: number): StoredMessage[];
  /** The earliest `expiresAt` of any message (undefined: none is counting down). */
  nextExpiry(): number | undefined;
}
export interface MessagesWrite extends MessagesRead {
  /** Inserts a message; undefined when (sender, clientId) is already stored (a duplicate). */
  add(m: NewMessage): StoredMessage | undefined;
  setStatus(senderAccountId: string, clientIds: readonly string[], status: MessageStatus): void;
  /** Moves a message's attachment to `state`; nothing happens for a message without one. */
  setAttachmentState(senderAccountId: string, clientId: string, state: AttachmentState): void;
  /**
   * Marks messages seen. With `at` (ms), a disappearing message's clock starts: `expiresAt`
   * becomes `at + expiresInMs` unless it is already counting down.
   */
  markSeen(rowIds: readonly number[], at?: number): void;
  /** Deletes messages by row id (disappearing messages whose time is up). */
  remove(rowIds: readonly number[]): void;
  /**
   * Rewrites a stored message (found by `rowId`) with what may change after it arrived:
   * body, reactions, edits, deletion, quote, attachment, status, seen. Its row id,
   * conversation, sender and content id stay.
   */
  replace(m: StoredMessage): void;
  deleteConversation(conversation: ConversationId): void;
}

export interface SettingsRead {
  /** The account's settings ({} until one is saved). */
  get(): AccountSettings;
}
export interface SettingsWrite extends SettingsRead {
  save(s: AccountSettings): void;
}

export interface ProfileRead {
  /** Our profile (undefined until its key is first made or synced). */
  get(): OwnProfile | undefined;
}
export interface ProfileWrite extends ProfileRead {
  save(p: OwnProfile): void;
}

export interface ConversationSettingsRead {
  get(conversation: ConversationId): ConversationSettings | undefined;
}
export interface ConversationSettingsWrite extends ConversationSettingsRead {
  save(conversation: ConversationId, settings: ConversationSettings): void;
}

export interface CallLogRead {
  list(): CallLogEntry[];
}
export interface CallLogWrite extends CallLogRead {
  /** Appends. There is no way to delete or rewrite an entry. */
  append(e: CallLogEntry): void;
}

export interface GroupsRead {
  get(groupId: string): GroupRecord | undefined;
  all(): GroupRecord[];
}
export interface GroupsWrite extends GroupsRead {
  save(g: GroupRecord): void;
}

export interface SentLogRead {
  get(conversation: ConversationId, timestamp: number): SentRecord | undefined;
  /** Everything we sent at `timestamp` (ms), in any conversation. */
  at(timestamp: number): SentRecord[];
}
export interface SentLogWrite extends SentLogRead {
  add(r: SentRecord): void;
  /** Drops records sent before `before` (ms). */
  prune(before: number): void;
}

/** What the protocol reads outside a transaction (safety numbers, session checks). */
export interface ProtocolRead {
  getIdentityKeyPair(): Promise<IdentityKeyPair>;
  getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined>;
  getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined>;
  loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined>;
}
/** The protocol's stores, writable: 1:1 sessions, prekeys, identities, sender keys. */
export interface ProtocolWrite extends ProtocolStore, SenderKeyStore, ProtocolRead {
  approveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void>;
  /** Forgets the session with `address` (it is broken; the next send starts a new one). */
  deleteSession(address: ProtocolAddress): Promise<void>;
}

/** The write handle of one transaction. */
export interface StoreTx {
  readonly account: AccountWrite;
  readonly contacts: ContactsWrite;
  readonly messages: MessagesWrite;
  readonly conversationSettings: ConversationSettingsWrite;
  readonly settings: SettingsWrite;
  readonly profile: ProfileWrite;
  readonly callLog: CallLogWrite;
  readonly groups: GroupsWrite;
  readonly sentLog: SentLogWrite;
  readonly protocol: ProtocolWrite;
}

export interface ClientStore {
  readonly account: AccountRead;
  readonly contacts: ContactsRead;
  readonly messages: MessagesRead;
  readonly conversationSettings: ConversationSettingsRead;
  readonly settings: SettingsRead;
  readonly profile: ProfileRead;
  readonly callLog: CallLogRead;
  readonly groups: GroupsRead;
  readonly sentLog: SentLogRead;
  readonly protocol: ProtocolRead;
  /**
   * Runs `fn` atomically with a write handle. Transactions do not nest: the SDK runs
   * one operation at a time, and a second `transaction` while one is open throws.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  close(): void;
}

/** Thrown for a write outside a transaction or a nested transaction: a bug in the caller. */
export class StoreMisuse extends Error {
  override readonly name = 'StoreMisuse';
}
