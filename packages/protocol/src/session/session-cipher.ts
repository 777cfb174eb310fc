/**
 * Encrypting and decrypting 1:1 messages with the Double Ratchet, following
 * libsignal 0.90 `session_cipher.rs`:
 * - encrypt uses the current session's sender chain; until the peer answers, the
 *   message is wrapped in a PreKeySignalMessage; sessions unanswered for 30 days
 *   are not used (NoSession);
 * - decrypt tries the current session, then archived ones in order, promoting the
 *   one that works; a key already used is a DuplicateMessage;
 * - every attempt runs on a copy of the state and the record is stored only after
 *   the MAC verifies and the plaintext decrypts: a failure changes nothing.
 * - the triple ratchet (libsignal `triple_ratchet.rs`): each message also carries the
 *   SPQR `pq_ratchet` bytes, and the SPQR key is the salt of its message keys; the new
 *   SPQR state is kept only once the MAC verifies (it lives in the working copy). A
 *   session without SPQR state (mode `'off'`, or older records) sends none and ignores
 *   what it receives; a peer that requires SPQR then fails with SpqrRequired.
 *
 * Callers must not run two operations on the same address at once: each one loads the
 * record, awaits the stores, and writes it back (the SDK runs store work under one mutex).
 */
import { backend } from '#backend';
import type { ProtocolAddress } from '../address.ts';
import { KeyPair, type PublicKey } from '../curve.ts';
import { DuplicateMessage, InvalidArgument, InvalidMessage, InvalidState, NoSession, ProtocolError, SpqrRequired, UntrustedIdentity } from '../errors.ts';
import { decodeMessage as decodePqMessage } from '../spqr/message.ts';
import { recvState as spqrRecv, sendState as spqrSend, type SpqrState } from '../spqr/ratchet.ts';
import { CIPHERTEXT_MESSAGE_CURRENT_VERSION, type CiphertextMessage, PreKeySignalMessage, SignalMessage } from './messages.ts';
import { createChain, deriveMessageKeys, messageKeySeed, nextChainKey, type ChainKey, type MessageKeys } from './ratchet-keys.ts';
import type { SessionOptions } from './pqxdh.ts';
import { processPreKeyMessage } from './session-builder.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, SessionRecord, type SessionState, type SkippedMessageKey } from './session-state.ts';
import { clock, resolveStores, type StoresFor } from '../store-arguments.ts';
import type { IdentityKeyStore, KyberPreKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore } from './stores.ts';

const ENCRYPT_FORMS = '(plaintext, address, sessionStore, identityStore, now) or (plaintext, address, { sessionStore, identityStore }, now)';

/**
 * Encrypts `plaintext` for `address`. The stores as libsignal takes them, or one stores
 * object (`store-arguments.ts`).
 * @param now milliseconds since the Unix epoch (injected clock)
 */
