// @parley/client/browser: browser-only pieces (IndexedDB store). Re-exports only.
export { IdbClientStore } from './idb-store.ts';
