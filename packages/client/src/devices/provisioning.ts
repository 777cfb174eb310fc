/**
 * Linking codes and the provisioning cipher. The new device opens a channel on the
 * server with an ephemeral X25519 key and shows a code: the channel id and an
 * 80-bit secret the server never sees (as text, e.g. "k7m2-q9xa-...", and as a QR
 * code). The existing device encrypts the account's identity to the new device's
 * key: AES-256-GCM under HKDF(X25519(ephemeral, theirs), salt = secret,
 * "Parley provisioning v1" ‖ channel id). A server that swaps in its own key can
 * run the key agreement but, without the secret, cannot derive the key.
 */
import { InvalidKey, PrivateKey, PublicKey } from '@parley/protocol';
import { CHANNEL_ID_PATTERN } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { deriveKey, open, seal, SealError } from '../internal/seal.ts';
import { randomBytes } from '../internal/random.ts';

/** The channel-id alphabet (no 0/1/l/o), also used for the secret: 5 bits a character. */
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const SECRET_CHARS = 16;
export const LINK_CODE_LENGTH = 10 + SECRET_CHARS;

export interface LinkCode {
  readonly channelId: string;
  /** 80 bits, as 16 characters. */
  readonly secret: string;
}

export function newSecret(): string {
  return Array.from(randomBytes(SECRET_CHARS), (b) => ALPHABET[b & 31]!).join('');
}

/** "abcd-efgh-jk..." : the channel id and the secret, in groups of four for reading aloud or typing. */
export function formatLinkCode(c: LinkCode): string {
  return (c.channelId + c.secret).match(/.{1,4}/g)!.join('-');
}

/** Parses a typed or scanned code (any case, spaces or dashes anywhere, an optional `parley:link:` prefix). */
export function parseLinkCode(text: string): LinkCode {
  const s = text.trim().toLowerCase().replace(/^parley:link:/, '').replace(/[\s-]/g, '');
  const channelId = s.slice(0, 10);
  const secret = s.slice(10);
  if (s.length !== LINK_CODE_LENGTH || !CHANNEL_ID_PATTERN.test(channelId) || ![...secret].every((ch) => ALPHABET.includes(ch))) {
    throw new ClientError('INVALID_LINK_CODE', `that is not a link code: it has ${LINK_CODE_LENGTH} letters and digits, as the new device shows it; type it again`);
  }
  return { channelId, secret };
}

/** What a QR code carries: the same code, with a prefix scanners can recognise. */
export function linkQrPayload(c: LinkCode): string {
  return `parley:link:${formatLinkCode(c)}`;
}

function key(shared: Uint8Array, code: LinkCode): Uint8Array {
  return deriveKey(shared, new TextEncoder().encode(code.secret), `Parley provisioning v1 ${code.channelId}`);
}

/** Bound to the channel and to the sender's ephemeral key exactly as sent (X25519 would ignore a flipped top bit). */
function aad(code: LinkCode, ephemeral: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`parley provisioning ${code.channelId} `);
  const out = new Uint8Array(prefix.length + ephemeral.length);
  out.set(prefix);
  out.set(ephemeral, prefix.length);
  return out;
}

/** Existing device: encrypts `plaintext` to the new device's channel key. Output: our ephemeral key (33) ‖ sealed. */
export function encryptProvisioning(theirKey: PublicKey, code: LinkCode, plaintext: Uint8Array): Uint8Array {
  const eph = PrivateKey.generate();
  const pub = eph.publicKey().serialize();
  const sealed = seal(key(eph.agree(theirKey), code), plaintext, aad(code, pub));
  const out = new Uint8Array(pub.length + sealed.length);
  out.set(pub);
  out.set(sealed, pub.length);
  return out;
}

/** New device: opens what the existing device sent; LINK_FAILED if it was altered or not for this code. */
export function decryptProvisioning(ours: PrivateKey, code: LinkCode, message: Uint8Array): Uint8Array {
  try {
    const theirs = PublicKey.deserialize(message.subarray(0, 33));
    return open(key(ours.agree(theirs), code), message.subarray(33), aad(code, message.subarray(0, 33)));
  } catch (e) {
    if (e instanceof SealError || e instanceof InvalidKey) {
      throw new ClientError('LINK_FAILED', 'the linking message could not be opened (it was altered, or meant for another code); start linking again on the new device');
    }
    throw e;
  }
}
