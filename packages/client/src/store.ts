/**
 * The client's persistent store: the protocol's stores plus app data (account,
 * contacts, messages, processed-message ids). The Node implementation is SQLite
 * (`node/sqlite-store.ts`); the browser one (IndexedDB) comes with the web app.
 */
import type { IdentityKeyPair, ProtocolAddress, ProtocolStore, PublicKey, TrustLevel } from '@parley/protocol';

export interface AccountInfo {
  readonly serverUrl: string;
  readonly accountId: string;
  readonly deviceId: number;
  readonly username: string;
  readonly password: Uint8Array;
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
}

export type MessageStatus = 'sending' | 'sent' | 'delivered' | 'read' | 'received';

export interface StoredMessage {
  readonly rowId: number;
  /** The other person's username. */
  readonly conversation: string;
  readonly direction: 'in' | 'out';
  readonly clientId: string;
  readonly senderAccountId: string;
  readonly timestamp: number;
  readonly body: string;
  readonly status: MessageStatus;
  readonly seen: boolean;
}

/** One line of the append-only call log: every attempt, answered or not, from anyone. */
export interface CallLogEntry {
  readonly callId: string;
  readonly peer: string;
  readonly direction: 'in' | 'out';
  readonly media: 'audio' | 'video';
  readonly event: 'ring' | 'answered' | 'declined' | 'missed' | 'busy' | 'ended' | 'blocked' | 'stranger';
  readonly timestamp: number;
}

export interface ClientStore extends ProtocolStore {
  /** Runs `fn` atomically: every store write inside commits together or not at all. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  getAccount(): AccountInfo | undefined;
  saveAccount(a: AccountInfo, identity: IdentityKeyPair): void;
  approveIdentity(address: ProtocolAddress, key: PublicKey): Promise<void>;
  getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined>;
  nextPreKeyId(kind: 'ec' | 'kem', count: number): number;
  contactByUsername(username: string): Contact | undefined;
  contactById(accountId: string): Contact | undefined;
  saveContact(c: Contact): void;
  /** Inserts a message; returns false when (sender, clientId) was already stored. */
  addMessage(m: Omit<StoredMessage, 'rowId' | 'seen'>): boolean;
  setStatus(senderAccountId: string, clientIds: readonly string[], status: MessageStatus): void;
  messages(conversation?: string, onlyUnseen?: boolean): StoredMessage[];
  markSeen(rowIds: readonly number[]): void;
  deleteConversation(conversation: string): void;
  /** Appends to the call log. There is no way to delete or rewrite an entry. */
  addCallLogEntry(e: CallLogEntry): void;
  callLog(): CallLogEntry[];
  close(): void;
}
