/**
 * Sending 1:1 messages sealed (sealed sender v1, as Signal): to a contact who
 * shared their profile key with us, each device's copy is encrypted over the
 * session as usual and sealed with our sender certificate
 * (`sealedSenderEncryptMessage`), then sent with the contact's access key over the
 * unidentified connection (transport/unidentified-socket.ts) when it is open, else
 * over a plain HTTP request; neither carries credentials, so the server does not
 * learn who sent it. Our own other devices, strangers (no profile key: message
 * requests) and blocked people get identified sends; so does everyone when the
 * server issues no certificate. The caller (send/outbox.ts) falls back to an
 * identified send when the server refuses the access key (ACCESS_KEY_REFUSED: the
 * contact rotated their profile key, for instance after blocking us), and remembers
 * the refusal (refusals.ts).
 */
import { sealedSenderEncryptMessage, type ProtocolAddress, type SenderCertificate } from '@parley/protocol';
import { base64Encode, sendResponse, UNIDENTIFIED_ACCESS_KEY_HEADER, WireError } from '@parley/wire';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { deriveAccessKey } from '../profiles/access-key.ts';
import { contactProfileKey } from '../profiles/profile-key.ts';
import type { StoreTx } from '../storage/store.ts';
import type { SealedSendBodyJson } from '../transport/unidentified-socket.ts';

/** What a sealed send to one account needs: our certificate and their access key. */
export interface SealedRoute {
  readonly certificate: SenderCertificate;
  readonly accessKey: Uint8Array;
}

/** How a send to `accountId` can go sealed, or undefined when it goes identified (ourselves, strangers, blocked, no certificate). */
export async function sealedRoute(ctx: ClientContext, accountId: string): Promise<SealedRoute | undefined> {
  const me = requireAccount(ctx);
  // Why our own devices go identified (as Signal): they know who sent it anyway, and the server knows whose devices they are.
  if (accountId === me.accountId) return undefined;
  const profileKey = await contactProfileKey(ctx, accountId);
  if (!profileKey) return undefined;
  const certificate = await ctx.certificates.current(ctx);
  return certificate ? { certificate, accessKey: deriveAccessKey(profileKey) } : undefined;
}

/** Encrypts `plaintext` for one device over its session, sealed with our certificate (in the send's transaction). */
export function sealFor(tx: StoreTx, plaintext: Uint8Array, address: ProtocolAddress, route: SealedRoute, now: number): Promise<Uint8Array> {
  return sealedSenderEncryptMessage(plaintext, address, route.certificate, tx.protocol, tx.protocol, now);
}

/** Sealed copies of one message, one per recipient device. */
export interface SealedOutgoing {
  readonly timestamp: number;
  readonly ephemeral?: boolean;
  readonly messages: ReadonlyArray<{ deviceId: number; registrationId: number; content: Uint8Array }>;
}

/**
 * Hands sealed copies to the server: no credentials, the access key instead (never over our
 * authenticated socket, which would name us). Over the unidentified connection when it is open,
 * else, or when it drops before answering, over HTTP (a copy stored twice is dropped by message id).
 */
export async function sendSealed(ctx: ClientContext, username: string, req: SealedOutgoing, accessKey: Uint8Array): Promise<void> {
  const body: SealedSendBodyJson = {
    timestamp: req.timestamp,
    ...(req.ephemeral ? { ephemeral: true as const } : {}),
    messages: req.messages.map((m) => ({ deviceId: m.deviceId, registrationId: m.registrationId, content: base64Encode(m.content) })),
  };
  const socket = ctx.unidentified();
  if (socket?.ready) {
    try {
      await socket.send(username, accessKey, body);
      return;
    } catch (e) {
      if (!(e instanceof WireError) || (e.code !== 'SERVER_UNREACHABLE' && e.code !== 'TIMEOUT')) throw e;
    }
  }
  await ctx.http.request('PUT', `/v1/messages/${encodeURIComponent(username)}`, body, sendResponse, {
    auth: false,
    headers: { [UNIDENTIFIED_ACCESS_KEY_HEADER]: base64Encode(accessKey) },
  });
}