export function signalEncrypt(
  plaintext: Uint8Array,
  address: ProtocolAddress,
  sessionStore: SessionStore,
  identityStore: IdentityKeyStore,
  now?: number | Date,
): Promise<CiphertextMessage>;
export function signalEncrypt(plaintext: Uint8Array, address: ProtocolAddress, stores: StoresFor<'sessionStore' | 'identityStore'>, now?: number | Date): Promise<CiphertextMessage>;
export async function signalEncrypt(plaintext: Uint8Array, address: ProtocolAddress, ...args: unknown[]): Promise<CiphertextMessage> {
  const { stores, rest } = resolveStores('signalEncrypt', ['sessionStore', 'identityStore'], args, ENCRYPT_FORMS);
  const now = clock('signalEncrypt', rest[0]);
  const { sessionStore, identityStore } = stores;
  if (!(plaintext instanceof Uint8Array)) throw new InvalidArgument('signalEncrypt: plaintext must be a Uint8Array');
  const stored = await sessionStore.loadSession(address);
  const current = stored?.currentState();
  if (!stored || !current || !current.senderChain) throw new NoSession(`no session with ${address.toString()}; fetch a prekey bundle first`);
  if (!current.hasUsableSenderChain(Math.floor(now / 1000))) {
    throw new NoSession(`the session with ${address.toString()} was never answered and is stale; fetch a new prekey bundle`);
  }
  if (current.sessionVersion !== CIPHERTEXT_MESSAGE_CURRENT_VERSION) {
    // Why: only PQXDH (version 4) sessions are created here; anything else is a corrupt or legacy record.
    throw new InvalidState(`the session with ${address.toString()} has unsupported version ${current.sessionVersion}`);
  }
  const state = current.clone();
  const sender = state.senderChain!;
  const chainKey = sender.chainKey;
  const pq = pqSend(state.spqr, address);
  const keys = deriveMessageKeys(messageKeySeed(chainKey), chainKey.index, pq.key);
  const ciphertext = backend.aes256CbcEncrypt(keys.cipherKey, keys.iv, plaintext);
  const signalMessage = SignalMessage.create(
    state.sessionVersion,
    keys.macKey,
    sender.ratchetKey,
    chainKey.index,
    state.previousCounter,
    ciphertext,
    state.localIdentity,
    state.remoteIdentity,
    pq.msg,
  );
  state.spqr = pq.state;
  let result: CiphertextMessage;
  const pending = state.pendingPreKey;
  if (pending) {
    const kyber = state.pendingKyberPreKey;
    if (!kyber) throw new NoSession(`the session with ${address.toString()} lacks its Kyber prekey; fetch a new prekey bundle`);
    const message = PreKeySignalMessage.create({
      messageVersion: state.sessionVersion,
      registrationId: state.localRegistrationId,
      preKeyId: pending.preKeyId,
      signedPreKeyId: pending.signedPreKeyId,
      kyberPreKeyId: kyber.preKeyId,
      kyberCiphertext: kyber.ciphertext,
      baseKey: pending.baseKey,
      identityKey: state.localIdentity,
      message: signalMessage,
    });
    result = { type: 'prekey', message, serialize: () => message.serialize() };
  } else {
    result = { type: 'whisper', message: signalMessage, serialize: () => signalMessage.serialize() };
  }
  state.senderChain = { ...sender, chainKey: nextChainKey(chainKey) };

  if (!(await identityStore.isTrustedIdentity(address, state.remoteIdentity, 'sending'))) {
    throw new UntrustedIdentity(address.toString());
  }
  await identityStore.saveIdentity(address, state.remoteIdentity);
  const record = stored.clone();
  record.setCurrentState(state);
  await sessionStore.storeSession(address, record);
  return result;
}

/** Decrypts a SignalMessage from `address` (a session must exist). The stores as libsignal takes them, or one stores object. */
export function signalDecrypt(message: SignalMessage, address: ProtocolAddress, sessionStore: SessionStore, identityStore: IdentityKeyStore): Promise<Uint8Array>;
export function signalDecrypt(message: SignalMessage, address: ProtocolAddress, stores: StoresFor<'sessionStore' | 'identityStore'>): Promise<Uint8Array>;
export async function signalDecrypt(message: SignalMessage, address: ProtocolAddress, ...args: unknown[]): Promise<Uint8Array> {
  const forms = '(message, address, sessionStore, identityStore) or (message, address, { sessionStore, identityStore })';
  const { sessionStore, identityStore } = resolveStores('signalDecrypt', ['sessionStore', 'identityStore'], args, forms).stores;
  const stored = await sessionStore.loadSession(address);
  if (!stored) throw new NoSession(`no session with ${address.toString()}`);
  const record = stored.clone();
  const plaintext = decryptWithRecord(record, message, 'whisper');
  const theirIdentity = record.currentState()!.remoteIdentity;
  if (!(await identityStore.isTrustedIdentity(address, theirIdentity, 'receiving'))) {
    throw new UntrustedIdentity(address.toString());
  }
  await identityStore.saveIdentity(address, theirIdentity);
  await sessionStore.storeSession(address, record);
  return plaintext;
}

/**
 * Decrypts a PreKeySignalMessage from `address`, creating the session it starts.
 * The stores as libsignal takes them, or one stores object.
 * @param options `spqr`: the post-quantum ratchet mode of a session this message creates
 *   (default `'required'`, as libsignal 0.92+)
 */
