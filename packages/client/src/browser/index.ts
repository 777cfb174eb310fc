// @parley/client/browser: browser-only pieces (IndexedDB store and attachment files). Re-exports only.
export { IdbClientStore } from './idb-store.ts';
export { IdbAttachmentFiles } from './idb-files.ts';
