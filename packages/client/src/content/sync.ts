/**
 * Sync messages between the devices of one account (accepted only from our own
 * account): a message we sent from another device, what we read there, our
 * contacts (with the profile keys they shared), the groups we are in (with their
 * master keys), our own profile key (new, or our profile changed), and messages we
 * deleted for ourselves.
 */
import { accountId, array, bool, bytes, type Decoder, groupId, invalid, object, oneOf, str, username } from '@parley/wire';
import { attachmentPointer, type AttachmentPointer } from './attachment.ts';
import { contentId, conversationId, header, MAX_IDS_PER_MESSAGE, MAX_TEXT_LENGTH, timestamp } from './fields.ts';
import { quote, type Quote } from './quote.ts';
import { profileKey } from './profile-key.ts';
import { expireSeconds } from './timer.ts';

/** At most this many contacts or groups per sync message (content is limited to 64 KiB). */
export const MAX_SYNC_ITEMS = 200;

export type SyncMessage =
  /** We sent `text` (and an attachment) (content id and time: the header's) to `to` from another device; `username` names a direct chat's other person. */
  | { readonly type: 'sent'; readonly to: string; readonly text: string; readonly username?: string; readonly attachment?: AttachmentPointer; readonly quote?: Quote; readonly expire?: number }
  /** We read these messages on another device. */
  | { readonly type: 'read'; readonly read: ReadonlyArray<{ readonly sender: string; readonly id: string }> }
  | { readonly type: 'contacts'; readonly contacts: ReadonlyArray<{ readonly accountId: string; readonly username: string; readonly accepted: boolean; readonly blocked: boolean; readonly profileKey?: Uint8Array }> }
  | { readonly type: 'groups'; readonly groups: ReadonlyArray<{ readonly groupId: string; readonly masterKey: Uint8Array }> }
  /** Our account's settings changed on another device. */
  | { readonly type: 'settings'; readonly readReceipts: boolean }
  /**
   * Our profile key (made at `createdAt`, our clock, ms), new or unchanged: our profile changed
   * on another device, fetch it. Of two keys made on two devices at once, the later one wins.
   */
  | { readonly type: 'profile-key'; readonly key: Uint8Array; readonly createdAt: number }
  /** We deleted these messages (author's account and content id) for ourselves on another device. */
  | { readonly type: 'delete-for-me'; readonly messages: ReadonlyArray<{ readonly sender: string; readonly id: string }> };

export interface SyncContent {
  readonly kind: 'sync';
  readonly sync: SyncMessage;
}

export { conversationId };

const BY_TYPE: Record<SyncMessage['type'], Decoder<SyncMessage>> = {
  sent: object({ type: oneOf('sent'), to: conversationId, text: str(MAX_TEXT_LENGTH) }, { username, attachment: attachmentPointer, quote, expire: expireSeconds }),
  read: object({ type: oneOf('read'), read: array(object({ sender: accountId, id: contentId }), MAX_IDS_PER_MESSAGE, 1) }),
  contacts: object({ type: oneOf('contacts'), contacts: array(object({ accountId, username, accepted: bool, blocked: bool }, { profileKey }), MAX_SYNC_ITEMS) }),
  settings: object({ type: oneOf('settings'), readReceipts: bool }),
  groups: object({ type: oneOf('groups'), groups: array(object({ groupId, masterKey: bytes(32, 32) }), MAX_SYNC_ITEMS) }),
  'profile-key': object({ type: oneOf('profile-key'), key: profileKey, createdAt: timestamp }),
  'delete-for-me': object({ type: oneOf('delete-for-me'), messages: array(object({ sender: accountId, id: contentId }), MAX_IDS_PER_MESSAGE, 1) }),
};

const syncMessage: Decoder<SyncMessage> = (v, p) => {
  const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  const d = typeof t === 'string' && Object.prototype.hasOwnProperty.call(BY_TYPE, t) ? BY_TYPE[t as SyncMessage['type']] : undefined;
  if (!d) invalid(`${p}.type`, 'unknown sync message type');
  return d(v, p);
};

export const syncContent = object({ ...header, kind: oneOf('sync'), sync: syncMessage });
