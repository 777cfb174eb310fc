/**
 * Device names ("Firefox on Linux", "CLI on laptop"), sealed with a key derived
 * from the account's identity private key: every device of the account can read
 * them, the server that stores them cannot.
 */
import type { IdentityKeyPair } from '@parley/protocol';
import { deriveKey, open, pad, seal, unpad } from '../internal/seal.ts';

export const MAX_DEVICE_NAME_LENGTH = 64;
const AAD = new TextEncoder().encode('parley device name');
const keyOf = (identity: IdentityKeyPair) => deriveKey(identity.privateKey.serialize(), undefined, 'Parley device name v1');

export function sealDeviceName(identity: IdentityKeyPair, name: string): Uint8Array {
  return seal(keyOf(identity), pad(new TextEncoder().encode(name.slice(0, MAX_DEVICE_NAME_LENGTH)), 32), AAD);
}

/** The name, or undefined if it does not open (another account's, or altered). */
export function openDeviceName(identity: IdentityKeyPair, sealed: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(unpad(open(keyOf(identity), sealed, AAD))).slice(0, MAX_DEVICE_NAME_LENGTH);
  } catch {
    return undefined;
  }
}
