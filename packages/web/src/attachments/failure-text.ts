/**
 * The short sentence a file card shows when its download failed (the SDK's
 * attachment-failed event): the network or the server's trouble as one plain
 * sentence with what to do; the SDK's own sentence for anything else (a file that
 * did not verify, one that expired). Pure: no DOM.
 */
import { explainFailure } from '../errors.ts';

/** Failures that another try may fix. */
const TRANSIENT: ReadonlySet<string> = new Set(['SERVER_UNREACHABLE', 'TIMEOUT', 'UNAVAILABLE', 'INTERNAL', 'RATE_LIMITED', 'CONFLICT']);

export function downloadFailureText(code: string, error: string): string {
  if (TRANSIENT.has(code)) return 'The server could not send it just now. Check your connection, then retry.';
  return explainFailure(code, error);
}
