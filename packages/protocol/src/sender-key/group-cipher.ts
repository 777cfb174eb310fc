/**
 * Group encryption with Sender Keys (libsignal `group_cipher.rs`): each sender
 * has a hash chain per distribution (HMAC 0x01 -> message seed, 0x02 -> next
 * chain key); message keys = HKDF(no salt, seed, "WhisperGroup", 48) -> IV 16 ‖
 * key 32; AES-256-CBC; every message is signed with the sender's signing key.
 * Decryption works on a copy of the record, stored only on success.
 */
import { backend } from '#backend';
import type { ProtocolAddress } from '../address.ts';
import { KeyPair, PrivateKey } from '../curve.ts';
import { DuplicateMessage, InvalidMessage, InvalidSignature, InvalidState, NoSenderKeyState } from '../errors.ts';
import { utf8 } from '../internal/bytes.ts';
import { SenderKeyDistributionMessage, SenderKeyMessage, SENDERKEY_MESSAGE_CURRENT_VERSION } from './messages.ts';
import { MAX_SENDER_MESSAGE_KEYS, SenderKeyRecord, type SenderChainKey, type SenderKeyState } from './record.ts';
import type { SenderKeyStore } from './store.ts';
import { resolveStores, type StoresFor } from '../store-arguments.ts';

/** Same bound as 1:1 sessions: a message more than 25,000 ahead is rejected. */
export const MAX_GROUP_FORWARD_JUMPS = 25_000;
const WHISPER_GROUP = utf8('WhisperGroup');
const MESSAGE_KEY_SEED = new Uint8Array([0x01]);
const CHAIN_KEY_SEED = new Uint8Array([0x02]);

function next(ck: SenderChainKey): SenderChainKey {
  return { iteration: ck.iteration + 1, seed: backend.hmacSha256(ck.seed, CHAIN_KEY_SEED) };
}

function messageSeed(ck: SenderChainKey): SenderChainKey {
  return { iteration: ck.iteration, seed: backend.hmacSha256(ck.seed, MESSAGE_KEY_SEED) };
}

function messageKeys(seed: SenderChainKey): { iv: Uint8Array; key: Uint8Array } {
  const okm = backend.hkdfSha256(seed.seed, undefined, WHISPER_GROUP, 48);
  return { iv: okm.subarray(0, 16), key: okm.subarray(16, 48) };
}

/**
 * Returns the distribution message to send (over 1:1 sessions) to every group
 * member, creating our sender key for `distributionId` on first use.
 */
export function createSenderKeyDistributionMessage(sender: ProtocolAddress, distributionId: string, store: SenderKeyStore): Promise<SenderKeyDistributionMessage>;
export function createSenderKeyDistributionMessage(sender: ProtocolAddress, distributionId: string, stores: StoresFor<'senderKeyStore'>): Promise<SenderKeyDistributionMessage>;
export async function createSenderKeyDistributionMessage(sender: ProtocolAddress, distributionId: string, storeArg: unknown): Promise<SenderKeyDistributionMessage> {
  const store = senderKeyStore('createSenderKeyDistributionMessage', storeArg, '(sender, distributionId, store)');
  let record = await store.loadSenderKey(sender, distributionId);
  if (!record?.current()) {
    record = SenderKeyRecord.empty();
    const chainId = new DataView(backend.randomBytes(4).buffer).getUint32(0) >>> 1;
    const signing = KeyPair.fromPrivateKey(PrivateKey.generateForSigning());
    record.addState({
      messageVersion: SENDERKEY_MESSAGE_CURRENT_VERSION,
      chainId,
      chainKey: { iteration: 0, seed: backend.randomBytes(32) },
      signingKey: signing.publicKey,
      signingPrivateKey: signing.privateKey,
    });
    await store.storeSenderKey(sender, distributionId, record);
  }
  const s = record.current()!;
  return SenderKeyDistributionMessage.create(distributionId, s.chainId, s.chainKey.iteration, s.chainKey.seed, s.signingKey);
}

/** Records a member's sender key from their distribution message. */
export function processSenderKeyDistributionMessage(sender: ProtocolAddress, message: SenderKeyDistributionMessage, store: SenderKeyStore): Promise<void>;
export function processSenderKeyDistributionMessage(sender: ProtocolAddress, message: SenderKeyDistributionMessage, stores: StoresFor<'senderKeyStore'>): Promise<void>;
export async function processSenderKeyDistributionMessage(sender: ProtocolAddress, message: SenderKeyDistributionMessage, storeArg: unknown): Promise<void> {
  const store = senderKeyStore('processSenderKeyDistributionMessage', storeArg, '(sender, message, store)');
  const record = (await store.loadSenderKey(sender, message.distributionId))?.clone() ?? SenderKeyRecord.empty();
  record.addState({
    messageVersion: SENDERKEY_MESSAGE_CURRENT_VERSION,
    chainId: message.chainId,
    chainKey: { iteration: message.iteration, seed: message.chainKey },
    signingKey: message.signingKey,
    signingPrivateKey: undefined,
  });
  await store.storeSenderKey(sender, message.distributionId, record);
}

