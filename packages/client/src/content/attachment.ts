/**
 * An attachment pointer: what a message says about a file, image or voice note
 * stored encrypted on the server. It travels only inside the end-to-end
 * encrypted content, so the server never learns the key, the digest, the name or
 * the type. Every field is bounded; names and types are data to show, never paths
 * or markup (apps sanitize a name before saving under it).
 */
import { attachmentId, bool, bytes, int, LIMITS, object, str } from '@parley/wire';

/** 32 bytes of AES-256 key, then 32 bytes of HMAC-SHA256 key (Signal's attachment cipher). */
export const ATTACHMENT_KEY_BYTES = 64;
export const ATTACHMENT_DIGEST_BYTES = 32;
export const MAX_FILE_NAME_LENGTH = 255;
export const MAX_CONTENT_TYPE_LENGTH = 127;
/** A preview the sender made (a tiny JPEG or WebP, or blurhash-like bytes); apps render it only for contacts. */
export const MAX_THUMBNAIL_BYTES = 4096;
export const MAX_DIMENSION = 65_535;
/** A voice note or video of up to a day. */
export const MAX_DURATION_MS = 24 * 3600_000;

/** `type/subtype`, lowercase, RFC 6838 characters, no parameters. */
export const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,62}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}$/;

export interface AttachmentPointer {
  /** The server's id for the ciphertext (the download capability). */
  readonly id: string;
  readonly key: Uint8Array;
  /** SHA-256 of the whole ciphertext as uploaded (IV, ciphertext, MAC). */
  readonly digest: Uint8Array;
  /** The plaintext size in bytes (the ciphertext is padded past it). */
  readonly size: number;
  readonly contentType: string;
  /** As the sender named it: shown, and sanitized before anything is saved under it. */
  readonly fileName?: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  /** Recorded as a voice note (not an audio file). */
  readonly voiceNote?: boolean;
  readonly thumbnail?: Uint8Array;
}

export const attachmentPointer = object(
  {
    id: attachmentId,
    key: bytes(ATTACHMENT_KEY_BYTES, ATTACHMENT_KEY_BYTES),
    digest: bytes(ATTACHMENT_DIGEST_BYTES, ATTACHMENT_DIGEST_BYTES),
    size: int(0, LIMITS.attachmentSizeCap),
    contentType: str(MAX_CONTENT_TYPE_LENGTH, CONTENT_TYPE_PATTERN),
  },
  {
    fileName: str(MAX_FILE_NAME_LENGTH, /^[\s\S]{1,255}$/),
    width: int(1, MAX_DIMENSION),
    height: int(1, MAX_DIMENSION),
    durationMs: int(0, MAX_DURATION_MS),
    voiceNote: bool,
    thumbnail: bytes(1, MAX_THUMBNAIL_BYTES),
  },
);
