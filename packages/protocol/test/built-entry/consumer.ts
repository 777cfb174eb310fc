// Compiled by built-entry.test.ts with `tsc --noEmit` against the built package's .d.ts
// (and, as part of the monorepo's type check, against src/): a consumer's view of the API.
import {
  IdentityKeyPair,
  InMemoryProtocolStore,
  MissingStore,
  ProtocolAddress,
  signalEncrypt,
  type CiphertextMessage,
  type ProtocolStores,
  type StoreName,
} from '@parley/protocol';

/** Both calling forms type-check: libsignal's positional stores, and one stores object. */
export async function send(store: InMemoryProtocolStore, to: ProtocolAddress, plaintext: Uint8Array): Promise<CiphertextMessage[]> {
  const stores: ProtocolStores = { sessionStore: store.sessionStore, identityStore: store.identityStore };
  return [
    await signalEncrypt(plaintext, to, store.sessionStore, store.identityStore, Date.now()),
    await signalEncrypt(plaintext, to, { sessionStore: store.sessionStore, identityStore: store.identityStore }),
    await signalEncrypt(plaintext, to, store),
    await signalEncrypt(plaintext, to, { ...stores, sessionStore: store.sessionStore, identityStore: store.identityStore }, new Date()),
  ];
}

export function missing(e: unknown): StoreName | undefined {
  return e instanceof MissingStore ? e.store : undefined;
}

export const store = new InMemoryProtocolStore(IdentityKeyPair.generate(), 1);
