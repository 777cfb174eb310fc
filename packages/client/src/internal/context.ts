/**
 * The collaborators every concept module works with, wired once by `createClient`:
 * the store, the transports, the clock, ids, the event bus and the operation lock.
 * Modules take this as their first argument; none keeps state of its own except
 * where its header says so (calls, the retry limiter).
 */
import type { ClientStore } from '../storage/store.ts';
import type { AccountInfo } from '../storage/records.ts';
import type { EventBus } from '../events.ts';
import type { HttpTransport } from '../transport/http.ts';
import type { ServerConnection } from '../transport/socket.ts';
import type { UnidentifiedConnection } from '../transport/unidentified-socket.ts';
import { ClientError } from '../errors.ts';
import type { SenderCertificates } from '../sealed/certificates.ts';
import type { Mutex } from './mutex.ts';

export interface ClientContext {
  readonly store: ClientStore;
  readonly http: HttpTransport;
  readonly events: EventBus;
  /** Operations that write run one at a time under this lock. */
  readonly lock: Mutex;
  readonly now: () => number;
  readonly newId: () => string;
  /** Our sender certificate (sealed sender) and the trust root, cached for this client's life. */
  readonly certificates: SenderCertificates;
  /** The live connection, when connected. */
  connection(): ServerConnection | undefined;
  /** The unidentified connection (sealed sends only), while connected. */
  unidentified(): UnidentifiedConnection | undefined;
  /** Work to run after the current operation (under the lock, later): receipts, repairs. A failure becomes a `background-error` event. */
  later(task: () => Promise<void>, what?: string): void;
}

export function requireAccount(ctx: ClientContext): AccountInfo {
  const a = ctx.store.account.get();
  if (!a) throw new ClientError('NOT_REGISTERED', 'this profile has no account; run `parley register <username>` or `parley link` first');
  return a;
}
