/**
 * How many bytes an attachment occupies on the server: the contract between the
 * clients that upload and download it and the server that bounds it. Clients pad
 * a file before encrypting it so its stored size says little about it, then
 * encrypt it as Signal does (a 16-byte IV, AES-256-CBC with PKCS#7, a 32-byte
 * HMAC-SHA256); the cipher itself lives in the SDK.
 *
 * Integer arithmetic only: sender and recipient (and the server) must agree on
 * every size exactly, and floating-point logarithms may differ between engines.
 */

/** Every padded size is at least this (a 0-byte file looks like a 1 KiB one). */
export const MIN_PADDED_ATTACHMENT_BYTES = 1024;
/** IV before the ciphertext, MAC after it. */
const IV_BYTES = 16;
const MAC_BYTES = 32;
const AES_BLOCK = 16;

/**
 * The size a file of `size` bytes is padded to (with zeros) before encryption: 16
 * sizes per doubling (the next multiple of 2^(bits - 5)), so padding adds at most
 * 6.25% and a stored size names one of few buckets.
 */
export function paddedAttachmentSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`attachment size must be a non-negative integer, got ${size}`);
  if (size <= MIN_PADDED_ATTACHMENT_BYTES) return MIN_PADDED_ATTACHMENT_BYTES;
  let bits = 0;
  for (let n = size; n >= 1; n = Math.floor(n / 2)) bits++;
  const step = 2 ** (bits - 5);
  return Math.ceil(size / step) * step;
}

/** The uploaded (stored) size of a file of `size` bytes: IV, padded ciphertext with its PKCS#7 block, MAC. */
export function attachmentCiphertextSize(size: number): number {
  const padded = paddedAttachmentSize(size);
  return IV_BYTES + (Math.floor(padded / AES_BLOCK) + 1) * AES_BLOCK + MAC_BYTES;
}
