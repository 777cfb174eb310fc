/**
 * Refusals by the disk or by another program, told apart from bugs: a full disk, a
 * database file locked by another program, an I/O error. Each becomes
 * `StorageUnavailable` with what the client is told (a retryable UNAVAILABLE that says
 * what happened and what to do); anything else is passed through unchanged. Used by
 * the SQLite adapter and the local-disk blob store.
 */
import { StorageUnavailable } from './storage.ts';

/** `e` as StorageUnavailable when it is the disk or another program refusing, not a bug; else `e` itself. */
export function driverRefusal(e: unknown): unknown {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return e;
  const reason = `${code}: ${(e as Error).message}`;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new StorageUnavailable(reason, "the server's disk is full, so nothing was stored; try again later");
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StorageUnavailable(reason, "the server's database is locked by another program, so nothing was stored; try again in a few seconds");
  }
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO') {
    return new StorageUnavailable(reason, "the server's disk failed a read or write, so this may not have been stored; try again later");
  }
  return e;
}
