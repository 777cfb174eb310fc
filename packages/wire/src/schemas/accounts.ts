/** Accounts: registration, who am I, and looking an account up by username. */
import { object } from '../decode.ts';
import { kemSignedPreKey, signedPreKey } from './keys.ts';
import { accountId, deviceId, ecPublicKey, registrationId, secret32, username } from './common.ts';

export const registerRequest = object({
  username,
  /** 32 random bytes chosen by the device; the server keeps only a keyed hash. */
  password: secret32,
  registrationId,
  identityKey: ecPublicKey,
  signedPreKey,
  pqLastResortPreKey: kemSignedPreKey,
});
export type RegisterRequest = ReturnType<typeof registerRequest>;

/** `POST /v1/accounts`, `GET /v1/accounts/me` and `POST /v1/devices` answer this. */
export const accountResponse = object({ accountId, deviceId, username });
export type RegisterResponse = ReturnType<typeof accountResponse>;
export type AccountResponse = RegisterResponse;

/** `GET /v1/accounts/username/:username`: the account behind a name (consumes no prekeys). */
export const accountLookupResponse = object({ accountId, username });
export type AccountLookupResponse = ReturnType<typeof accountLookupResponse>;
