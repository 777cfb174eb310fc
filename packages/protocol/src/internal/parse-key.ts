/** Public keys inside a larger structure: a missing or bad key becomes that structure's own typed error. */
import { PublicKey } from '../curve.ts';
import { InvalidKey } from '../errors.ts';

export function parsePublicKey(bytes: Uint8Array | undefined, what: string, toError: (message: string) => Error): PublicKey {
  if (!bytes) throw toError(`${what} missing`);
  try {
    return PublicKey.deserialize(bytes);
  } catch (e) {
    if (e instanceof InvalidKey) throw toError(`${what}: ${e.message}`);
    throw e;
  }
}
