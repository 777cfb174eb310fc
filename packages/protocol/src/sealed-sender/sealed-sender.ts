/**
 * Sealed sender (libsignal `sealed_sender.rs`): the sender's identity and
 * certificate travel inside the encryption, so the server routes a message
 * knowing only its recipient. This module seals v1 and opens v1 and v2 (the
 * per-recipient part of a multi-recipient message: `multi-recipient.ts` seals it,
 * `sent-message.ts` splits it, `v2-crypto.ts` has its keys).
 *
 *   ephemeral keys: HKDF(salt "UnidentifiedDelivery" ‖ recipient key ‖ ephemeral key,
 *                        DH(ephemeral, recipient identity), "", 96) -> chain ‖ cipher ‖ mac
 *   encrypted_static = AES-256-CTR(cipher, sender identity key) ‖ HMAC(mac)[..10]
 *   static keys: HKDF(salt chain ‖ encrypted_static, DH(sender identity, recipient identity), "", 96)
 *   encrypted_message = AES-256-CTR ‖ HMAC[..10] of the UnidentifiedSenderMessageContent
 *   wire: 0x11 ‖ protobuf {ephemeralPublic 1, encryptedStatic 2, encryptedMessage 3}
 */
import { backend } from '#backend';
import { ProtocolAddress } from '../address.ts';
import { KeyPair, type PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidCertificate, InvalidKey, InvalidSealedSender, NoSession } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { concat, constantTimeEqual, utf8 } from '../internal/bytes.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';
import { PublicKey as PK } from '../curve.ts';
import { PreKeySignalMessage, SignalMessage } from '../session/messages.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from '../session/session-cipher.ts';
import type { IdentityKeyStore, KyberPreKeyStore, PreKeyStore, SessionStore, SignedPreKeyStore } from '../session/stores.ts';
import { clock, resolveStores, type StoresFor } from '../store-arguments.ts';
import { SenderCertificate } from './certificates.ts';
import { AUTH_TAG_LEN, authenticationTag, decryptContent, decryptMessageKey, deriveEphemeral, EPHEMERAL_KEY_LEN, MESSAGE_KEY_LEN } from './v2-crypto.ts';

const SALT_PREFIX = utf8('UnidentifiedDelivery');
const V1_VERSION_BYTE = 0x11;
const MAC_LEN = 10;
const ZERO_IV = new Uint8Array(16);
const EMPTY = new Uint8Array(0);
export const MAX_SEALED_SENDER_BYTES = 256 * 1024;

export type SealedContentType = 'prekey' | 'whisper' | 'sender-key' | 'plaintext';
const TYPE_TO_PROTO: Record<SealedContentType, number> = { prekey: 1, whisper: 2, 'sender-key': 7, plaintext: 8 };
const PROTO_TO_TYPE: Record<number, SealedContentType> = { 1: 'prekey', 2: 'whisper', 7: 'sender-key', 8: 'plaintext' };
/** 0 = default (show an error at once), 1 = resendable, 2 = implicit (receipts, typing). */
export type ContentHint = number;

/** What travels inside a sealed-sender envelope. */
export class UnidentifiedSenderMessageContent {
  private constructor(
    readonly type: SealedContentType,
    readonly senderCertificate: SenderCertificate,
    readonly contents: Uint8Array,
    readonly contentHint: ContentHint,
    readonly groupId: Uint8Array | undefined,
    private readonly serialized: Uint8Array,
  ) {}

  /** A null `contentHint` is the default (0) and a null `groupId` is none, as in libsignal-client. */
  static create(
    type: SealedContentType,
    sender: SenderCertificate,
    contents: Uint8Array,
    contentHint: ContentHint | null = 0,
    groupId?: Uint8Array | null,
  ): UnidentifiedSenderMessageContent {
    if (!Object.hasOwn(TYPE_TO_PROTO, type)) throw new InvalidArgument(`sealed content: unknown message type ${String(type)}`);
    contentHint ??= 0;
    groupId ??= undefined;
    const serialized = new ProtoWriter()
      .uint32(1, TYPE_TO_PROTO[type])
      .bytes(2, sender.serialize())
      .bytes(3, contents)
      .uint32(4, contentHint === 0 ? undefined : contentHint)
      .bytes(5, groupId)
      .finish();
    return new UnidentifiedSenderMessageContent(type, sender, contents, contentHint, groupId, serialized);
  }

