/**
 * For tests only (`@parley/client/test-support`): act as a hostile or broken peer
 * would, through the real encryption and transport, e.g. send call signaling that
 * skips the protocol, or content the SDK would never write.
 */
import { CONTEXT, type ParleyClient } from './client.ts';
import { encodeContent, type Content } from './content/codec.ts';
import type { ClientContext } from './internal/context.ts';
import { sendToAccount } from './send/outbox.ts';
import { contactProfileKey, ownProfileKey } from './profiles/profile-key.ts';
import { ProtocolAddress, type SenderCertificate } from '@parley/protocol';
import { deriveAccessKey } from './profiles/access-key.ts';
import { sealFor, sendSealed } from './sealed/send.ts';

function contextOf(client: ParleyClient): ClientContext {
  return (client as unknown as Record<symbol, ClientContext>)[CONTEXT]!;
}

/** Whether sealed sends of `client` would go over its unidentified connection now (transport/unidentified-socket.ts). */
export function unidentifiedReady(client: ParleyClient): boolean {
  return contextOf(client).unidentified()?.ready ?? false;
}

/** Encrypts and sends `content` to every device of `username`, as it is. */
export function sendRawContent(client: ParleyClient, username: string, content: Content, opts: { ephemeral?: boolean } = {}): Promise<void> {
  const ctx = contextOf(client);
  return ctx.lock.run(() => sendToAccount(ctx, username, encodeContent(content), { timestamp: content.ts, ...opts }));
}

/** Runs `fn` while the client does nothing else (under its operation lock), e.g. to damage its state as a crash would. */
export function whileIdle<T>(client: ParleyClient, fn: () => T | Promise<T>): Promise<T> {
  return contextOf(client).lock.run(async () => fn());
}

/** Encrypts and sends raw plaintext bytes (not even valid content) to `username`. */
export function sendRawBytes(client: ParleyClient, username: string, plaintext: Uint8Array, timestamp = Date.now()): Promise<void> {
  const ctx = contextOf(client);
  return ctx.lock.run(() => sendToAccount(ctx, username, plaintext, { timestamp }));
}

/** `ownProfileKey` and `contactProfileKey` (profiles/profile-key.ts) of a client, as the SDK's own modules call them. */
export async function profileKeys(client: ParleyClient, accountId?: string): Promise<{ own: Uint8Array; contact: Uint8Array | undefined }> {
  const ctx = contextOf(client);
  const own = await ctx.lock.run(() => ownProfileKey(ctx));
  return { own, contact: accountId ? await contactProfileKey(ctx, accountId) : undefined };
}

/**
 * Seals `content` for every known device of `username` with `certificate` (forged,
 * expired, someone else's: whatever a hostile sender would use) and sends it with
 * `accessKey` (default: the one derived from the profile key they shared with us).
 */
export async function sendSealedWith(client: ParleyClient, username: string, content: Content, certificate: SenderCertificate, accessKey?: Uint8Array): Promise<void> {
  const ctx = contextOf(client);
  await ctx.lock.run(async () => {
    const contact = ctx.store.contacts.byUsername(username)!;
    const key = accessKey ?? deriveAccessKey((await contactProfileKey(ctx, contact.accountId))!);
    const messages = await ctx.store.transaction(async (tx) => {
      const out = [];
      for (const deviceId of contact.deviceIds) {
        const address = new ProtocolAddress(contact.accountId, deviceId);
        const sealed = await sealFor(tx, encodeContent(content), address, { certificate, accessKey: key }, ctx.now());
        out.push({ deviceId, registrationId: (await tx.protocol.loadSession(address))!.remoteRegistrationId() ?? 0, content: sealed });
      }
      return out;
    });
    await sendSealed(ctx, username, { timestamp: content.ts, messages }, key);
  });
}
