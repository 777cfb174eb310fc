/** SDK errors that are not server answers (those are WireErrors from @parley/wire). */
export type ClientErrorCode = 'NOT_REGISTERED' | 'ALREADY_REGISTERED' | 'IDENTITY_CHANGED' | 'UNKNOWN_USER' | 'SEND_FAILED';

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
