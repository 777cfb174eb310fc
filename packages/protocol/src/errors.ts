/**
 * Typed protocol errors. Every failure the protocol package reports is one of
 * these classes; decoders and ciphers never let anything else escape.
 * Messages never carry plaintext, key bytes or secrets.
 */

export type ProtocolErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_KEY'
  | 'INVALID_SIGNATURE'
  | 'INVALID_MESSAGE'
  | 'LEGACY_MESSAGE'
  | 'DUPLICATE_MESSAGE'
  | 'NO_SESSION'
  | 'UNTRUSTED_IDENTITY'
  | 'INVALID_PREKEY_ID'
  | 'INVALID_SIGNED_PREKEY_ID'
  | 'INVALID_KYBER_PREKEY_ID'
  | 'NO_SENDER_KEY_STATE'
  | 'INVALID_SEALED_SENDER'
  | 'INVALID_CERTIFICATE'
  | 'SPQR_REQUIRED'
  | 'INVALID_STATE';

/** Base class: `code` is stable and may cross process boundaries; `message` is for people. */
export abstract class ProtocolError extends Error {
  abstract readonly code: ProtocolErrorCode;
  constructor(message: string) {
    super(message);
  }
}

/** A caller passed a value of the wrong shape (length, range). A programming error. */
export class InvalidArgument extends ProtocolError {
  override readonly name: string = 'InvalidArgument';
  readonly code = 'INVALID_ARGUMENT';
}

/** The stores a function takes (`store-arguments.ts`). */
export type StoreName = 'sessionStore' | 'identityStore' | 'preKeyStore' | 'signedPreKeyStore' | 'kyberPreKeyStore' | 'senderKeyStore';

/**
 * A function was called without a store it needs, or with something that is not that
 * store; `store` names it. A subclass of InvalidArgument (a programming error).
 */
export class MissingStore extends InvalidArgument {
  override readonly name = 'MissingStore';
  constructor(
    readonly store: StoreName,
    message: string,
  ) {
    super(message);
  }
}

/** Bytes that should be a key are not one (wrong type byte, length, or not on the curve). */
export class InvalidKey extends ProtocolError {
  override readonly name = 'InvalidKey';
  readonly code = 'INVALID_KEY';
}

/** A signature over a prekey, certificate or group message did not verify. */
export class InvalidSignature extends ProtocolError {
  override readonly name = 'InvalidSignature';
  readonly code = 'INVALID_SIGNATURE';
}

/** A message is malformed, truncated, oversized, fails its MAC, or cannot be decrypted. */
export class InvalidMessage extends ProtocolError {
  override readonly name = 'InvalidMessage';
  readonly code = 'INVALID_MESSAGE';
}

/** A message uses a protocol version this implementation no longer accepts (e.g. X3DH v3). */
export class LegacyMessage extends ProtocolError {
  override readonly name = 'LegacyMessage';
  readonly code = 'LEGACY_MESSAGE';
}

/** A message whose key was already used: a replay or a duplicate delivery. */
export class DuplicateMessage extends ProtocolError {
  override readonly name = 'DuplicateMessage';
  readonly code = 'DUPLICATE_MESSAGE';
}

/** No session exists with this address; the sender must start one with a prekey bundle. */
export class NoSession extends ProtocolError {
  override readonly name = 'NoSession';
  readonly code = 'NO_SESSION';
}

/** The peer's identity key differs from the trusted one; the user must verify the safety number. */
export class UntrustedIdentity extends ProtocolError {
  override readonly name = 'UntrustedIdentity';
  readonly code = 'UNTRUSTED_IDENTITY';
  constructor(
    readonly address: string,
    message = `the identity key of ${address} changed; compare safety numbers before trusting it`,
  ) {
    super(message);
  }
}

/** A prekey message names a one-time prekey this device does not have (used or never issued). */
export class InvalidPreKeyId extends ProtocolError {
  override readonly name = 'InvalidPreKeyId';
  readonly code = 'INVALID_PREKEY_ID';
}

/** A prekey message names a signed prekey this device does not have. */
export class InvalidSignedPreKeyId extends ProtocolError {
  override readonly name = 'InvalidSignedPreKeyId';
  readonly code = 'INVALID_SIGNED_PREKEY_ID';
}

/** A prekey message names a Kyber (ML-KEM) prekey this device does not have. */
export class InvalidKyberPreKeyId extends ProtocolError {
  override readonly name = 'InvalidKyberPreKeyId';
  readonly code = 'INVALID_KYBER_PREKEY_ID';
}

/** A group message arrived for a sender/distribution with no sender-key state. */
export class NoSenderKeyState extends ProtocolError {
  override readonly name = 'NoSenderKeyState';
  readonly code = 'NO_SENDER_KEY_STATE';
}

/** A sealed-sender envelope is malformed, not for us, or fails its MAC (see InvalidCertificate for its certificate). */
export class InvalidSealedSender extends ProtocolError {
  override readonly name: string = 'InvalidSealedSender';
  readonly code: 'INVALID_SEALED_SENDER' | 'INVALID_CERTIFICATE' = 'INVALID_SEALED_SENDER';
}

/**
 * A sender or server certificate is malformed, expired or not signed by a trusted root:
 * the sender's server (or its clock) is at fault, not the envelope. A subclass of
 * InvalidSealedSender, so code that catches that one still does.
 */
export class InvalidCertificate extends InvalidSealedSender {
  override readonly name = 'InvalidCertificate';
  override readonly code = 'INVALID_CERTIFICATE';
}

/**
 * The two sides of a session disagree on the post-quantum ratchet (SPQR).
 * `requiredBy: 'peer'`: the peer uses SPQR from its first message (libsignal 0.92 and
 * later require it) and this session runs without it; start a new session with SPQR
 * (the default). `requiredBy: 'local'`: this session requires SPQR and the peer sent a
 * message without it; the peer's library predates SPQR, or was configured without it.
 */
export class SpqrRequired extends ProtocolError {
  override readonly name = 'SpqrRequired';
  readonly code = 'SPQR_REQUIRED';
  constructor(
    readonly requiredBy: 'peer' | 'local',
    message: string,
  ) {
    super(message);
  }
}

/** A persisted record is corrupt or from an unknown version. */
export class InvalidState extends ProtocolError {
  override readonly name = 'InvalidState';
  readonly code = 'INVALID_STATE';
}

/** True for errors raised by this package (as opposed to bugs). */
export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}
