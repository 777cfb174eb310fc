/**
 * Targets for what a client reads from other people (inside the end-to-end
 * encryption, so only the sender and the client see these bytes): the padded
 * JSON content of every kind, attachment pointers and downloaded attachments,
 * group attributes and device names (sealed by other members / devices), profile
 * names and pictures (sealed by contacts under their profile key), the
 * provisioning message and link codes, sealed-sender envelopes (the seal and the
 * sender certificate, opened before the session decrypts), and the web app's ICE candidates.
 *
 * Sealed inputs (group attributes, device names, the provisioning plaintext) are
 * fuzzed as the plaintext a malicious member would seal: the harness seals each
 * mutated plaintext with the right key, so the decoder behind the AEAD is reached.
 */
import { join } from 'node:path';
import { IdentityKeyPair, PrivateKey, PublicKey } from '@parley/protocol';
import { decodeJson, LIMITS, object, WireError } from '@parley/wire';
import { attachmentPointer } from '../../packages/client/src/content/attachment.ts';
import { ContentError, decodeContent } from '../../packages/client/src/content/codec.ts';
import { decryptAttachment, verifyAttachment } from '../../packages/client/src/attachments/cipher.ts';
import { openProvisioningMessage } from '../../packages/client/src/devices/link.ts';
import { encryptProvisioning, parseLinkCode, type LinkCode } from '../../packages/client/src/devices/provisioning.ts';
import { openDeviceName } from '../../packages/client/src/devices/names.ts';
import { ClientError } from '../../packages/client/src/errors.ts';
import { openAttributes } from '../../packages/client/src/groups/attributes.ts';
import { unseal } from '../../packages/client/src/sealed/receive.ts';
import { deriveKey, seal } from '../../packages/client/src/internal/seal.ts';
import { decryptAvatar, decryptProfileName } from '../../packages/client/src/profiles/cipher.ts';
import { parseCandidate } from '../../packages/web/src/call/call-controller.ts';
import { fromHex, readState } from '../lib/state.ts';
import type { Target } from '../lib/target.ts';

const isContentError = (e: unknown) => e instanceof ContentError;
const never = () => false;
const clientError = (...codes: string[]) => (e: unknown) => e instanceof ClientError && codes.includes(e.code);
const enc = new TextEncoder();
const dec = new TextDecoder();

/** One target per content kind (all through decodeContent: the corpus differs, so the counts show each kind). */
const CONTENT_KINDS = ['text', 'attachment', 'typing', 'call', 'receipt', 'group-keys', 'sync', 'retry', 'profile-key', 'reaction', 'edit', 'delete', 'timer'] as const;

const contentTargets: Target[] = CONTENT_KINDS.map((kind) => ({
  name: `client.content-${kind}`,
  what: `decrypted ${kind === 'attachment' ? 'text content with an attachment pointer' : `${kind} content`} (padded JSON) from any sender, stranger or contact`,
  format: 'padded-json' as const,
  typed: isContentError,
  setup: () => decodeContent,
}));

