/**
 * Remembered access-key refusals. When the server refuses a contact's access key for
 * a sealed send (ACCESS_KEY_REFUSED: they rotated their profile key, for instance
 * after blocking us, or the account is gone), the profile key that key came from is
 * kept on their contact record (`sealedRefusedKey`, in the client store). While their
 * profile key is still that one, sends to them go identified with no sealed attempt
 * first, which would only be refused again. A new profile key from them (shared when
 * they rotate it and we are still their contact) ends it by itself.
 */
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { deriveAccessKey } from '../profiles/access-key.ts';
import { sameKey } from '../profiles/profile-key.ts';
import type { Contact } from '../storage/records.ts';

/** Whether the server refused the access key of `contact`'s current profile key. */
export function sealedRefused(contact: Contact): boolean {
  return sameKey(contact.sealedRefusedKey, contact.profileKey);
}

/**
 * Remembers that the server refused `accessKey` for `accountId`, when it is still the one
 * derived from their profile key (a key that arrived meanwhile gets its own sealed attempt).
 * Opens its own transaction: call it under the operation lock, outside transactions.
 */
export async function rememberRefusal(ctx: ClientContext, accountId: string, accessKey: Uint8Array): Promise<void> {
  requireAccount(ctx);
  await ctx.store.transaction(async (tx) => {
    const c = tx.contacts.byId(accountId);
    if (!c?.profileKey || !sameKey(deriveAccessKey(c.profileKey), accessKey)) return;
    tx.contacts.save({ ...c, sealedRefusedKey: c.profileKey });
  });
}
