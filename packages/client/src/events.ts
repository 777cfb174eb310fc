/**
 * What the SDK tells apps, and the bus that tells them. Events describe what has
 * been committed to the store: the receive pipeline and every operation emit only
 * after their transaction has committed.
 */
import type { WireError } from '@parley/wire';
import type { ConversationId, StoredMessage } from './storage/records.ts';
import type { SecurityNotice } from './notices/notices.ts';
import type { ConnectionState } from './transport/socket.ts';

export type ClientEvent =
  | { type: 'message'; message: StoredMessage }
  /**
   * A stored message changed after it arrived: someone reacted (or took a reaction back), its
   * author edited it, or deleted it for everyone (`message.deleted`: show DELETED_TEXT).
   * `message` is as stored now; find it by `senderAccountId` and `clientId`. `by`: who made the
   * change (account id; for a reaction, `message.reactions` has theirs unless they took it back);
   * `at`: when (their clock, ms).
   */
  | { type: 'message-changed'; change: 'reaction' | 'edit' | 'delete'; message: StoredMessage; by: string; at: number }
  | { type: 'receipt'; from: string; receipt: 'delivered' | 'read'; ids: readonly string[] }
  | { type: 'typing'; from: string; conversation: ConversationId; typing: boolean }
  | {
      type: 'call';
      event: 'incoming' | 'accepted' | 'declined' | 'busy' | 'ended' | 'offer' | 'answer' | 'ice';
      callId: string;
      peer: string;
      media: 'audio' | 'video';
      sdp?: string;
      candidate?: string;
      /** For `ended`: 'no-answer' when nobody answered before the ring timed out. */
      reason?: 'no-answer';
    }
  | { type: 'identity-changed'; username: string; safetyNumber: string }
  | { type: 'connection'; state: ConnectionState; error?: WireError }
  /** `code` SEALED_SENDER_REJECTED: a sealed message whose seal or sender certificate was not acceptable (dropped). */
  | { type: 'decrypt-error'; from: string; error: string; code?: 'SEALED_SENDER_REJECTED' }
  /**
   * Strangers' calls that hung up before or right after ringing make a pattern seen in
   * targeted attacks: show a warning offering strict mode (`count` in the last day, by `callers`).
   */
  | { type: 'call-warning'; count: number; callers: readonly string[] }
  /** The operator sent a verified security notice ("update now"): show it; it is kept (client.notices()). */
  | { type: 'security-notice'; notice: SecurityNotice }
  /** A group's membership, name or our place in it changed. */
  | { type: 'group'; groupId: string }
  /** A conversation's settings changed (its disappearing-message timer): read `client.disappearingTimer(conversation)`. */
  | { type: 'conversation-settings'; conversation: ConversationId }
  /** The account's settings changed (here or on another of our devices): read `client.settings()`. */
  | { type: 'settings' }
  /**
   * Someone's profile (name, picture) or profile key changed, ours included (set on another
   * device, or a new key): read `client.profileOf(username)` (or `client.profile()` for ours).
   */
  | { type: 'profile-changed'; accountId: string; username: string }
  /** Our contacts or their states changed (a sync from another of our devices, a request accepted). */
  | { type: 'contacts' }
  /**
   * Messages changed without arriving (read on another device, a conversation deleted,
   * disappearing messages or messages deleted for me): re-read them. `removed`: some were
   * deleted from this device (their files go too).
   */
  | { type: 'messages'; conversation?: ConversationId; removed?: true }
  /** Work the SDK did in the background failed (a receipt, a retry, a key top-up); for logs, not for people. */
  | { type: 'background-error'; task: string; error: string }
  /** A message's attachment changed state (downloaded, invalid, expired); `message` is as stored now. */
  | { type: 'attachment'; message: StoredMessage }
  /** A download is under way: `done` of `total` bytes (ciphertext), at most every 1%. */
  | { type: 'attachment-progress'; message: StoredMessage; done: number; total: number }
  /**
   * A transfer failed (never for one cancelled by its `signal`). A download: fired after the
   * message's new state (`invalid`, `expired`) was committed, or, for a failure worth another try
   * (the network, the server), with the state left `remote` and what arrived kept to resume from;
   * `message` is as stored now. An upload: nothing was sent (`fileName` as given). `code` is the
   * typed error's code, `error` its sentence.
   */
  | { type: 'attachment-failed'; transfer: 'download'; message: StoredMessage; code: string; error: string }
  | { type: 'attachment-failed'; transfer: 'upload'; conversation: ConversationId; fileName?: string; code: string; error: string };

export type Listener = (e: ClientEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  emit(e: ClientEvent): void {
    for (const l of this.listeners) l(e);
  }

  emitAll(events: readonly ClientEvent[]): void {
    for (const e of events) this.emit(e);
  }
}
