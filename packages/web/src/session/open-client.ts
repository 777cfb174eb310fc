/**
 * The web app's connection to the SDK: one client per browser profile, its
 * protocol state and its attachments in IndexedDB (downloads resume after a
 * reload), the server the page was loaded from; and forgetting that profile, for
 * a browser that was unlinked and is to be linked again.
 */
import { createClient, type ParleyClient, type WebSocketFactory } from '@parley/client';
import { IdbAttachmentFiles, IdbClientStore } from '@parley/client/browser';
import { LocalStorageNoticeKeeper } from '../security/notice-keeper.ts';

const browserWebSocket: WebSocketFactory = (url) => new WebSocket(url) as unknown as ReturnType<WebSocketFactory>;

export interface OpenedClient {
  readonly client: ParleyClient;
  /** The profile's attachment files (closed by forgetProfile, so their database can be deleted). */
  readonly files: IdbAttachmentFiles;
}

export async function openClient(profile = 'default'): Promise<OpenedClient> {
  const store = await IdbClientStore.open(profile);
  const files = await IdbAttachmentFiles.open(profile);
  const noticeKeeper = new LocalStorageNoticeKeeper(localStorage, `parley.notices.${profile}`);
  return { client: createClient({ serverUrl: location.origin, store, createWebSocket: browserWebSocket, attachmentFiles: files, noticeKeeper }), files };
}

/**
 * Closes `client` and deletes its profile's store (keys, sessions, history), so the
 * browser can be linked or registered anew. Why here: the SDK has no call that
 * deletes a store, so this names IdbClientStore's database (`parley-<profile>`).
 */
export async function forgetProfile({ client, files }: OpenedClient, profile = 'default'): Promise<void> {
  client.close();
  files.close();
  for (const db of [`parley-${profile}`, `parley-${profile}-attachments`]) {
    await new Promise<void>((resolve, reject) => {
      const r = indexedDB.deleteDatabase(db);
      r.onsuccess = () => resolve();
      r.onerror = () => reject(r.error ?? new Error('the browser could not delete the old data'));
    });
  }
}
