/**
 * Handing encrypted copies to the server: over the live socket when it is up (one
 * frame, no HTTP exchange), else, or when the socket drops before answering, over
 * HTTP. A retry after a lost answer may store a copy twice; recipients drop it by
 * message id. Used by 1:1 sends (outbox.ts) and group sends (groups/send.ts).
 */
import { WireError } from '@parley/wire';
import type { ClientContext } from '../internal/context.ts';
import type { ServerConnection } from '../transport/socket.ts';

export async function deliver(ctx: ClientContext, viaSocket: (conn: ServerConnection) => Promise<unknown>, viaHttp: () => Promise<unknown>): Promise<void> {
  const conn = ctx.connection();
  if (conn?.ready) {
    try {
      await viaSocket(conn);
      return;
    } catch (e) {
      if (!(e instanceof WireError) || (e.code !== 'SERVER_UNREACHABLE' && e.code !== 'TIMEOUT')) throw e;
    }
  }
  await viaHttp();
}
