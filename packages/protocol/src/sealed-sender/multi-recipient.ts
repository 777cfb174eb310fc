/**
 * Sealed sender v2, the sender's side (libsignal `sealed_sender_multi_recipient_encrypt`):
 * one `UnidentifiedSenderMessageContent` sealed once for many recipients. The content
 * is encrypted once (AES-256-GCM-SIV); each recipient account gets only C ‖ AT (48
 * bytes) and each of its devices 3 bytes, so a group message to 100 devices costs two
 * X25519 per account, not a sealed copy per device. The server splits the result
 * (`sent-message.ts`); each device opens its part like any sealed message.
 *
 * Differs from libsignal only where libsignal would produce a message the server
 * refuses, or where Parley's trust model asks more: a recipient also listed as
 * excluded, an excluded id given twice and a device id outside 1..127 are
 * InvalidArgument here; an identity not trusted for sending (changed, not yet
 * approved) is UntrustedIdentity, as for 1:1 messages.
 */
import type { ProtocolAddress } from '../address.ts';
import type { PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidState, NoSession, UntrustedIdentity } from '../errors.ts';
import type { IdentityKeyPair } from '../identity-key.ts';
import { backend } from '#backend';
import { ServiceId } from '../service-id.ts';
import type { IdentityKeyStore, SessionStore } from '../session/stores.ts';
import { resolveStores, type StoresFor } from '../store-arguments.ts';
import type { UnidentifiedSenderMessageContent } from './sealed-sender.ts';
import { MAX_DEVICE_ID, MAX_V2_SHARED_BYTES, type SealedSenderV2Device, type SentEntry, writeSentMessage } from './sent-message.ts';
import { authenticationTag, deriveEphemeral, encryptContent, encryptMessageKey, MESSAGE_KEY_LEN } from './v2-crypto.ts';

/** One recipient account: its service id, identity key and the devices to reach. */
export interface SealedSenderV2Recipient {
  /** `uuid` (ACI) or `PNI:uuid`. */
  readonly serviceId: string;
  readonly identityKey: PublicKey;
  /** Device ids (1..127) with the registration ids (14 bits) of the sessions with them. */
  readonly devices: readonly SealedSenderV2Device[];
}

const REGISTRATION_ID_MASK = 0x3fff;

/** libsignal's options form of `sealedSenderMultiRecipientEncrypt`; the stores are its properties. */
export interface SealedSenderMultiRecipientEncryptOptions {
  content: UnidentifiedSenderMessageContent;
  recipients: readonly ProtocolAddress[];
  excludedRecipients?: readonly string[];
  identityStore: IdentityKeyStore;
  sessionStore: SessionStore;
}

/**
 * Seals `content` for `recipients` (keys already known); returns the sent-message bytes
 * (version 0x23). `excluded` lists service ids deliberately left out, so the server can
 * tell them from forgotten ones. A recipient given twice gets two entries, as in libsignal.
 */
export function sealedSenderMultiRecipientSeal(
  content: UnidentifiedSenderMessageContent,
  recipients: readonly SealedSenderV2Recipient[],
  excluded: readonly string[],
  ourIdentity: IdentityKeyPair,
): Uint8Array {
  const plaintext = content.serialize();
  if (plaintext.length + 32 + 16 > MAX_V2_SHARED_BYTES) throw new InvalidArgument(`sealed sender v2: content of ${plaintext.length} bytes is too large to seal`);
  const included = new Set<string>();
  for (const r of recipients) {
    const id = ServiceId.parse(r.serviceId, 'sealed sender v2 recipient').toString();
    if (r.devices.length === 0) throw new InvalidArgument(`sealed sender v2: recipient ${id} has no devices; list it as excluded instead`);
    for (const d of r.devices) {
      if (!Number.isInteger(d.deviceId) || d.deviceId < 1 || d.deviceId > MAX_DEVICE_ID) throw new InvalidArgument(`sealed sender v2: device id ${d.deviceId} of ${id} is outside 1..${MAX_DEVICE_ID}`);
      if (!Number.isInteger(d.registrationId) || d.registrationId < 0 || (d.registrationId & REGISTRATION_ID_MASK) !== d.registrationId) {
        throw new InvalidArgument(`sealed sender v2: registration id ${d.registrationId} of ${id}.${d.deviceId} does not fit 14 bits`);
      }
    }
    included.add(id);
  }
  const excludedIds: ServiceId[] = [];
  const seen = new Set<string>();
  for (const x of excluded) {
    const id = ServiceId.parse(x, 'sealed sender v2 excluded recipient');
    const s = id.toString();
    // Why: the server's parser refuses a message naming one account twice when one of the entries is empty.
    if (included.has(s)) throw new InvalidArgument(`sealed sender v2: ${s} is both a recipient and excluded`);
    if (seen.has(s)) throw new InvalidArgument(`sealed sender v2: ${s} is excluded twice`);
    seen.add(s);
    excludedIds.push(id);
  }

  const m = backend.randomBytes(MESSAGE_KEY_LEN);
  const e = deriveEphemeral(m);
  const ciphertext = encryptContent(m, plaintext);
  const entries: SentEntry[] = recipients.map((r) => {
    const c = encryptMessageKey(e, r.identityKey, m);
    const at = authenticationTag(ourIdentity.privateKey, r.identityKey, e.publicKey, c, ourIdentity.publicKey, r.identityKey, true);
    const keyMaterial = new Uint8Array(48);
    keyMaterial.set(c);
    keyMaterial.set(at, 32);
    return { serviceId: ServiceId.parse(r.serviceId), devices: r.devices, keyMaterial };
  });
  return writeSentMessage(entries, excludedIds, e.publicKey.raw, ciphertext);
}