  static deserialize(bytes: Uint8Array): UnidentifiedSenderMessageContent {
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_SEALED_SENDER_BYTES) throw new InvalidSealedSender('sealed content: missing or too large');
    const err = (r: string) => new InvalidSealedSender(`sealed content: ${r}`);
    const f = parseProto(bytes, (m) => ({ type: m.uint32(1), cert: m.bytes(2), content: m.bytes(3), hint: m.uint32(4), groupId: m.bytes(5) }), err);
    const type = f.type === undefined ? undefined : PROTO_TO_TYPE[f.type];
    if (!type) throw err('unknown or missing message type');
    if (!f.cert || !f.content) throw err('sender certificate or content missing');
    return new UnidentifiedSenderMessageContent(type, SenderCertificate.deserialize(f.cert), f.content.slice(), f.hint ?? 0, f.groupId?.slice(), bytes.slice());
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}

function ctrHmacEncrypt(plaintext: Uint8Array, cipherKey: Uint8Array, macKey: Uint8Array): Uint8Array {
  const ct = backend.aes256Ctr(cipherKey, ZERO_IV, plaintext);
  return concat(ct, backend.hmacSha256(macKey, ct).subarray(0, MAC_LEN));
}

function ctrHmacDecrypt(data: Uint8Array, cipherKey: Uint8Array, macKey: Uint8Array, what: string): Uint8Array {
  if (data.length < MAC_LEN) throw new InvalidSealedSender(`${what}: truncated`);
  const ct = data.subarray(0, data.length - MAC_LEN);
  const mac = backend.hmacSha256(macKey, ct).subarray(0, MAC_LEN);
  if (!constantTimeEqual(mac, data.subarray(data.length - MAC_LEN))) throw new InvalidSealedSender(`${what}: MAC verification failed`);
  return backend.aes256Ctr(cipherKey, ZERO_IV, ct);
}

function agree(priv: { agree(p: PublicKey): Uint8Array }, pub: PublicKey): Uint8Array {
  try {
    return priv.agree(pub);
  } catch (e) {
    if (e instanceof InvalidKey) throw new InvalidSealedSender(`sealed sender: ${e.message}`);
    throw e;
  }
}

function ephemeralKeys(shared: Uint8Array, recipientKey: PublicKey, ephemeralKey: PublicKey) {
  const salt = concat(SALT_PREFIX, recipientKey.serializedView(), ephemeralKey.serializedView());
  const okm = backend.hkdfSha256(shared, salt, EMPTY, 96);
  return { chainKey: okm.subarray(0, 32), cipherKey: okm.subarray(32, 64), macKey: okm.subarray(64, 96) };
}

function staticKeys(shared: Uint8Array, chainKey: Uint8Array, encryptedStatic: Uint8Array) {
  const okm = backend.hkdfSha256(shared, concat(chainKey, encryptedStatic), EMPTY, 96);
  return { cipherKey: okm.subarray(32, 64), macKey: okm.subarray(64, 96) };
}

/**
 * Seals `content` for the holder of `recipientIdentity`, synchronously. As libsignal, also
 * `(content, address, identityStore)` (or a stores object in its place): the keys then
 * come from the identity store, and the result is a Promise.
 */
export function sealedSenderEncrypt(content: UnidentifiedSenderMessageContent, recipientIdentity: PublicKey, ourIdentity: IdentityKeyPair): Uint8Array;
export function sealedSenderEncrypt(
  content: UnidentifiedSenderMessageContent,
  address: ProtocolAddress,
  identityStore: IdentityKeyStore | StoresFor<'identityStore'>,
): Promise<Uint8Array>;
export function sealedSenderEncrypt(content: UnidentifiedSenderMessageContent, to: PublicKey | ProtocolAddress, from: unknown): Uint8Array | Promise<Uint8Array> {
  if (to instanceof ProtocolAddress) {
    const forms = '(content, address, identityStore) or (content, address, { identityStore }); or give the keys: (content, recipientIdentityKey, ourIdentityKeyPair)';
    return (async () => {
      const { identityStore } = resolveStores('sealedSenderEncrypt', ['identityStore'], [from], forms).stores;
      const recipient = await identityStore.getIdentity(to);
      if (!recipient) throw new NoSession(`no identity known for ${to.toString()}; fetch its prekey bundle and start a session`);
      return seal(content, recipient, await identityStore.getIdentityKeyPair());
    })();
  }
  return seal(content, to, from as IdentityKeyPair);
}

