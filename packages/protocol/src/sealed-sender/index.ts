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
export { sealedSenderMultiRecipientEncrypt, sealedSenderMultiRecipientSeal, type SealedSenderV2Recipient, type SealedSenderMultiRecipientEncryptOptions } from './multi-recipient.ts';
export {
  SealedSenderMultiRecipientMessage,
  MAX_MULTI_RECIPIENT_MESSAGE_BYTES,
  SEALED_SENDER_V2_SERVICE_ID_VERSION,
  SEALED_SENDER_V2_UUID_VERSION,
  type SealedSenderV2Device,
  type SealedSenderV2SentRecipient,
} from './sent-message.ts';
