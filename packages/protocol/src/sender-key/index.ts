// Sender Keys (groups): re-exports only.
export { SenderKeyDistributionMessage, SenderKeyMessage, SENDERKEY_MESSAGE_CURRENT_VERSION } from './messages.ts';
export { SenderKeyRecord, MAX_SENDER_KEY_STATES, MAX_SENDER_MESSAGE_KEYS, type SenderKeyState } from './record.ts';
export { type SenderKeyStore, InMemorySenderKeyStore } from './store.ts';
export {
  createSenderKeyDistributionMessage,
  processSenderKeyDistributionMessage,
  groupEncrypt,
  groupDecrypt,
  MAX_GROUP_FORWARD_JUMPS,
} from './group-cipher.ts';