function seal(content: UnidentifiedSenderMessageContent, recipientIdentity: PublicKey, ourIdentity: IdentityKeyPair): Uint8Array {
  const ephemeral = KeyPair.generate();
  const eph = ephemeralKeys(agree(ephemeral.privateKey, recipientIdentity), recipientIdentity, ephemeral.publicKey);
  const encryptedStatic = ctrHmacEncrypt(ourIdentity.publicKey.serialize(), eph.cipherKey, eph.macKey);
  const st = staticKeys(agree(ourIdentity.privateKey, recipientIdentity), eph.chainKey, encryptedStatic);
  const encryptedMessage = ctrHmacEncrypt(content.serialize(), st.cipherKey, st.macKey);
  const body = new ProtoWriter().bytes(1, ephemeral.publicKey.serializedView()).bytes(2, encryptedStatic).bytes(3, encryptedMessage).finish();
  return concat(new Uint8Array([V1_VERSION_BYTE]), body);
}

/**
 * Opens a sealed-sender envelope addressed to `ourIdentity` (no certificate validation
 * yet), synchronously. As libsignal, also `(bytes, identityStore)` (or a stores object):
 * our key then comes from the store, and the result is a Promise.
 */
export function sealedSenderDecryptToUsmc(bytes: Uint8Array, ourIdentity: IdentityKeyPair): UnidentifiedSenderMessageContent;
export function sealedSenderDecryptToUsmc(bytes: Uint8Array, identityStore: IdentityKeyStore | StoresFor<'identityStore'>): Promise<UnidentifiedSenderMessageContent>;
export function sealedSenderDecryptToUsmc(bytes: Uint8Array, ours: unknown): UnidentifiedSenderMessageContent | Promise<UnidentifiedSenderMessageContent> {
  if (ours instanceof IdentityKeyPair) return open(bytes, ours);
  const forms = '(bytes, identityStore) or (bytes, { identityStore }); or give the key: (bytes, ourIdentityKeyPair)';
  return (async () => {
    const { identityStore } = resolveStores('sealedSenderDecryptToUsmc', ['identityStore'], [ours], forms).stores;
    return open(bytes, await identityStore.getIdentityKeyPair());
  })();
}

function open(bytes: Uint8Array, ourIdentity: IdentityKeyPair): UnidentifiedSenderMessageContent {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InvalidSealedSender('sealed sender: empty message');
  if (bytes.length > MAX_SEALED_SENDER_BYTES) throw new InvalidSealedSender('sealed sender: too large');
  const version = bytes[0]! >> 4;
  if (version === 2) return openV2(bytes, ourIdentity);
  if (version !== 0 && version !== 1) throw new InvalidSealedSender(`sealed sender: unknown version ${version}`);
  const err = (r: string) => new InvalidSealedSender(`sealed sender: ${r}`);
  const f = parseProto(bytes.subarray(1), (m) => ({ eph: m.bytes(1), st: m.bytes(2), msg: m.bytes(3) }), err);
  if (!f.eph || !f.st || !f.msg) throw err('missing field');
  let ephemeralPublic: PublicKey;
  try {
    ephemeralPublic = PK.deserialize(f.eph);
  } catch {
    throw err('invalid ephemeral key');
  }
  const eph = ephemeralKeys(agree(ourIdentity.privateKey, ephemeralPublic), ourIdentity.publicKey, ephemeralPublic);
  const staticKeyBytes = ctrHmacDecrypt(f.st, eph.cipherKey, eph.macKey, 'sealed sender static key');
  let senderIdentity: PublicKey;
  try {
    senderIdentity = PK.deserialize(staticKeyBytes);
  } catch {
    throw err('invalid sender identity key');
  }
  const st = staticKeys(agree(ourIdentity.privateKey, senderIdentity), eph.chainKey, f.st);
  const usmc = UnidentifiedSenderMessageContent.deserialize(ctrHmacDecrypt(f.msg, st.cipherKey, st.macKey, 'sealed sender content'));
  // Why: the certificate must name the key that authenticated the envelope.
  if (!usmc.senderCertificate.hasIdentityKey(senderIdentity)) throw err('sender certificate key does not match message key');
  return usmc;
}

