/**
 * Sender certificates: `GET /v1/certificate/delivery` (authenticated) answers a
 * libsignal SenderCertificate for the calling device, signed with the server key,
 * valid for a day, and the trust root's public key (which clients pin the first
 * time). The certificate names the account id (libsignal's sender uuid), the
 * username (in libsignal's e164 field: Parley has no phone numbers; usernames never
 * change), the device id and the account's identity key. Rate limited per account.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PublicKey, SenderCertificate } from '@parley/protocol';
import { base64Encode, WireError } from '@parley/wire';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import { RateLimiter } from '../abuse/rate-limiter.ts';
import type { Authed, Authenticator } from '../auth/auth.ts';
import type { AccountStore } from '../storage/storage.ts';
import type { SealedSenderKeys } from './keys.ts';

/** How long a sender certificate is valid (Signal: a day); clients fetch the next before it runs out. */
export const SENDER_CERTIFICATE_TTL_MS = 24 * 3600_000;

/** Issues a sender certificate for `device`, valid from `now` for SENDER_CERTIFICATE_TTL_MS. */
export function issueSenderCertificate(keys: SealedSenderKeys, device: Authed, identityKey: Uint8Array, now: number): SenderCertificate {
  return SenderCertificate.create({
    senderUuid: device.accountId,
    senderE164: device.username,
    senderDeviceId: device.deviceId,
    identityKey: PublicKey.deserialize(identityKey),
    expiration: now + SENDER_CERTIFICATE_TTL_MS,
    signer: keys.serverCertificate,
    signerKey: keys.serverKey,
  });
}

export interface CertificatesOptions {
  readonly storage: AccountStore;
  readonly auth: Authenticator;
  /** None: sealed sender is off, and the route answers FEATURE_DISABLED. */
  readonly keys: SealedSenderKeys | undefined;
  readonly now: () => number;
  readonly abuse: Pick<AbuseLimits, 'certificatesPerAccountPerMinute'>;
}

export const certificatesPlugin: FastifyPluginAsync<CertificatesOptions> = async (app, { storage, auth, keys, now, abuse }) => {
  const byAccount = new RateLimiter({ limit: abuse.certificatesPerAccountPerMinute, windowMs: MINUTE_MS }, now);
  const trustRoot = keys ? base64Encode(keys.trustRoot.serialize()) : undefined;

  app.get('/v1/certificate/delivery', async (req) => {
    const a = await auth.request(req);
    if (!keys || !trustRoot) throw new WireError('FEATURE_DISABLED', 'sealed sender is not configured on this server; messages are sent identified');
    byAccount.check(a.accountId, 'too many sender certificates fetched');
    const account = await storage.accountById(a.accountId);
    // The device authenticated, so its account exists; a missing one is a storage fault.
    if (!account) throw new WireError('INTERNAL', 'the account of an authenticated device is missing');
    const certificate = issueSenderCertificate(keys, a, account.identityKey, now());
    // The JSON of wire's deliveryCertificateResponse (byte fields as base64).
    return { certificate: base64Encode(certificate.serialize()), trustRoot };
  });
};
