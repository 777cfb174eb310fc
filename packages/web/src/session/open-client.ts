/**
 * The web app's connection to the SDK: one client per browser profile, its
 * protocol state in IndexedDB, the server the page was loaded from.
 */
import { createClient, type ParleyClient, type WebSocketFactory } from '@parley/client';
import { IdbClientStore } from '@parley/client/browser';

const browserWebSocket: WebSocketFactory = (url) => new WebSocket(url) as unknown as ReturnType<WebSocketFactory>;

export async function openClient(profile = 'default'): Promise<ParleyClient> {
  const store = await IdbClientStore.open(profile);
  return createClient({ serverUrl: location.origin, store, createWebSocket: browserWebSocket });
}
