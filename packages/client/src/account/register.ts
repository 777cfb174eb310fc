/**
 * Creating an account on this device: identity, registration id, password and
 * prekeys are generated here; only public keys and a password (kept by the server
 * as a keyed hash) leave the device.
 */
import { IdentityKeyPair } from '@parley/protocol';
import { USERNAME_PATTERN, WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import type { ClientContext } from '../internal/context.ts';
import { randomBytes, registrationId } from '../internal/random.ts';
import type { AccountInfo } from '../storage/records.ts';
import { initialKeys, publicSigned, saveInitialKeys, topUpPreKeys } from './prekeys.ts';

export async function register(ctx: ClientContext, username: string, onProgress?: (step: string) => void): Promise<AccountInfo> {
  const existing = ctx.store.account.get();
  if (existing) throw new ClientError('ALREADY_REGISTERED', `this profile is already registered as ${existing.username}; use another --profile`);
  // Checked here too, so a bad name gets its own code and sentence before any key is made.
  if (!USERNAME_PATTERN.test(username.toLowerCase())) throw new WireError('INVALID_USERNAME', `"${username.slice(0, 40)}" is not a valid username`);
  onProgress?.('generating identity and prekeys');
  const identity = IdentityKeyPair.generate();
  const regId = registrationId();
  const password = randomBytes(32);
  const keys = initialKeys(identity, ctx.now());
  onProgress?.('registering with the server');
  const res = await ctx.http.register({
    username: username.toLowerCase(),
    password,
    registrationId: regId,
    identityKey: identity.publicKey.serialize(),
    signedPreKey: publicSigned(keys.signed),
    pqLastResortPreKey: publicSigned(keys.lastResort),
  });
  const account: AccountInfo = { serverUrl: ctx.http.baseUrl, accountId: res.accountId, deviceId: res.deviceId, username: res.username, password, registrationId: regId };
  await ctx.lock.run(() =>
    ctx.store.transaction(async (tx) => {
      tx.account.save(account, identity);
      await saveInitialKeys(tx, keys);
      // Our own account, for our other devices later (never a conversation).
      tx.contacts.save({ accountId: account.accountId, username: account.username, deviceIds: [account.deviceId], accepted: true });
    }),
  );
  ctx.http.credentials = { accountId: account.accountId, deviceId: account.deviceId, password };
  onProgress?.('uploading one-time prekeys');
  await ctx.lock.run(() => topUpPreKeys(ctx, true));
  return account;
}
