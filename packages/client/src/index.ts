// @parley/client: the SDK core (no Node APIs). Re-exports only.
export { createClient, ParleyClient, AUTO_DOWNLOAD_MAX_BYTES, type ClientOptions } from './client.ts';
export type { AttachmentMeta, SendAttachmentOptions, TransferOptions } from './attachments/attachments.ts';
export { MemoryAttachmentFiles, bytesSource, blobSource, readAll, toBlob, type AttachmentFiles, type AttachmentSource, type AttachmentSink, type Spool } from './attachments/files.ts';
export type { AttachmentPointer } from './content/attachment.ts';
export { safeFileName } from './attachments/file-name.ts';
export type { ClientEvent, Listener } from './events.ts';
export { ClientError, type ClientErrorCode } from './errors.ts';
export { encodeContent, decodeContent, ContentError, type Content, type ContentKind } from './content/codec.ts';
export type { CallMessage } from './content/call.ts';
export type { AccountInfo, AttachmentState, Contact, ConversationId, StoredAttachment, StoredMessage, MessageStatus, CallLogEntry, GroupRecord, GroupMemberRecord } from './storage/records.ts';
export type { ClientStore, StoreTx } from './storage/store.ts';
export { StoreMisuse } from './storage/store.ts';
export { MemoryClientStore } from './storage/memory-store.ts';
export type { ConversationSummary } from './conversations/conversations.ts';
export { directConversation, groupConversation, isConversationId, parseConversation } from './conversations/ids.ts';
export { groupTitle } from './groups/records.ts';
export { MAX_GROUP_NAME_LENGTH } from './groups/attributes.ts';
export type { DeviceInfo } from './devices/devices.ts';
export type { LinkProgress } from './devices/link.ts';
export { parseLinkCode } from './devices/provisioning.ts';
export { describeCallLogEntry } from './calls/describe.ts';
export { checkNotices, MemoryNoticeKeeper, type KeptNotices, type NoticeCheck, type NoticeKeeper, type NoticeRejection, type SecurityNotice } from './notices/notices.ts';
export { EARLY_HANGUP_MS, SUSPICIOUS_CALLS_THRESHOLD, SUSPICION_WINDOW_MS, type CallSuspicion } from './calls/suspicion.ts';
export { RING_TIMEOUT_MS } from './calls/calls.ts';
export { HttpTransport, type Credentials } from './transport/http.ts';
export { ServerConnection, type WebSocketFactory, type MinimalWebSocket, type ConnectionState } from './transport/socket.ts';
// What apps need from the wire protocol, so they import the SDK only.
export { WireError, isWireErrorCode, PARLEY_VERSION, base64Decode, base64Encode, type Feature, type WireErrorCode } from '@parley/wire';
