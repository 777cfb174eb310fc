// @parley/client: the SDK core (no Node APIs). Re-exports only.
export { createClient, ParleyClient, type ClientEvent, type ClientOptions } from './client.ts';
export { ClientError, type ClientErrorCode } from './errors.ts';
export { encodeContent, decodeContent, ContentError, type Content } from './content.ts';
export type { ClientStore, AccountInfo, Contact, StoredMessage, MessageStatus } from './store.ts';
export { HttpTransport, type Credentials } from './transport/http.ts';
export { ServerConnection, type WebSocketFactory, type MinimalWebSocket, type ConnectionState } from './transport/socket.ts';
