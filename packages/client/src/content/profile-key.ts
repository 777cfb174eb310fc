/**
 * Our profile key, sent 1:1 (end-to-end encrypted) to a contact: someone we wrote to
 * or whose request we accepted, never a stranger. With it they can fetch and decrypt
 * our profile (name and picture) and derive our access key. A new key (after we
 * blocked someone) is sent again to the contacts who remain.
 */
import { bytes, object, oneOf } from '@parley/wire';
import { header } from './fields.ts';

export const PROFILE_KEY_BYTES = 32;
export const profileKey = bytes(PROFILE_KEY_BYTES, PROFILE_KEY_BYTES);

export interface ProfileKeyContent {
  readonly kind: 'profile-key';
  readonly key: Uint8Array;
}

export const profileKeyContent = object({ ...header, kind: oneOf('profile-key'), key: profileKey });
