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
import { ProtocolAddress, ProtocolError, sealedSenderDecryptToUsmc, type PublicKey } from '@parley/protocol';
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

/** Opens `e`; SEALED_SENDER_REJECTED when the seal, the certificate or the sender is not acceptable. */
export async function openSealed(ctx: ClientContext, certificates: SenderCertificates, e: SealedEnvelopeFrame): Promise<OpenedSealed> {
  const me = requireAccount(ctx);
  let usmc;
  try {
    usmc = sealedSenderDecryptToUsmc(base64Decode(e.content), await ctx.store.protocol.getIdentityKeyPair());
  } catch (err) {
    if (err instanceof ProtocolError) throw sealedSenderRejected(err.message);
    throw err;
  }
  const root = await certificates.trustRoot(ctx);
  if (!root) throw sealedSenderRejected('this server has no sealed-sender trust root to check it against');
  const cert = usmc.senderCertificate;
  if (!cert.validate(root, e.serverTimestamp)) throw sealedSenderRejected('its sender certificate is forged, from an untrusted or revoked server key, or expired');
  const username = cert.senderE164;
  if (!ACCOUNT_ID_PATTERN.test(cert.senderUuid) || username === undefined || !USERNAME_PATTERN.test(username)) throw sealedSenderRejected('its sender certificate names no valid account');
  if (cert.senderUuid === me.accountId && cert.senderDeviceId === me.deviceId) throw sealedSenderRejected('it claims to come from this very device');
  if (usmc.type !== 'prekey' && usmc.type !== 'whisper') throw sealedSenderRejected(`it carries a ${usmc.type} message, which is not sent sealed here`);
  return {
    envelope: {
      type: 'envelope',
      id: e.id,
      sourceAccountId: cert.senderUuid,
      sourceUsername: username,
      sourceDeviceId: cert.senderDeviceId,
      timestamp: e.timestamp,
      serverTimestamp: e.serverTimestamp,
      messageType: usmc.type,
      content: base64Encode(usmc.contents),
      ephemeral: e.ephemeral,
    },
    identityKey: cert.identityKey,
  };
}

/** Inside the envelope's transaction, after decryption: the session's identity must be the certificate's (else the transaction rolls back). */
export async function checkSealedIdentity(tx: StoreTx, e: IdentifiedEnvelopeFrame, identityKey: PublicKey): Promise<void> {
  const session = await tx.protocol.getIdentity(new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId));
  if (!session || !session.equals(identityKey)) throw sealedSenderRejected("its sender certificate names another identity key than the sender's session");
}
