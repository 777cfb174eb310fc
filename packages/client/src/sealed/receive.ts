/**
 * Opening a sealed envelope (sealed sender v1) into the identified envelope the
 * receive pipeline already handles: the seal is opened with our identity key
 * (`sealedSenderDecryptToUsmc`), the sender certificate is checked against the
 * trust root at the server's timestamp (libsignal's rule: valid when the server
 * accepted the message), and the sender it names (account id, username, device)
 * becomes the envelope's source. The inner 1:1 message is then decrypted by the
 * pipeline like any other, in its transaction, where `checkSealedIdentity` makes
 * sure the certificate's key is the session's. Anything wrong is a typed
 * SEALED_SENDER_REJECTED: the envelope is dropped and nothing changes.
 *
 * Why not `sealedSenderDecryptMessage` in one call: it decrypts the inner message
 * itself, outside the pipeline's transaction, and loses the sender when that step
 * fails (so no retry request could be sent). This uses the same pieces in the same
 * order, split where the pipeline needs it.
 */
import { ProtocolAddress, ProtocolError, sealedSenderDecryptToUsmc, type IdentityKeyPair, type PublicKey } from '@parley/protocol';
import { ACCOUNT_ID_PATTERN, base64Decode, base64Encode, USERNAME_PATTERN, type IdentifiedEnvelopeFrame, type SealedEnvelopeFrame } from '@parley/wire';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { StoreTx } from '../storage/store.ts';
import { sealedSenderRejected, type SenderCertificates } from './certificates.ts';

export interface OpenedSealed {
  /** The envelope as if the server had named its sender (the certificate's). */
  readonly envelope: IdentifiedEnvelopeFrame;
  /** The identity key the certificate names (the session's must be the same). */
  readonly identityKey: PublicKey;
}

/** What a sealed envelope holds once opened and its certificate checked. */
export interface Unsealed {
  readonly senderAccountId: string;
  readonly senderUsername: string;
  readonly senderDeviceId: number;
  readonly type: 'prekey' | 'whisper';
  /** The inner 1:1 message, still encrypted over the session. */
  readonly contents: Uint8Array;
  readonly identityKey: PublicKey;
}

/**
 * The one decoder of sealed envelope bytes (pure: keys and time passed in): opens the
 * seal with `ours`, checks the certificate chains to `trustRoot` and was valid at
 * `serverTimestamp`, names a valid account that is not this device, and carries a 1:1
 * message. SEALED_SENDER_REJECTED for anything else; nothing else is thrown.
 */
export function unseal(bytes: Uint8Array, ours: IdentityKeyPair, trustRoot: PublicKey, serverTimestamp: number, me: { readonly accountId: string; readonly deviceId: number }): Unsealed {
  let usmc;
  try {
    usmc = sealedSenderDecryptToUsmc(bytes, ours);
  } catch (err) {
    if (err instanceof ProtocolError) throw sealedSenderRejected(err.message);
    throw err;
  }
  const cert = usmc.senderCertificate;
  if (!cert.validate(trustRoot, serverTimestamp)) throw sealedSenderRejected('its sender certificate is forged, from an untrusted or revoked server key, or expired');
  const username = cert.senderE164;
  if (!ACCOUNT_ID_PATTERN.test(cert.senderUuid) || username === undefined || !USERNAME_PATTERN.test(username)) throw sealedSenderRejected('its sender certificate names no valid account');
  if (cert.senderUuid === me.accountId && cert.senderDeviceId === me.deviceId) throw sealedSenderRejected('it claims to come from this very device');
  if (usmc.type !== 'prekey' && usmc.type !== 'whisper') throw sealedSenderRejected(`it carries a ${usmc.type} message, which is not sent sealed here`);
  return { senderAccountId: cert.senderUuid, senderUsername: username, senderDeviceId: cert.senderDeviceId, type: usmc.type, contents: usmc.contents, identityKey: cert.identityKey };
}

/** Opens `e`; SEALED_SENDER_REJECTED when the seal, the certificate or the sender is not acceptable. */
export async function openSealed(ctx: ClientContext, certificates: SenderCertificates, e: SealedEnvelopeFrame): Promise<OpenedSealed> {
  const me = requireAccount(ctx);
  const root = await certificates.trustRoot(ctx);
  if (!root) throw sealedSenderRejected('this server has no sealed-sender trust root to check it against');
  const u = unseal(base64Decode(e.content), await ctx.store.protocol.getIdentityKeyPair(), root, e.serverTimestamp, me);
  return {
    envelope: {
      type: 'envelope',
      id: e.id,
      sourceAccountId: u.senderAccountId,
      sourceUsername: u.senderUsername,
      sourceDeviceId: u.senderDeviceId,
      timestamp: e.timestamp,
      serverTimestamp: e.serverTimestamp,
      messageType: u.type,
      content: base64Encode(u.contents),
      ephemeral: e.ephemeral,
    },
    identityKey: u.identityKey,
  };
}

/** Inside the envelope's transaction, after decryption: the session's identity must be the certificate's (else the transaction rolls back). */
export async function checkSealedIdentity(tx: StoreTx, e: IdentifiedEnvelopeFrame, identityKey: PublicKey): Promise<void> {
  const session = await tx.protocol.getIdentity(new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId));
  if (!session || !session.equals(identityKey)) throw sealedSenderRejected("its sender certificate names another identity key than the sender's session");
}
