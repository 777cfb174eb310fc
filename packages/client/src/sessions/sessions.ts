/**
 * 1:1 Signal sessions with other accounts' devices (and our own other devices):
 * fetching prekey bundles and starting sessions, noticing identity changes (a
 * typed IDENTITY_CHANGED with the new safety number), safety numbers and trust.
 */
import { createFingerprint, KemPublicKey, ProtocolAddress, processPreKeyBundle, PublicKey, UntrustedIdentity, type PreKeyBundle } from '@parley/protocol';
import { WireError, type BundleResponse } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { StoreTx } from '../storage/store.ts';

function bundles(b: BundleResponse): PreKeyBundle[] {
  const identityKey = PublicKey.deserialize(b.identityKey);
  return b.devices.map((d) => ({
    registrationId: d.registrationId,
    deviceId: d.deviceId,
    preKeyId: d.preKey?.keyId,
    preKey: d.preKey ? PublicKey.deserialize(d.preKey.publicKey) : undefined,
    signedPreKeyId: d.signedPreKey.keyId,
    signedPreKey: PublicKey.deserialize(d.signedPreKey.publicKey),
    signedPreKeySignature: d.signedPreKey.signature,
    kyberPreKeyId: d.pqPreKey.keyId,
    kyberPreKey: KemPublicKey.deserialize(d.pqPreKey.publicKey),
    kyberPreKeySignature: d.pqPreKey.signature,
    identityKey,
  }));
}

export function unknownUser(username: string): ClientError {
  return new ClientError('UNKNOWN_USER', `there is no Parley user named ${username}; check the spelling`);
}

/** Fetches `username`'s prekey bundles (all devices); UNKNOWN_USER as a ClientError. */
export async function fetchBundles(ctx: ClientContext, username: string): Promise<BundleResponse> {
  try {
    return await ctx.http.fetchBundles(username);
  } catch (e) {
    if (e instanceof WireError && e.code === 'UNKNOWN_USER') throw unknownUser(username);
    throw e;
  }
}

/**
 * Starts sessions from fetched bundles (with the devices in `only`, or all but our own
 * device) and records the account's device list. Throws IDENTITY_CHANGED when the
 * account's key differs from the one we trust.
 */
export async function startSessions(ctx: ClientContext, tx: StoreTx, res: BundleResponse, only?: readonly number[]): Promise<void> {
  const me = requireAccount(ctx);
  const list = bundles(res).filter((b) => !(res.accountId === me.accountId && b.deviceId === me.deviceId));
  for (const b of list) {
    if (only && !only.includes(b.deviceId)) continue;
    const address = new ProtocolAddress(res.accountId, b.deviceId);
    try {
      await processPreKeyBundle(b, address, tx.protocol, tx.protocol, ctx.now());
    } catch (e) {
      if (e instanceof UntrustedIdentity) throw await identityChanged(ctx, res.username, res.accountId, b.identityKey);
      throw e;
    }
  }
  const prev = tx.contacts.byId(res.accountId) ?? tx.contacts.byUsername(res.username);
  const fetched = new Set(list.map((b) => b.deviceId));
  // Devices we asked for that the server no longer has are gone (unlinked): we stop
  // encrypting for them; their sessions stay, to read what they sent before.
  const kept = only ? (prev?.deviceIds ?? []).filter((d) => !only.includes(d) || fetched.has(d)) : [];
  const ids = new Set([...kept, ...fetched]);
  const self = res.accountId === me.accountId;
  tx.contacts.save({ ...(prev ?? {}), accountId: res.accountId, username: res.username, deviceIds: [...ids].sort((x, y) => x - y), ...(self ? { accepted: true } : {}) });
}

/** Fetches bundles and starts sessions in one step (its own transaction). */
export async function establish(ctx: ClientContext, username: string, only?: readonly number[]): Promise<void> {
  const res = await fetchBundles(ctx, username);
  await ctx.store.transaction((tx) => startSessions(ctx, tx, res, only));
}

export async function safetyNumberFor(ctx: ClientContext, accountId: string, theirKey: PublicKey): Promise<{ displayable: string; scannable: Uint8Array }> {
  const me = requireAccount(ctx);
  const ours = await ctx.store.protocol.getIdentityKeyPair();
  const enc = new TextEncoder();
  const f = createFingerprint({ localIdentifier: enc.encode(me.accountId), localKey: ours.publicKey, remoteIdentifier: enc.encode(accountId), remoteKey: theirKey });
  return { displayable: f.displayable, scannable: f.scannable.serialize() };
}

/**
 * The typed error for a changed identity. Whoever catches it outside the transaction
 * tells the app (`reportIdentityChange`), so the event follows the rollback.
 */
export async function identityChanged(ctx: ClientContext, username: string, accountId: string, newKey: PublicKey): Promise<ClientError> {
  const { displayable } = await safetyNumberFor(ctx, accountId, newKey);
  return new ClientError(
    'IDENTITY_CHANGED',
    `the safety number with ${username} changed (new number ${displayable}). They may have reinstalled Parley, or someone may be intercepting. Compare the number with ${username} in person or by a call, then run \`parley trust ${username}\`.`,
    { username, safetyNumber: displayable },
  );
}

/** Tells the app about an IDENTITY_CHANGED error (no-op for other errors); returns the error. */
export function reportIdentityChange(ctx: ClientContext, e: unknown): unknown {
  if (e instanceof ClientError && e.code === 'IDENTITY_CHANGED') {
    ctx.events.emit({ type: 'identity-changed', username: String(e.details.username), safetyNumber: String(e.details.safetyNumber) });
  }
  return e;
}

/** The 60-digit safety number and QR payload with `username` (fetches their key if unknown). */
export async function safetyNumber(ctx: ClientContext, username: string): Promise<{ displayable: string; scannable: Uint8Array }> {
  requireAccount(ctx);
  const user = username.toLowerCase();
  let contact = ctx.store.contacts.byUsername(user);
  if (!contact) {
    await ctx.lock.run(() => establish(ctx, user));
    contact = ctx.store.contacts.byUsername(user);
  }
  if (!contact) throw unknownUser(user);
  const key = await ctx.store.protocol.getIdentity(new ProtocolAddress(contact.accountId, contact.deviceIds[0] ?? 1));
  if (!key) throw new ClientError('UNKNOWN_USER', `no identity key known for ${user}`);
  return safetyNumberFor(ctx, contact.accountId, key);
}

/** Accepts `username`'s current identity key after the user verified the safety number; returns the number. */
export async function trust(ctx: ClientContext, username: string): Promise<string> {
  requireAccount(ctx);
  return ctx.lock.run(async () => {
    const res = await fetchBundles(ctx, username.toLowerCase());
    const key = PublicKey.deserialize(res.identityKey);
    // Bundles were consumed by the fetch; start fresh sessions with the approved key at once.
    await ctx.store.transaction(async (tx) => {
      for (const d of res.devices) await tx.protocol.approveIdentity(new ProtocolAddress(res.accountId, d.deviceId), key);
      await startSessions(ctx, tx, res);
    });
    return (await safetyNumberFor(ctx, res.accountId, key)).displayable;
  });
}
