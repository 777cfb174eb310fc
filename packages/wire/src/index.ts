// @parley/wire: the client-server protocol. Re-exports only.
export * from './errors.ts';
export * from './version.ts';
export * from './limits.ts';
export * from './attachment-size.ts';
export * from './schemas/index.ts';
export { decodeJson, nestedDeeperThan, base64Encode, base64Decode, invalid, object, str, int, bool, bytes, array, oneOf, type Decoder } from './decode.ts';