/**
 * Opens a v2 received message: `version ‖ C (32) ‖ AT (16) ‖ E (32, bare) ‖ AES-GCM-SIV
 * ciphertext ‖ tag`. As libsignal, any version byte 0x2_ is accepted (0x22 is what the
 * server's split writes).
 */
function openV2(bytes: Uint8Array, ourIdentity: IdentityKeyPair): UnidentifiedSenderMessageContent {
  const err = (r: string) => new InvalidSealedSender(`sealed sender v2: ${r}`);
  const cEnd = 1 + MESSAGE_KEY_LEN;
  const atEnd = cEnd + AUTH_TAG_LEN;
  const eEnd = atEnd + EPHEMERAL_KEY_LEN;
  if (bytes.length < eEnd) throw err('truncated');
  const c = bytes.subarray(1, cEnd);
  const at = bytes.subarray(cEnd, atEnd);
  const ephemeral = PK.fromRaw(bytes.subarray(atEnd, eEnd));
  const m = decryptMessageKey(ourIdentity.privateKey, ourIdentity.publicKey, ephemeral, c);
  // Why: E is derived from M, so a matching E proves C was made for our identity key.
  if (!constantTimeEqual(deriveEphemeral(m).publicKey.raw, ephemeral.raw)) throw err('not addressed to this identity, or corrupt (ephemeral key mismatch)');
  const plaintext = decryptContent(m, bytes.subarray(eEnd));
  if (!plaintext) throw err('content failed to decrypt (tampered)');
  const usmc = UnidentifiedSenderMessageContent.deserialize(plaintext);
  const senderKey = usmc.senderCertificate.identityKey;
  const expected = authenticationTag(ourIdentity.privateKey, senderKey, ephemeral, c, senderKey, ourIdentity.publicKey, false);
  // Why: AT binds the sender's identity key to this envelope; without it anyone who knew M could claim any certificate.
  if (!constantTimeEqual(expected, at)) throw err('sender certificate key does not match the authentication tag');
  return usmc;
}

/**
 * Encrypts `plaintext` over the 1:1 session with `address`, then seals it with our sender
 * certificate. The stores as libsignal takes them, or one stores object (`store-arguments.ts`).
 */
export function sealedSenderEncryptMessage(
  plaintext: Uint8Array,
  address: ProtocolAddress,
  senderCertificate: SenderCertificate,
  sessionStore: SessionStore,
  identityStore: IdentityKeyStore,
  now?: number | Date,
): Promise<Uint8Array>;
export function sealedSenderEncryptMessage(
  plaintext: Uint8Array,
  address: ProtocolAddress,
  senderCertificate: SenderCertificate,
  stores: StoresFor<'sessionStore' | 'identityStore'>,
  now?: number | Date,
): Promise<Uint8Array>;
export async function sealedSenderEncryptMessage(
  plaintext: Uint8Array,
  address: ProtocolAddress,
  senderCertificate: SenderCertificate,
  ...args: unknown[]
): Promise<Uint8Array> {
  const forms = '(plaintext, address, senderCertificate, sessionStore, identityStore, now) or (plaintext, address, senderCertificate, { sessionStore, identityStore }, now)';
  const { stores, rest } = resolveStores('sealedSenderEncryptMessage', ['sessionStore', 'identityStore'], args, forms);
  const { sessionStore, identityStore } = stores;
  const message = await signalEncrypt(plaintext, address, sessionStore, identityStore, clock('sealedSenderEncryptMessage', rest[0]));
  const recipient = await identityStore.getIdentity(address);
  if (!recipient) throw new NoSession(`no identity known for ${address.toString()}`);
  const usmc = UnidentifiedSenderMessageContent.create(message.type, senderCertificate, message.serialize());
  return sealedSenderEncrypt(usmc, recipient, await identityStore.getIdentityKeyPair());
}

