/**
 * Linking a device to an existing account, as WhatsApp Web does: the new device
 * opens a provisioning channel and shows a code; the user enters or scans it on a
 * device already linked, which sends the account's identity (with a one-time link
 * token from the server) end-to-end encrypted through the channel; the new device
 * registers itself with the token. The identity private key never reaches the
 * server; the account's profile key travels with it. Then the existing device sends
 * the new one our contacts and groups.
 */
import { IdentityKeyPair, PrivateKey, PublicKey } from '@parley/protocol';
import { accountId, base64Encode, bytes, deviceId, object, int, username, WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { randomBytes, registrationId } from '../internal/random.ts';
import { initialKeys, publicSigned, saveInitialKeys, topUpPreKeys } from '../account/prekeys.ts';
import { fromServer } from '../groups/records.ts';
import { profileKey } from '../content/profile-key.ts';
import { ownProfileKey } from '../profiles/profile-key.ts';
import { fetchOwnProfile } from '../profiles/profiles.ts';
import type { AccountInfo } from '../storage/records.ts';
import { syncEverything } from '../sync/sync.ts';
import { sealDeviceName } from './names.ts';
import { decryptProvisioning, encryptProvisioning, formatLinkCode, linkQrPayload, newSecret, parseLinkCode, type LinkCode } from './provisioning.ts';

/** What the existing device tells the new one, inside the encryption. */
const provisioningMessage = object(
  { v: int(1, 1), accountId, username, identity: bytes(60, 200), linkToken: bytes(32, 32), from: deviceId },
  // The account's profile key, so the new device never makes one of its own.
  { profileKey, profileKeyCreatedAt: int(0, Number.MAX_SAFE_INTEGER) },
);

export interface LinkProgress {
  /** The code to show (text and QR payload), once the channel is open. */
  onCode(code: string, qrPayload: string, expiresAt: number): void;
  onProgress?(step: string): void;
}

export type ProvisioningMessage = ReturnType<typeof provisioningMessage>;

/** New device: opens and decodes what the existing device sent through the channel (bytes another device wrote). */
export function openProvisioningMessage(eph: PrivateKey, code: LinkCode, sealed: Uint8Array): { msg: ProvisioningMessage; identity: IdentityKeyPair } {
  try {
    const msg = provisioningMessage(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(decryptProvisioning(eph, code, sealed))), 'provisioning');
    // Inside the try (found by fuzzing): an identity that is not a key pair was an untyped-for-the-caller
    // InvalidKey escaping linkAsNewDevice instead of LINK_FAILED.
    return { msg, identity: IdentityKeyPair.deserialize(msg.identity) };
  } catch (e) {
    if (e instanceof ClientError) throw e;
    throw new ClientError('LINK_FAILED', 'the linking message made no sense; update Parley on both devices and start again');
  }
}

function expired(): ClientError {
  return new ClientError('LINK_FAILED', 'the link code expired before it was used; start again to get a new code');
}