export const clientTargets: Target[] = [
  ...contentTargets,
  {
    name: 'client.attachment-pointer',
    what: 'an attachment pointer (inside text and sync content) on its own',
    format: 'json',
    typed: (e) => e instanceof WireError,
    setup: () => {
      const wrapped = object({ attachment: attachmentPointer });
      return (b) => decodeJson(dec.decode(b), wrapped, Number.POSITIVE_INFINITY);
    },
  },
  {
    name: 'client.attachment-download',
    what: 'downloaded attachment ciphertext (the server or anyone on the way may alter it), verified then decrypted with the pointer\'s key and digest',
    format: 'bytes',
    typed: clientError('ATTACHMENT_INVALID'),
    setup: (dir) => {
      const x = readState(join(dir, 'state.json')).extra;
      const pointer = { key: fromHex(x.key!), digest: fromHex(x.digest!), size: Number(x.size) };
      return async (b) => {
        const read = async (offset: number, length: number) => {
          if (offset < 0 || offset + length > b.length) throw new ClientError('ATTACHMENT_INVALID', 'short read');
          return b.subarray(offset, offset + length);
        };
        await verifyAttachment(read, b.length, pointer);
        for await (const piece of decryptAttachment(read, pointer)) void piece;
      };
    },
  },
  {
    name: 'client.group-attributes',
    what: 'a group\'s sealed name as another member sealed it (any plaintext): openAttributes answers a name or nothing, never throws',
    format: 'padded-json',
    typed: never,
    setup: (dir) => {
      const x = readState(join(dir, 'state.json')).extra;
      const masterKey = fromHex(x.masterKey!);
      const key = deriveKey(masterKey, undefined, 'Parley group attributes v1');
      const aad = enc.encode(`parley group ${x.groupId}`);
      // The server refuses larger sealed attributes (nonce and tag add 28 bytes): nothing bigger reaches a member.
      return (b) => (b.length + 28 > LIMITS.maxGroupAttributesBytes ? undefined : openAttributes(masterKey, x.groupId!, seal(key, b, aad)));
    },
  },
  {
    name: 'client.device-name',
    what: 'a device name sealed by another device of the account (any plaintext): openDeviceName never throws',
    format: 'bytes',
    typed: never,
    setup: (dir) => {
      const identity = IdentityKeyPair.deserialize(fromHex(readState(join(dir, 'state.json')).identity));
      const key = deriveKey(identity.privateKey.serialize(), undefined, 'Parley device name v1');
      const aad = enc.encode('parley device name');
      // The server refuses larger sealed names: nothing bigger reaches another device.
      return (b) => (b.length + 28 > LIMITS.maxDeviceNameBytes ? undefined : openDeviceName(identity, seal(key, b, aad)));
    },
  },
  {
    name: 'client.profile-name',
    what: 'a contact\'s profile name as they sealed it under their profile key (any plaintext): a valid name or PROFILE_UNREADABLE',
    format: 'bytes',
    typed: clientError('PROFILE_UNREADABLE'),
    setup: (dir) => {
      const key = fromHex(readState(join(dir, 'state.json')).extra.profileKey!);
      const aad = enc.encode('Parley profile name v1');
      // The server refuses sealed names of other lengths; the decoder is still reached with any.
      return (b) => decryptProfileName(key, seal(key, b, aad), 'the fuzzer');
    },
  },
  {
    name: 'client.profile-avatar',
    what: 'a contact\'s profile picture as sealed (the server could alter it): the picture or PROFILE_UNREADABLE',
    format: 'bytes',
    typed: clientError('PROFILE_UNREADABLE'),
    setup: (dir) => {
      const key = fromHex(readState(join(dir, 'state.json')).extra.profileKey!);
      return (b) => decryptAvatar(key, b, 'the fuzzer');
    },
  },
  {
    name: 'client.provisioning-message',
    what: 'the sealed provisioning message read from the channel (the server could alter it): LINK_FAILED',
    format: 'bytes',
    typed: clientError('LINK_FAILED'),
    setup: (dir) => {
      const x = readState(join(dir, 'state.json')).extra;
      const eph = PrivateKey.deserialize(fromHex(x.ephemeral!));
      const code: LinkCode = { channelId: x.channelId!, secret: x.secret! };
      return (b) => openProvisioningMessage(eph, code, b);
    },
  },
  {
    name: 'client.provisioning-plaintext',
    what: 'what a device that knows the link code can seal into the channel (any plaintext): LINK_FAILED',
    format: 'json',
    typed: clientError('LINK_FAILED'),
    setup: (dir) => {
      const x = readState(join(dir, 'state.json')).extra;
      const eph = PrivateKey.deserialize(fromHex(x.ephemeral!));
      const theirs = PublicKey.deserialize(fromHex(x.ephemeralPublic!));
      const code: LinkCode = { channelId: x.channelId!, secret: x.secret! };
      // The server refuses larger provisioning messages (the ephemeral key, nonce and tag add 61 bytes).
      return (b) => (b.length + 61 > LIMITS.maxProvisioningMessageBytes ? undefined : openProvisioningMessage(eph, code, encryptProvisioning(theirs, code, b)));
    },
  },
  {
    name: 'client.link-code',
    what: 'a link code typed or scanned from another screen: INVALID_LINK_CODE',
    format: 'text',
    typed: clientError('INVALID_LINK_CODE'),
    setup: () => (b) => parseLinkCode(dec.decode(b)),
  },
  {
    name: 'client.sealed-envelope',
    what: 'a sealed envelope\'s bytes (anyone with the access key can send them), opened with our identity and checked against the trust root: SEALED_SENDER_REJECTED',
    format: 'proto',
    head: 1,
    typed: clientError('SEALED_SENDER_REJECTED'),
    setup: (dir) => {
      const st = readState(join(dir, 'state.json'));
      const ours = IdentityKeyPair.deserialize(fromHex(st.identity));
      const x = st.extra;
      const root = PublicKey.deserialize(fromHex(x.trustRoot!));
      const me = { accountId: x.accountId!, deviceId: 1 };
      return (b) => unseal(b, ours, root, Number(x.now), me);
    },
  },
  {
    name: 'web.ice-candidate',
    what: 'a peer\'s ICE candidate JSON (after the local accept) in the web app: parseCandidate answers a candidate or nothing, never throws',
    format: 'json',
    typed: never,
    setup: () => (b) => parseCandidate(dec.decode(b)),
  },
];
