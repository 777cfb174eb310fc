/** Error sentences a person understands. */
import { ClientError, WireError } from '@parley/client';

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
      default:
        return e.describe();
    }
  }
  if (e instanceof ClientError) return e.message;
  return `Something went wrong: ${(e as Error)?.message ?? String(e)}`;
}
