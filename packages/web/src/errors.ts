/**
 * Error sentences a person understands. The SDK's messages are written for every
 * app (some name CLI commands); where the web app offers its own way out, it says
 * that instead.
 */
import { ClientError, isWireErrorCode, WireError, type ClientErrorCode } from '@parley/client';

export function explain(e: unknown): string {
  if (e instanceof WireError) {
    switch (e.code) {
      case 'USERNAME_TAKEN':
        return 'That username is taken. Choose another one.';
      case 'BAD_REQUEST':
      case 'INVALID_USERNAME':
        return 'Usernames have 3 to 32 characters: lowercase letters, digits and _, starting with a letter.';
      case 'UPGRADE_REQUIRED':
        return `This version of Parley is too old for the server (${e.message}). Reload the page to update.`;
      case 'SERVER_UNREACHABLE':
      case 'TIMEOUT':
        return 'You are offline: the server cannot be reached. Parley keeps trying.';
      case 'DEVICE_UNLINKED':
        return 'This browser was unlinked from its account. Link it again from a device that is still linked.';
      case 'TOO_MANY_DEVICES':
        return 'This account has the most linked devices allowed. Unlink one (Settings, Linked devices), then try again.';
      case 'LINK_EXPIRED':
        return 'The link code expired or was already used. Start again on the new device to get a new code.';
      default:
        return e.describe();
    }
  }
  if (e instanceof ClientError) return sentence(e.message);
  return `Something went wrong: ${(e as Error)?.message ?? String(e)}`;
}

/** The sentence for a failure the SDK reported as an event (a code and its message), as `explain` says it. */
export function explainFailure(code: string, message: string): string {
  return explain(isWireErrorCode(code) ? new WireError(code, message) : new ClientError(code as ClientErrorCode, message));
}

/** "there is no Parley user named zed; check the spelling" -> "There is no Parley user named zed; check the spelling." */
function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  return `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
