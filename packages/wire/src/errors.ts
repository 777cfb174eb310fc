/**
 * Every failure that crosses the client-server boundary: a stable code, the HTTP
 * status and WebSocket close code it maps to, and a sentence saying what to do.
 * The server answers `{ error: { code, message, ...details } }`; clients map the
 * code back to a `WireError`.
 */

export type WireErrorCode =
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'RANGE_NOT_SATISFIABLE'
  | 'UNAUTHORIZED'
  | 'ACCESS_KEY_REFUSED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'UNKNOWN_USER'
  | 'USERNAME_TAKEN'
  | 'INVALID_USERNAME'
  | 'MISMATCHED_DEVICES'
  | 'STALE_DEVICES'
  | 'RATE_LIMITED'
  | 'CONFLICT'
  | 'TOO_MANY_DEVICES'
  | 'LINK_EXPIRED'
  | 'DEVICE_UNLINKED'
  | 'CREDENTIALS_CHANGED'
  | 'UPGRADE_REQUIRED'
  | 'SERVER_UNREACHABLE'
  | 'TIMEOUT'
  | 'UNAVAILABLE'
  | 'FEATURE_DISABLED'
  | 'INTERNAL';

export interface ErrorSpec {
  readonly status: number;
  readonly wsClose: number;
  readonly hint: string;
}

/** The one table mapping codes to HTTP status, WebSocket close code and advice. */
export const ERROR_TABLE: Record<WireErrorCode, ErrorSpec> = {
  BAD_REQUEST: { status: 400, wsClose: 4400, hint: 'the request was malformed; update Parley or report a bug' },
  PAYLOAD_TOO_LARGE: { status: 413, wsClose: 1009, hint: 'the request is larger than the server accepts; send less at once' },
  RANGE_NOT_SATISFIABLE: { status: 416, wsClose: 4416, hint: 'the requested byte range is outside the file; ask again from its start' },
  UNAUTHORIZED: { status: 401, wsClose: 4401, hint: 'the device credentials were refused; register again or check the profile' },
  ACCESS_KEY_REFUSED: {
    status: 401,
    wsClose: 4401,
    hint: "the recipient's unidentified-access key was refused (they changed their profile key, or there is no such account); send the message identified instead",
  },
  FORBIDDEN: { status: 403, wsClose: 4403, hint: 'this account may not do that' },
  NOT_FOUND: { status: 404, wsClose: 4404, hint: 'no such resource' },
  UNKNOWN_USER: { status: 404, wsClose: 4404, hint: 'check the username (it is case-insensitive) and try again' },
  USERNAME_TAKEN: { status: 409, wsClose: 4409, hint: 'choose another username' },
  INVALID_USERNAME: { status: 422, wsClose: 4422, hint: 'use 3-32 characters: lowercase letters, digits and underscore, starting with a letter' },
  MISMATCHED_DEVICES: { status: 409, wsClose: 4409, hint: 'the recipient\'s device list changed; the client refreshes it and retries' },
  STALE_DEVICES: { status: 410, wsClose: 4410, hint: 'some recipient devices were re-registered; the client starts new sessions and retries' },
  RATE_LIMITED: { status: 429, wsClose: 4429, hint: 'too many requests; wait a minute and try again' },
  CONFLICT: { status: 409, wsClose: 4409, hint: 'someone else changed it first; reload and try again' },
  TOO_MANY_DEVICES: { status: 409, wsClose: 4409, hint: 'this account has the most linked devices allowed; unlink one (parley devices, parley unlink <id>) and try again' },
  LINK_EXPIRED: { status: 410, wsClose: 4410, hint: 'the link code expired or was used; start linking again on the new device' },
  DEVICE_UNLINKED: { status: 401, wsClose: 4401, hint: 'this device was unlinked from its account; link it again from a device that is still linked' },
  CREDENTIALS_CHANGED: { status: 401, wsClose: 4401, hint: "this device's password was changed, which signs out every copy of the old one; if you did not change it, change it again from this device (parley devices rotate) and check parley devices for sessions you do not know" },
  UPGRADE_REQUIRED: { status: 426, wsClose: 4426, hint: 'update Parley' },
  SERVER_UNREACHABLE: { status: 503, wsClose: 1006, hint: 'check the server address and that the server is running' },
  TIMEOUT: { status: 504, wsClose: 1006, hint: 'the server did not answer in time; check the connection and retry' },
  UNAVAILABLE: { status: 503, wsClose: 1013, hint: 'the server cannot store anything for a moment (its database is unreachable or locked, or its disk is full) - retry in a few seconds' },
  FEATURE_DISABLED: { status: 403, wsClose: 4403, hint: 'the server has switched this feature off for every user for now (a security measure); update Parley and try again later' },
  INTERNAL: { status: 500, wsClose: 1011, hint: 'the server failed; try again later' },
};

export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }

  /** `CODE: message - what to do`, as shown to people. */
  describe(): string {
    return `${this.code}: ${this.message} - ${ERROR_TABLE[this.code].hint}`;
  }

  toBody(): { error: { code: WireErrorCode; message: string } & Record<string, unknown> } {
    return { error: { ...this.details, code: this.code, message: this.message } };
  }
}

export function isWireErrorCode(s: unknown): s is WireErrorCode {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ERROR_TABLE, s);
}
