// @parley/protocol public API. Re-exports only; each line names its module.
// Helpers: append your exports below; never rewrite the file wholesale.
export * from './errors.ts';
export { PublicKey, PrivateKey, KeyPair } from './curve.ts';
export { KemPublicKey, KemSecretKey, KemKeyPair, type KemKeyType } from './kem.ts';
export { IdentityKeyPair, type IdentityKey } from './identity-key.ts';
export { ProtocolAddress } from './address.ts';
export * from './session/index.ts';
export * from './sender-key/index.ts';
export { createFingerprint, ScannableFingerprint, DEFAULT_FINGERPRINT_ITERATIONS, DEFAULT_SCANNABLE_VERSION, type Fingerprint } from './fingerprint.ts';
export * from './sealed-sender/index.ts';
export { ServiceId, type ServiceIdKind } from './service-id.ts';
export { type ProtocolStores, type StoresFor, type StoreTypes, type StoreName } from './store-arguments.ts';