export function signalDecryptPreKey(
  message: PreKeySignalMessage,
  address: ProtocolAddress,
  sessionStore: SessionStore,
  identityStore: IdentityKeyStore,
  preKeyStore: PreKeyStore,
  signedPreKeyStore: SignedPreKeyStore,
  kyberPreKeyStore: KyberPreKeyStore,
  options?: SessionOptions,
): Promise<Uint8Array>;
export function signalDecryptPreKey(
  message: PreKeySignalMessage,
  address: ProtocolAddress,
  stores: StoresFor<'sessionStore' | 'identityStore' | 'preKeyStore' | 'signedPreKeyStore' | 'kyberPreKeyStore'>,
  options?: SessionOptions,
): Promise<Uint8Array>;
export async function signalDecryptPreKey(message: PreKeySignalMessage, address: ProtocolAddress, ...args: unknown[]): Promise<Uint8Array> {
  const { stores, rest } = resolveStores('signalDecryptPreKey', ['sessionStore', 'identityStore', 'preKeyStore', 'signedPreKeyStore', 'kyberPreKeyStore'], args, PREKEY_FORMS);
  const { sessionStore, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore } = stores;
  const options = (rest[0] ?? {}) as SessionOptions;
  const record = (await sessionStore.loadSession(address))?.clone() ?? SessionRecord.newFresh();
  const used = await processPreKeyMessage(message, address, record, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore, options);
  const plaintext = decryptWithRecord(record, message.message, 'prekey');
  await identityStore.saveIdentity(address, message.identityKey);
  if (used) {
    await kyberPreKeyStore.markKyberPreKeyUsed(used.kyberPreKeyId, used.signedPreKeyId, message.baseKey);
    if (used.oneTimePreKeyId !== undefined) await preKeyStore.removePreKey(used.oneTimePreKeyId);
  }
  await sessionStore.storeSession(address, record);
  return plaintext;
}

const PREKEY_FORMS =
  '(message, address, sessionStore, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore, options) or (message, address, { sessionStore, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore }, options)';

/** Tries the current session, then archived ones; mutates `record` only on success. */
function decryptWithRecord(record: SessionRecord, message: SignalMessage, kind: 'whisper' | 'prekey'): Uint8Array {
  const current = record.currentState();
  // Why kept: when no session decrypts, "the peer requires SPQR" says what to do; "failed" does not.
  let spqrRequired: SpqrRequired | undefined;
  if (current) {
    const working = current.clone();
    try {
      const plaintext = decryptWithState(working, message);
      record.setCurrentState(working);
      return plaintext;
    } catch (e) {
      if (e instanceof DuplicateMessage) throw e;
      if (!(e instanceof ProtocolError)) throw e;
      if (e instanceof SpqrRequired) spqrRequired = e;
      // A prekey message creates its session: older sessions are not candidates.
      if (kind === 'prekey') throw spqrRequired ?? new InvalidMessage('prekey message: decryption failed');
    }
  }
  const n = record.previousStateCount();
  for (let i = 0; i < n; i++) {
    let previous: SessionState;
    try {
      previous = record.previousState(i);
    } catch {
      continue;
    }
    try {
      const plaintext = decryptWithState(previous, message);
      record.promoteOldSession(i, previous);
      return plaintext;
    } catch (e) {
      if (e instanceof DuplicateMessage) throw e;
      if (!(e instanceof ProtocolError)) throw e;
    }
  }
  if (!current && n === 0) throw new NoSession('no session to decrypt this message');
  if (spqrRequired) throw spqrRequired;
  throw new InvalidMessage('message: decryption failed (no session could decrypt it)');
}

function decryptWithState(state: SessionState, message: SignalMessage): Uint8Array {
  if (!state.senderChain) throw new InvalidMessage('session has no sender chain');
  if (message.messageVersion !== state.sessionVersion) {
    throw new InvalidMessage(`message version ${message.messageVersion} differs from the session's ${state.sessionVersion}`);
  }
  const theirRatchetKey = message.senderRatchetKey;
  const chainKey = getOrCreateChainKey(state, theirRatchetKey);
  const generator = getOrCreateMessageKeys(state, theirRatchetKey, chainKey, message.counter);
  // SPQR after the Double Ratchet (a duplicate is reported as such), before the MAC.
  const pq = spqrRecv(state.spqr, message.pqRatchet);
  const keys = generateKeys(generator, pq.key);
  if (!message.verifyMac(state.remoteIdentity, state.localIdentity, keys.macKey)) {
    if (peerRequiresSpqr(state, message)) {
      throw new SpqrRequired(
        'peer',
        'the peer uses the post-quantum ratchet (SPQR) and this session has none; start a new session with SPQR (the default)',
      );
    }
    throw new InvalidMessage('message: MAC verification failed');
  }
  const plaintext = backend.aes256CbcDecrypt(keys.cipherKey, keys.iv, message.ciphertext);
  if (!plaintext) throw new InvalidMessage('message: failed to decrypt');
  // Committed with the working copy only now that the message authenticated.
  state.spqr = pq.state;
  state.pendingPreKey = undefined;
  state.pendingKyberPreKey = undefined;
  return plaintext;
}

/**
 * The MAC failed in a session without SPQR on a message whose SPQR part carries a chain
 * key (index > 0): the sender salted its keys, which a peer that may fall back to no
 * SPQR never does before it heard from us. That peer requires SPQR (libsignal 0.92+).
 */
