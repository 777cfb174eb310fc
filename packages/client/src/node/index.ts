// @parley/client/node: Node-only pieces (SQLite store, `ws` WebSockets). Re-exports only.
export { SqliteClientStore } from './sqlite-store.ts';
export { nodeWebSocket } from './ws.ts';
export { DirectoryAttachmentFiles, fileSource, saveAttachment } from './files.ts';
export { FileNoticeKeeper } from './notice-file.ts';
