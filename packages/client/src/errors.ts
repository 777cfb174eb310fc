/** SDK errors that are not server answers (those are WireErrors from @parley/wire). */
export type ClientErrorCode =
  | 'NOT_REGISTERED'
  | 'ALREADY_REGISTERED'
  | 'IDENTITY_CHANGED'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_GROUP'
  | 'NOT_A_MEMBER'
  | 'SEND_FAILED'
  | 'LINK_FAILED'
  | 'INVALID_LINK_CODE'
  /** A download did not verify (length, MAC or digest): nothing of it was kept. */
  | 'ATTACHMENT_INVALID'
  /** The attachment is gone from the server (expired), or the message has none. */
  | 'ATTACHMENT_UNAVAILABLE'
  /** From someone who is not a contact (or a group not accepted): accept the request first. */
  | 'ATTACHMENT_FROM_STRANGER'
  /** No message with that id (or id prefix) in the conversation, or the prefix is ambiguous. */
  | 'UNKNOWN_MESSAGE'
  /** Only the author may edit or delete a message for everyone, within 24 hours, and not a deleted one or a system line. */
  | 'NOT_EDITABLE'
  /** Not an emoji (reactions are one emoji). */
  | 'INVALID_REACTION'
  /** A disappearing-message timer is 1 second to 4 weeks (or off). */
  | 'INVALID_TIMER'
  /** A sealed-sender message whose seal, sender certificate (forged, expired, untrusted) or sender was not acceptable. */
  | 'SEALED_SENDER_REJECTED'
  /** A profile name or picture we cannot set (too long, control characters, too large a picture). */
  | 'INVALID_PROFILE'
  /** Someone's profile did not decrypt or decode: it is not shown. */
  | 'PROFILE_UNREADABLE'
  /** We blocked them: unblock them before writing to or calling them. */
  | 'BLOCKED';

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
