/**
 * Sealed-sender certificates: `GET /v1/certificate/delivery` (authenticated) answers a
 * sender certificate for the calling device (libsignal's SenderCertificate bytes,
 * signed by the server certificate) and the trust root's public key, which clients
 * pin the first time they see it.
 */
import { bytes, object } from '../decode.ts';
import { LIMITS } from '../limits.ts';

/** A Curve25519 public key as libsignal serializes it (type byte 0x05 and 32 bytes). */
const TRUST_ROOT_BYTES = 33;

export const deliveryCertificateResponse = object({
  certificate: bytes(1, LIMITS.maxSenderCertificateBytes),
  trustRoot: bytes(TRUST_ROOT_BYTES, TRUST_ROOT_BYTES),
});
export type DeliveryCertificateResponse = ReturnType<typeof deliveryCertificateResponse>;
