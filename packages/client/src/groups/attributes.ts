/**
 * A group's name, sealed with a key derived from the group's master key so the
 * server, which stores it, cannot read it (bound to the group id, padded to 64
 * bytes). Only members learn the master key, over 1:1 sessions.
 */
import { deriveKey, open, pad, seal, SealError, unpad } from '../internal/seal.ts';

export const MAX_GROUP_NAME_LENGTH = 100;

const aad = (groupId: string) => new TextEncoder().encode(`parley group ${groupId}`);
const keyOf = (masterKey: Uint8Array) => deriveKey(masterKey, undefined, 'Parley group attributes v1');

export function sealAttributes(masterKey: Uint8Array, groupId: string, attrs: { name: string }): Uint8Array {
  return seal(keyOf(masterKey), pad(new TextEncoder().encode(JSON.stringify({ name: attrs.name })), 64), aad(groupId));
}

/** The group's name, or undefined when the sealed attributes do not open or make no sense. */
export function openAttributes(masterKey: Uint8Array, groupId: string, sealed: Uint8Array): { name: string } | undefined {
  try {
    const v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(unpad(open(keyOf(masterKey), sealed, aad(groupId))))) as unknown;
    const name = typeof v === 'object' && v !== null ? (v as { name?: unknown }).name : undefined;
    return typeof name === 'string' && name.length <= MAX_GROUP_NAME_LENGTH ? { name } : undefined;
  } catch (e) {
    if (e instanceof SealError || e instanceof SyntaxError || e instanceof TypeError) return undefined;
    throw e;
  }
}
