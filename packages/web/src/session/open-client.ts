/**
 * The web app's connection to the SDK: one client per browser profile, its
 * protocol state in IndexedDB, the server the page was loaded from; and forgetting
 * that profile, for a browser that was unlinked and is to be linked again.
 */
import { createClient, type ParleyClient, type WebSocketFactory } from '@parley/client';
import { IdbClientStore } from '@parley/client/browser';

const browserWebSocket: WebSocketFactory = (url) => new WebSocket(url) as unknown as ReturnType<WebSocketFactory>;

export async function openClient(profile = 'default'): Promise<ParleyClient> {
  const store = await IdbClientStore.open(profile);
  return createClient({ serverUrl: location.origin, store, createWebSocket: browserWebSocket });
}

/**
 * Closes `client` and deletes its profile's store (keys, sessions, history), so the
 * browser can be linked or registered anew. Why here: the SDK has no call that
 * deletes a store, so this names IdbClientStore's database (`parley-<profile>`).
 */
export async function forgetProfile(client: ParleyClient, profile = 'default'): Promise<void> {
  client.close();
  await new Promise<void>((resolve, reject) => {
    const r = indexedDB.deleteDatabase(`parley-${profile}`);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error ?? new Error('the browser could not delete the old data'));
  });
}