/** On the new device: shows a code, waits for an existing device, and becomes a device of that account. */
export async function linkAsNewDevice(ctx: ClientContext, deviceName: string, ui: LinkProgress): Promise<AccountInfo> {
  const existing = ctx.store.account.get();
  if (existing) throw new ClientError('ALREADY_REGISTERED', `this profile is already ${existing.username}'s device ${existing.deviceId}; use another --profile`);
  const eph = PrivateKey.generate();
  const channel = await ctx.http.openProvisioningChannel(eph.publicKey().serialize());
  const code: LinkCode = { channelId: channel.channelId, secret: newSecret() };
  ui.onCode(formatLinkCode(code), linkQrPayload(code), channel.expiresAt);
  ui.onProgress?.('waiting for a linked device to enter the code');
  let sealed: Uint8Array | undefined;
  while (!sealed) {
    if (ctx.now() > channel.expiresAt) throw expired();
    try {
      sealed = await ctx.http.pollProvisioningMessage(channel.channelId, channel.readToken);
    } catch (e) {
      if (e instanceof WireError && (e.code === 'LINK_EXPIRED' || e.code === 'NOT_FOUND')) throw expired();
      if (e instanceof WireError && e.code === 'TIMEOUT') continue;
      throw e;
    }
  }
  const { msg, identity } = openProvisioningMessage(eph, code, sealed);
  ui.onProgress?.(`linking to ${msg.username}'s account`);
  const keys = initialKeys(identity, ctx.now());
  const regId = registrationId();
  const password = randomBytes(32);
  let res;
  try {
    res = await ctx.http.linkDevice({
      linkToken: msg.linkToken,
      password,
      registrationId: regId,
      signedPreKey: publicSigned(keys.signed),
      pqLastResortPreKey: publicSigned(keys.lastResort),
      encryptedName: sealDeviceName(identity, deviceName),
    });
  } catch (e) {
    if (e instanceof WireError && e.code === 'LINK_EXPIRED') throw expired();
    throw e;
  }
  if (res.accountId !== msg.accountId) throw new ClientError('LINK_FAILED', 'the server linked this device to another account than the code was for; do not use this server');
  const account: AccountInfo = { serverUrl: ctx.http.baseUrl, accountId: res.accountId, deviceId: res.deviceId, username: res.username, password, registrationId: regId };
  await ctx.lock.run(() =>
    ctx.store.transaction(async (tx) => {
      tx.account.save(account, identity);
      await saveInitialKeys(tx, keys);
      tx.contacts.save({ accountId: account.accountId, username: account.username, deviceIds: [msg.from, account.deviceId].sort((a, b) => a - b), accepted: true });
      // The other device uploaded the profile under this key; its name and picture are fetched below.
      if (msg.profileKey) tx.profile.save({ key: msg.profileKey, createdAt: msg.profileKeyCreatedAt ?? 0, uploaded: true });
    }),
  );
  ctx.http.credentials = { accountId: account.accountId, deviceId: account.deviceId, password };
  ui.onProgress?.('uploading one-time prekeys');
  await ctx.lock.run(() => topUpPreKeys(ctx, true));
  // Membership comes from the server now; the groups' keys arrive from the other device.
  const groups = await ctx.http.groups().catch(() => []);
  await ctx.lock.run(() => ctx.store.transaction(async (tx) => {
    for (const g of groups) tx.groups.save({ ...fromServer(tx.groups.get(g.groupId), g), accepted: true });
  }));
  await ctx.lock.run(() => fetchOwnProfile(ctx)).catch(() => undefined);
  return account;
}

/** On a linked device: sends the account to the new device showing `codeText`; returns its device id. */
export async function linkOtherDevice(ctx: ClientContext, codeText: string, onProgress?: (step: string) => void): Promise<number> {
  const me = requireAccount(ctx);
  const code = parseLinkCode(codeText);
  let theirKey: PublicKey;
  try {
    theirKey = PublicKey.deserialize(await ctx.http.provisioningKey(code.channelId));
  } catch (e) {
    if (e instanceof WireError && (e.code === 'LINK_EXPIRED' || e.code === 'NOT_FOUND')) throw new ClientError('LINK_FAILED', 'no device is waiting with that code (it expired, or was mistyped); check it, or start again on the new device');
    throw e;
  }
  const before = new Set((await ctx.http.devices()).map((d) => d.deviceId));
  const { linkToken } = await ctx.http.linkToken();
  const identity = await ctx.store.protocol.getIdentityKeyPair();
  await ctx.lock.run(() => ownProfileKey(ctx));
  const profile = ctx.store.profile.get()!;
  const plaintext = new TextEncoder().encode(
    JSON.stringify({
      v: 1,
      accountId: me.accountId,
      username: me.username,
      identity: base64Encode(identity.serialize()),
      linkToken: base64Encode(linkToken),
      from: me.deviceId,
      profileKey: base64Encode(profile.key),
      profileKeyCreatedAt: profile.createdAt,
    }),
  );
  onProgress?.('sending the account to the new device, end-to-end encrypted');
  try {
    await ctx.http.sendProvisioningMessage(code.channelId, encryptProvisioning(theirKey, code, plaintext));
  } catch (e) {
    if (e instanceof WireError && (e.code === 'LINK_EXPIRED' || e.code === 'CONFLICT')) throw new ClientError('LINK_FAILED', 'that code was already used or expired; start again on the new device');
    throw e;
  }
  onProgress?.('waiting for the new device to register');
  const deadline = ctx.now() + 120_000;
  let added: number | undefined;
  while (added === undefined) {
    if (ctx.now() > deadline) throw new ClientError('LINK_FAILED', 'the new device did not finish linking within two minutes; check its screen and start again');
    await new Promise((r) => setTimeout(r, 500));
    added = (await ctx.http.devices()).map((d) => d.deviceId).find((id) => !before.has(id));
  }
  onProgress?.(`device ${added} linked; sending it your contacts and groups`);
  await ctx.lock.run(async () => {
    await ctx.store.transaction(async (tx) => {
      const self = tx.contacts.byId(me.accountId);
      tx.contacts.save({ accountId: me.accountId, username: me.username, deviceIds: [...new Set([...(self?.deviceIds ?? [me.deviceId]), added!])].sort((a, b) => a - b), accepted: true });
    });
    await syncEverything(ctx);
  });
  return added;
}
