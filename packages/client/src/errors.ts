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
  | 'INVALID_LINK_CODE';

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
