/**
 * The one calling convention for store arguments. Every public function that needs
 * stores takes them either as libsignal does (positional: `sessionStore, identityStore,
 * preKeyStore, signedPreKeyStore, kyberPreKeyStore`, or the one `SenderKeyStore`), or as
 * one `ProtocolStores` object in the place of the first store argument, the arguments
 * after the stores keeping their order. Each store is read from its `...Store` property,
 * or, when that is absent, from the object itself if it implements that store (so an
 * all-in-one store, `InMemoryProtocolStore` or the SDK's, is passed as it is).
 *
 * Which form was used is decided by the argument right after the first store position:
 * in libsignal's form it is the second store (for the sender-key functions, the first
 * argument is itself a `SenderKeyStore`). A missing or wrong store is a `MissingStore`
 * naming it, before any store is touched.
 *
 * This module owns only the resolution of arguments (the stores, and the injected clock
 * that follows them); it knows nothing of the protocol.
 */
import { InvalidArgument, MissingStore, type StoreName } from './errors.ts';
import type { SenderKeyStore } from './sender-key/store.ts';
import type { IdentityKeyStore, KyberPreKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore } from './session/stores.ts';

export type { StoreName } from './errors.ts';

/** Each store by its name, as libsignal names the parameters. */
export interface StoreTypes {
  sessionStore: SessionStore;
  identityStore: IdentityKeyStore;
  preKeyStore: PreKeyStore;
  signedPreKeyStore: SignedPreKeyStore;
  kyberPreKeyStore: KyberPreKeyStore;
  senderKeyStore: SenderKeyStore;
}

/** The stores of a device, each optional: a function reads the ones it needs. */
export type ProtocolStores = Partial<StoreTypes>;

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * What a function taking the stores `K` accepts as its one stores object: those stores as
 * properties, or one object implementing all of them.
 */
export type StoresFor<K extends StoreName> = (Pick<StoreTypes, K> & ProtocolStores) | Intersection<StoreTypes[K]>;

/** The methods each store must have; a store without one of them is refused as the wrong store. */
const METHODS: { readonly [K in StoreName]: readonly string[] } = {
  sessionStore: ['loadSession', 'storeSession'],
  identityStore: ['getIdentityKeyPair', 'getLocalRegistrationId', 'saveIdentity', 'isTrustedIdentity', 'getIdentity'],
  preKeyStore: ['getPreKey', 'savePreKey', 'removePreKey'],
  signedPreKeyStore: ['getSignedPreKey', 'saveSignedPreKey'],
  kyberPreKeyStore: ['getKyberPreKey', 'saveKyberPreKey', 'markKyberPreKeyUsed'],
  senderKeyStore: ['storeSenderKey', 'loadSenderKey'],
};

/** The first method of store `name` that `value` lacks, or undefined when it has them all. */
function missingMethod(name: StoreName, value: unknown): string | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return METHODS[name][0];
  return METHODS[name].find((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
}

/** True when `value` implements store `name`. */
export function isStore(name: StoreName, value: unknown): boolean {
  return missingMethod(name, value) === undefined;
}

/**
 * Resolves the stores `names` (in libsignal's parameter order) of function `fn` from
 * `args`, its arguments from the first store position on. Returns the stores and the
 * arguments that follow them. `forms` is shown in the error: the two ways to call `fn`.
 */
export function resolveStores<K extends StoreName>(
  fn: string,
  names: readonly [K, ...K[]],
  args: readonly unknown[],
  forms: string,
): { stores: Pick<StoreTypes, K>; rest: unknown[] } {
  const probe = names.length > 1 ? 1 : 0;
  const positional = isStore(names[probe]!, args[probe]);
  const stores = {} as Record<K, unknown>;
  if (positional) {
    names.forEach((name, i) => (stores[name] = args[i]));
  } else {
    const object = args[0];
    for (const name of names) {
      const own = typeof object === 'object' && object !== null ? (object as ProtocolStores)[name] : undefined;
      stores[name] = own ?? object;
    }
  }
  for (const name of names) {
    const lacking = missingMethod(name, stores[name]);
    if (lacking === undefined) continue;
    const given = stores[name];
    let what: string;
    if (positional) what = given === undefined || given === null ? 'is missing' : `is not one: it has no ${lacking}()`;
    else if (given !== args[0]) what = `(stores.${name}) is not one: it has no ${lacking}()`;
    else what = `is missing: the stores object has no ${name} property and is not one itself`;
    throw new MissingStore(name, `${fn}: the ${name} ${what}; pass the stores as ${forms}`);
  }
  return { stores: stores as Pick<StoreTypes, K>, rest: args.slice(positional ? names.length : 1) };
}

/** The injected clock argument: milliseconds since the Unix epoch (or a Date, as libsignal takes it), now when absent. */
export function clock(fn: string, value: unknown): number {
  if (value === undefined) return Date.now();
  if (value instanceof Date) value = value.getTime();
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidArgument(`${fn}: now must be milliseconds since the Unix epoch (a number)`);
  return value;
}
