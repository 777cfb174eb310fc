// 1:1 sessions: re-exports only.
export * from './messages.ts';
export { SessionRecord, SessionState, MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS, ARCHIVED_STATES_MAX_LENGTH } from './session-state.ts';
export { PreKeyRecord, SignedPreKeyRecord, KyberPreKeyRecord, type PreKeyBundle } from './prekeys.ts';
export * from './stores.ts';
export { processPreKeyBundle } from './session-builder.ts';
export type { SessionOptions, SpqrMode } from './pqxdh.ts';
export { signalEncrypt, signalDecrypt, signalDecryptPreKey } from './session-cipher.ts';