export interface SealedSenderDecryptionResult {
  readonly senderUuid: string;
  readonly senderE164: string | undefined;
  readonly senderDeviceId: number;
  readonly plaintext: Uint8Array;
}

type DecryptStores = 'sessionStore' | 'identityStore' | 'preKeyStore' | 'signedPreKeyStore' | 'kyberPreKeyStore';

/**
 * Opens, validates (trust root, expiry at `timestamp` ms) and decrypts a sealed
 * message. Rejects messages that claim to come from this very device (its uuid, or its
 * e164 when both sides have one, with its device id), as libsignal does. The stores as
 * libsignal takes them, or one stores object (`store-arguments.ts`).
 */
export function sealedSenderDecryptMessage(
  bytes: Uint8Array,
  trustRoot: PublicKey,
  timestamp: number,
  localE164: string | null | undefined,
  localUuid: string,
  localDeviceId: number,
  sessionStore: SessionStore,
  identityStore: IdentityKeyStore,
  preKeyStore: PreKeyStore,
  signedPreKeyStore: SignedPreKeyStore,
  kyberPreKeyStore: KyberPreKeyStore,
): Promise<SealedSenderDecryptionResult>;
export function sealedSenderDecryptMessage(
  bytes: Uint8Array,
  trustRoot: PublicKey,
  timestamp: number,
  localE164: string | null | undefined,
  localUuid: string,
  localDeviceId: number,
  stores: StoresFor<DecryptStores>,
): Promise<SealedSenderDecryptionResult>;
export async function sealedSenderDecryptMessage(
  bytes: Uint8Array,
  trustRoot: PublicKey,
  timestamp: number,
  localE164: string | null | undefined,
  localUuid: string,
  localDeviceId: number,
  ...args: unknown[]
): Promise<SealedSenderDecryptionResult> {
  const forms =
    '(bytes, trustRoot, timestamp, localE164, localUuid, localDeviceId, sessionStore, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore) or (bytes, trustRoot, timestamp, localE164, localUuid, localDeviceId, { sessionStore, identityStore, preKeyStore, signedPreKeyStore, kyberPreKeyStore })';
  const names: [DecryptStores, ...DecryptStores[]] = ['sessionStore', 'identityStore', 'preKeyStore', 'signedPreKeyStore', 'kyberPreKeyStore'];
  const { stores } = resolveStores('sealedSenderDecryptMessage', names, args, forms);
  if (localE164 !== undefined && localE164 !== null && typeof localE164 !== 'string') throw new InvalidArgument('sealedSenderDecryptMessage: localE164 must be a string or null');
  if (typeof localUuid !== 'string') throw new InvalidArgument('sealedSenderDecryptMessage: localUuid must be a string (this account\'s uuid)');
  const usmc = sealedSenderDecryptToUsmc(bytes, await stores.identityStore.getIdentityKeyPair());
  const cert = usmc.senderCertificate;
  if (!cert.validate(trustRoot, timestamp)) throw new InvalidCertificate('sealed sender: the sender certificate is not valid (untrusted, forged or expired)');
  const isLocal = cert.senderUuid === localUuid || (typeof localE164 === 'string' && cert.senderE164 !== undefined && cert.senderE164 === localE164);
  if (isLocal && cert.senderDeviceId === localDeviceId) throw new InvalidSealedSender('sealed sender: message from this device to itself');
  const from = new ProtocolAddress(cert.senderUuid, cert.senderDeviceId);
  let plaintext: Uint8Array;
  if (usmc.type === 'prekey') {
    plaintext = await signalDecryptPreKey(
      PreKeySignalMessage.deserialize(usmc.contents),
      from,
      stores.sessionStore,
      stores.identityStore,
      stores.preKeyStore,
      stores.signedPreKeyStore,
      stores.kyberPreKeyStore,
    );
  } else if (usmc.type === 'whisper') {
    plaintext = await signalDecrypt(SignalMessage.deserialize(usmc.contents), from, stores.sessionStore, stores.identityStore);
  } else {
    throw new InvalidSealedSender(`sealed sender: ${usmc.type} content must be decrypted by the caller (group or plaintext)`);
  }
  return { senderUuid: cert.senderUuid, senderE164: cert.senderE164, senderDeviceId: cert.senderDeviceId, plaintext };
}