/**
 * Seals `content` for every address in `recipients` (an account's devices next to each
 * other, as libsignal expects), taking identities from `identityStore` and registration
 * ids from the sessions in `sessionStore`. Address names must be service ids.
 * Throws NoSession for an address without a session or identity, UntrustedIdentity for an
 * identity not trusted for sending, InvalidState for a session whose registration id does
 * not fit 14 bits.
 */
export function sealedSenderMultiRecipientEncrypt(options: SealedSenderMultiRecipientEncryptOptions): Promise<Uint8Array>;
export function sealedSenderMultiRecipientEncrypt(
  content: UnidentifiedSenderMessageContent,
  recipients: readonly ProtocolAddress[],
  identityStore: IdentityKeyStore,
  sessionStore: SessionStore,
): Promise<Uint8Array>;
export function sealedSenderMultiRecipientEncrypt(
  content: UnidentifiedSenderMessageContent,
  recipients: readonly ProtocolAddress[],
  stores: StoresFor<'identityStore' | 'sessionStore'>,
): Promise<Uint8Array>;
export async function sealedSenderMultiRecipientEncrypt(first: unknown, ...args: unknown[]): Promise<Uint8Array> {
  const forms =
    '({ content, recipients, excludedRecipients, identityStore, sessionStore }), (content, recipients, identityStore, sessionStore) or (content, recipients, { identityStore, sessionStore })';
  // libsignal's options form: the options object is the stores object too.
  const optionsForm = args.length === 0 && typeof first === 'object' && first !== null && 'recipients' in first;
  const options = (optionsForm ? first : { content: first, recipients: args[0] }) as Partial<SealedSenderMultiRecipientEncryptOptions>;
  const given = optionsForm ? [first] : args.slice(1);
  const { identityStore, sessionStore } = resolveStores('sealedSenderMultiRecipientEncrypt', ['identityStore', 'sessionStore'], given, forms).stores;
  const { content } = options;
  const recipients = options.recipients;
  if (!Array.isArray(recipients)) throw new InvalidArgument(`sealedSenderMultiRecipientEncrypt: recipients must be an array of ProtocolAddress; call it as ${forms}`);
  if (!content) throw new InvalidArgument(`sealedSenderMultiRecipientEncrypt: content is missing; call it as ${forms}`);
  const groups: SealedSenderV2Recipient[] = [];
  let current: { serviceId: string; identityKey: PublicKey; devices: SealedSenderV2Device[] } | undefined;
  for (const address of recipients) {
    if (!current || current.serviceId !== address.name) {
      const identityKey = await identityStore.getIdentity(address);
      if (!identityKey) throw new NoSession(`no identity known for ${address.toString()}; fetch its prekey bundle and start a session`);
      current = { serviceId: address.name, identityKey, devices: [] };
      groups.push(current);
    }
    if (!(await identityStore.isTrustedIdentity(address, current.identityKey, 'sending'))) throw new UntrustedIdentity(address.toString());
    const session = await sessionStore.loadSession(address);
    const registrationId = session?.remoteRegistrationId();
    if (registrationId === undefined) throw new NoSession(`no session with ${address.toString()}; fetch its prekey bundle and start a session`);
    if ((registrationId & REGISTRATION_ID_MASK) !== registrationId) {
      throw new InvalidState(`the session with ${address.toString()} has registration id ${registrationId}, above 14 bits; start a new session from a fresh bundle`);
    }
    current.devices.push({ deviceId: address.deviceId, registrationId });
  }
  return sealedSenderMultiRecipientSeal(content, groups, options.excludedRecipients ?? [], await identityStore.getIdentityKeyPair());
}
