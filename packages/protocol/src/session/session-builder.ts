/**
 * Starting sessions. The initiator processes a peer's `PreKeyBundle`
 * (`processPreKeyBundle`); the responder processes the first
 * `PreKeySignalMessage` (`processPreKeyMessage`, used by the cipher). Both check
 * the peer's identity against the identity store first, and the initiator
 * verifies both prekey signatures: a forged bundle is rejected.
 */
import type { ProtocolAddress } from '../address.ts';
import { KeyPair } from '../curve.ts';
import { InvalidSignature, UntrustedIdentity } from '../errors.ts';
import { initializeAliceSession, initializeBobSession, type SessionOptions } from './pqxdh.ts';
import type { PreKeySignalMessage } from './messages.ts';
import { checkPreKeyBundle, type PreKeyBundle } from './prekeys.ts';
import { SessionRecord } from './session-state.ts';
import { clock, resolveStores, type StoresFor } from '../store-arguments.ts';
import type { IdentityKeyStore, KyberPreKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore } from './stores.ts';

/**
 * Verifies `bundle` and makes a new session with its device current (the old
 * one is archived). The next `signalEncrypt` produces a PreKeySignalMessage.
 * The stores as libsignal takes them, or one stores object (`store-arguments.ts`).
 * @param now milliseconds since the Unix epoch (injected clock)
 * @param options `spqr`: the post-quantum ratchet mode (default `'required'`, as libsignal 0.92+)
 */
export function processPreKeyBundle(
  bundle: PreKeyBundle,
  address: ProtocolAddress,
  sessionStore: SessionStore,
  identityStore: IdentityKeyStore,
  now?: number | Date,
  options?: SessionOptions,
): Promise<void>;
export function processPreKeyBundle(
  bundle: PreKeyBundle,
  address: ProtocolAddress,
  stores: StoresFor<'sessionStore' | 'identityStore'>,
  now?: number | Date,
  options?: SessionOptions,
): Promise<void>;
export async function processPreKeyBundle(bundle: PreKeyBundle, address: ProtocolAddress, ...args: unknown[]): Promise<void> {
  const forms = '(bundle, address, sessionStore, identityStore, now, options) or (bundle, address, { sessionStore, identityStore }, now, options)';
  const { stores, rest } = resolveStores('processPreKeyBundle', ['sessionStore', 'identityStore'], args, forms);
  const { sessionStore, identityStore } = stores;
  const now = clock('processPreKeyBundle', rest[0]);
  const options = (rest[1] ?? {}) as SessionOptions;
  // Shape first: a bundle arrives as JSON, whatever its TypeScript type says.
  const b = checkPreKeyBundle(bundle);
  const theirIdentity = b.identityKey;
  if (!(await identityStore.isTrustedIdentity(address, theirIdentity, 'sending'))) {
    throw new UntrustedIdentity(address.toString());
  }
  if (!theirIdentity.verifySignature(b.signedPreKey.serialize(), b.signedPreKeySignature)) {
    throw new InvalidSignature('prekey bundle: the signed prekey signature does not verify with the identity key');
  }
  if (!theirIdentity.verifySignature(b.kyberPreKey.serialize(), b.kyberPreKeySignature)) {
    throw new InvalidSignature('prekey bundle: the Kyber prekey signature does not verify with the identity key');
  }
  const ourIdentity = await identityStore.getIdentityKeyPair();
  const ourBaseKey = KeyPair.generate();
  const { state, kyberCiphertext } = initializeAliceSession({
    ourIdentity,
    ourBaseKey,
    theirIdentity,
    theirSignedPreKey: b.signedPreKey,
    theirOneTimePreKey: b.preKey,
    theirRatchetKey: b.signedPreKey,
    theirKyberPreKey: b.kyberPreKey,
    spqr: options.spqr,
  });
  state.pendingPreKey = {
    preKeyId: b.preKeyId,
    signedPreKeyId: b.signedPreKeyId,
    baseKey: ourBaseKey.publicKey,
    timestamp: Math.floor(now / 1000),
  };
  state.pendingKyberPreKey = { preKeyId: b.kyberPreKeyId, ciphertext: kyberCiphertext };
  state.localRegistrationId = await identityStore.getLocalRegistrationId();
  state.remoteRegistrationId = b.registrationId;

  const record = (await sessionStore.loadSession(address))?.clone() ?? SessionRecord.newFresh();
  await identityStore.saveIdentity(address, theirIdentity);
  record.promoteState(state);
  await sessionStore.storeSession(address, record);
}

/** Which prekeys a processed PreKeySignalMessage consumed (applied after decryption succeeds). */
export interface PreKeysUsed {
  readonly oneTimePreKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly kyberPreKeyId: number;
}

/**
 * Responder side: builds the session a PreKeySignalMessage starts, in `record`
 * (a working copy). Returns undefined when the session already exists (a
 * repeated prekey message), else the prekeys to consume once decryption succeeds.
 */
export async function processPreKeyMessage(
  message: PreKeySignalMessage,
  address: ProtocolAddress,
  record: SessionRecord,
  identityStore: IdentityKeyStore,
  preKeyStore: PreKeyStore,
  signedPreKeyStore: SignedPreKeyStore,
  kyberPreKeyStore: KyberPreKeyStore,
  options: SessionOptions = {},
): Promise<PreKeysUsed | undefined> {
  if (!(await identityStore.isTrustedIdentity(address, message.identityKey, 'receiving'))) {
    throw new UntrustedIdentity(address.toString());
  }
  if (record.promoteMatchingSession(message.messageVersion, message.baseKey.serializedView())) return undefined;

  const signed = await signedPreKeyStore.getSignedPreKey(message.signedPreKeyId);
  const kyber = await kyberPreKeyStore.getKyberPreKey(message.kyberPreKeyId!);
  const oneTime = message.preKeyId === undefined ? undefined : await preKeyStore.getPreKey(message.preKeyId);
  const ourIdentity = await identityStore.getIdentityKeyPair();
  const state = initializeBobSession({
    ourIdentity,
    ourSignedPreKey: signed.keyPair,
    ourOneTimePreKey: oneTime?.keyPair,
    ourRatchetKey: signed.keyPair,
    ourKyberPreKey: kyber.keyPair,
    theirIdentity: message.identityKey,
    theirBaseKey: message.baseKey,
    theirKyberCiphertext: message.kyberCiphertext!,
    spqr: options.spqr,
  });
  state.localRegistrationId = await identityStore.getLocalRegistrationId();
  state.remoteRegistrationId = message.registrationId;
  record.promoteState(state);
  return { oneTimePreKeyId: message.preKeyId, signedPreKeyId: message.signedPreKeyId, kyberPreKeyId: message.kyberPreKeyId! };
}
