// Sealed sender: re-exports only.
export { ServerCertificate, SenderCertificate, REVOKED_SERVER_CERTIFICATE_KEY_IDS } from './certificates.ts';
export {
  UnidentifiedSenderMessageContent,
  sealedSenderEncrypt,
  sealedSenderDecryptToUsmc,
  sealedSenderEncryptMessage,
  sealedSenderDecryptMessage,
  type SealedContentType,
  type SealedSenderDecryptionResult,
  type ContentHint,
} from './sealed-sender.ts';