function peerRequiresSpqr(state: SessionState, message: SignalMessage): boolean {
  if (!state.spqr.isEmpty() || message.pqRatchet[0] !== 1) return false;
  try {
    return decodePqMessage(message.pqRatchet).index > 0;
  } catch {
    return false;
  }
}

/** SPQR's part of an outgoing message; a corrupt SPQR state is InvalidState (the record, not the peer, is at fault). */
function pqSend(pqState: SpqrState, address: ProtocolAddress): { state: SpqrState; msg: Uint8Array; key: Uint8Array | undefined } {
  try {
    return spqrSend(pqState);
  } catch (e) {
    if (e instanceof InvalidState) throw e;
    if (e instanceof ProtocolError) {
      throw new InvalidState(`the session with ${address.toString()} has a post-quantum ratchet state that cannot send (${e.message})`);
    }
    throw e;
  }
}

function getOrCreateChainKey(state: SessionState, theirRatchetKey: PublicKey): ChainKey {
  const idx = state.findReceiverChain(theirRatchetKey);
  if (idx >= 0) return state.receiverChains[idx]!.chainKey;
  const sender = state.senderChain!;
  const receiving = createChain(state.rootKey, theirRatchetKey, sender.ratchetPrivateKey);
  const ourNewRatchet = KeyPair.generate();
  const sending = createChain(receiving.rootKey, theirRatchetKey, ourNewRatchet.privateKey);
  state.rootKey = sending.rootKey;
  state.addReceiverChain(theirRatchetKey, receiving.chainKey);
  const currentIndex = sender.chainKey.index;
  state.previousCounter = currentIndex > 0 ? currentIndex - 1 : 0;
  state.senderChain = { ratchetKey: ourNewRatchet.publicKey, ratchetPrivateKey: ourNewRatchet.privateKey, chainKey: sending.chainKey };
  return receiving.chainKey;
}

/** A message's key material before the SPQR salt: a chain seed, or keys expanded by an old record. */
type KeyGenerator = { readonly seed: Uint8Array; readonly counter: number } | { readonly keys: MessageKeys };

function generateKeys(g: KeyGenerator, pqKey: Uint8Array | undefined): MessageKeys {
  if ('seed' in g) return deriveMessageKeys(g.seed, g.counter, pqKey);
  // Why refused: keys expanded without a salt predate SPQR; a salted message cannot use them (libsignal asserts the same).
  if (pqKey) throw new InvalidMessage('message: a skipped key from before the post-quantum ratchet cannot take its key');
  return g.keys;
}

function getOrCreateMessageKeys(state: SessionState, theirRatchetKey: PublicKey, chainKey: ChainKey, counter: number): KeyGenerator {
  const idx = state.findReceiverChain(theirRatchetKey);
  const chain = state.receiverChains[idx]!;
  if (chainKey.index > counter) {
    const pos = chain.messageKeys.findIndex((k) => k.index === counter);
    if (pos < 0) throw new DuplicateMessage(`message with counter ${counter} was already received (chain at ${chainKey.index})`);
    const found = chain.messageKeys[pos]!;
    const remaining = chain.messageKeys.slice();
    remaining.splice(pos, 1);
    state.receiverChains[idx] = { ...chain, messageKeys: remaining };
    return skippedToKeys(found);
  }
  const jump = counter - chainKey.index;
  if (jump > MAX_FORWARD_JUMPS && !state.sessionWithSelf()) {
    throw new InvalidMessage(`message from too far into the future (${jump} > ${MAX_FORWARD_JUMPS} messages ahead)`);
  }
  let ck = chainKey;
  let messageKeys = chain.messageKeys;
  if (ck.index < counter) {
    const skipped: SkippedMessageKey[] = [];
    while (ck.index < counter) {
      skipped.push({ index: ck.index, seed: messageKeySeed(ck) });
      ck = nextChainKey(ck);
    }
    // Newest first; keep at most MAX_MESSAGE_KEYS (the oldest are dropped).
    skipped.reverse();
    messageKeys = skipped.concat(messageKeys).slice(0, MAX_MESSAGE_KEYS);
  }
  state.receiverChains[idx] = { ratchetKey: chain.ratchetKey, chainKey: nextChainKey(ck), messageKeys };
  return { seed: messageKeySeed(ck), counter: ck.index };
}

function skippedToKeys(k: SkippedMessageKey): KeyGenerator {
  if (k.seed) return { seed: k.seed, counter: k.index };
  return { keys: { ...k.keys!, counter: k.index } };
}
