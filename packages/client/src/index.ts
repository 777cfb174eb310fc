// @parley/client: the SDK core (no Node APIs). Re-exports only.
export { createClient, ParleyClient, type ClientEvent, type ClientOptions } from './client.ts';
export { ClientError, type ClientErrorCode } from './errors.ts';
export { encodeContent, decodeContent, ContentError, type Content, type CallMessage } from './content.ts';
export type { ClientStore, AccountInfo, Contact, StoredMessage, MessageStatus, CallLogEntry } from './store.ts';
export { HttpTransport, type Credentials } from './transport/http.ts';
export { ServerConnection, type WebSocketFactory, type MinimalWebSocket, type ConnectionState } from './transport/socket.ts';
export { describeCallLogEntry } from './call-log.ts';
// Server answers reach apps as WireErrors; apps import them from here, not from @parley/wire.
export { WireError, isWireErrorCode, type WireErrorCode } from '@parley/wire';