/** Encrypts `plaintext` to the group with our sender key for `distributionId`. */
export function groupEncrypt(sender: ProtocolAddress, distributionId: string, store: SenderKeyStore, plaintext: Uint8Array): Promise<SenderKeyMessage>;
export function groupEncrypt(sender: ProtocolAddress, distributionId: string, stores: StoresFor<'senderKeyStore'>, plaintext: Uint8Array): Promise<SenderKeyMessage>;
export async function groupEncrypt(sender: ProtocolAddress, distributionId: string, storeArg: unknown, plaintext: Uint8Array): Promise<SenderKeyMessage> {
  const store = senderKeyStore('groupEncrypt', storeArg, '(sender, distributionId, store, plaintext)');
  const stored = await store.loadSenderKey(sender, distributionId);
  const state = stored?.current();
  if (!stored || !state) throw new NoSenderKeyState(`no sender key for distribution ${distributionId}; create a distribution message first`);
  if (!state.signingPrivateKey) throw new InvalidState(`sender key for distribution ${distributionId} has no private signing key`);
  const keys = messageKeys(messageSeed(state.chainKey));
  const ciphertext = backend.aes256CbcEncrypt(keys.key, keys.iv, plaintext);
  const message = SenderKeyMessage.create(distributionId, state.chainId, state.chainKey.iteration, ciphertext, state.signingPrivateKey);
  const record = stored.clone();
  record.replaceState(0, { ...state, chainKey: next(state.chainKey) });
  await store.storeSenderKey(sender, distributionId, record);
  return message;
}

/** Decrypts a SenderKeyMessage from `sender`. */
export function groupDecrypt(sender: ProtocolAddress, store: SenderKeyStore, bytes: Uint8Array): Promise<Uint8Array>;
export function groupDecrypt(sender: ProtocolAddress, stores: StoresFor<'senderKeyStore'>, bytes: Uint8Array): Promise<Uint8Array>;
export async function groupDecrypt(sender: ProtocolAddress, storeArg: unknown, bytes: Uint8Array): Promise<Uint8Array> {
  const store = senderKeyStore('groupDecrypt', storeArg, '(sender, store, bytes)');
  const message = SenderKeyMessage.deserialize(bytes);
  const stored = await store.loadSenderKey(sender, message.distributionId);
  if (!stored) throw new NoSenderKeyState(`no sender key from ${sender.toString()} for distribution ${message.distributionId}`);
  const found = stored.stateForChainId(message.chainId);
  if (!found) throw new NoSenderKeyState(`no sender key chain ${message.chainId} from ${sender.toString()}`);
  if (!message.verifySignature(found.state.signingKey)) throw new InvalidSignature('group message: signature does not verify');
  const { state, seed } = senderKey(found.state, message.iteration);
  const keys = messageKeys(seed);
  const plaintext = backend.aes256CbcDecrypt(keys.key, keys.iv, message.ciphertext);
  if (!plaintext) throw new InvalidMessage('group message: decryption failed');
  const record = stored.clone();
  record.replaceState(found.index, state);
  await store.storeSenderKey(sender, message.distributionId, record);
  return plaintext;
}

function senderKey(state: SenderKeyState, iteration: number): { state: SenderKeyState; seed: SenderChainKey } {
  const current = state.chainKey.iteration;
  if (current > iteration) {
    const pos = state.messageKeys.findIndex((k) => k.iteration === iteration);
    if (pos < 0) throw new DuplicateMessage(`group message iteration ${iteration} was already received (chain at ${current})`);
    const remaining = state.messageKeys.slice();
    const [seed] = remaining.splice(pos, 1);
    return { state: { ...state, messageKeys: remaining }, seed: seed! };
  }
  if (iteration - current > MAX_GROUP_FORWARD_JUMPS) {
    throw new InvalidMessage(`group message from too far into the future (${iteration - current} ahead)`);
  }
  let ck = state.chainKey;
  let skipped = state.messageKeys;
  if (ck.iteration < iteration) {
    const add: SenderChainKey[] = [];
    while (ck.iteration < iteration) {
      add.push(messageSeed(ck));
      ck = next(ck);
    }
    skipped = skipped.concat(add).slice(-MAX_SENDER_MESSAGE_KEYS);
  }
  return { state: { ...state, chainKey: next(ck), messageKeys: skipped }, seed: messageSeed(ck) };
}

/** The one SenderKeyStore of a sender-key function: the store itself, or `{ senderKeyStore }` (`store-arguments.ts`). */
function senderKeyStore(fn: string, value: unknown, form: string): SenderKeyStore {
  const stores = `${form} or with { senderKeyStore } in the place of store`;
  return resolveStores(fn, ['senderKeyStore'], [value], stores).stores.senderKeyStore;
}
