/**
 * The attachment cipher, as Signal's: a fresh 64-byte key per attachment (32 bytes
 * AES-256, 32 bytes HMAC-SHA256), a random 16-byte IV, and
 *
 *   IV ‖ AES-256-CBC(PKCS#7(plaintext ‖ zeros to the padded size)) ‖ HMAC-SHA256(IV ‖ CBC ciphertext)
 *
 * with the SHA-256 of all of it (the digest) in the pointer. Encrypt-then-MAC over
 * the whole file: a download is checked (length, MAC, digest) before one block of
 * it is decrypted, so nothing unauthenticated is ever decrypted, let alone shown.
 * Everything streams in pieces (CBC chained by hand over @noble/ciphers with its
 * padding layer off; incremental HMAC and SHA-256 from @noble/hashes), so a file of
 * 100 MB never has to be in memory at once. Sizes: wire's attachment-size.ts.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { attachmentCiphertextSize, paddedAttachmentSize } from '@parley/wire';
import { ATTACHMENT_KEY_BYTES } from '../content/attachment.ts';
import { ClientError } from '../errors.ts';

const IV_BYTES = 16;
const MAC_BYTES = 32;
const BLOCK = 16;
/** Bytes of plaintext (or ciphertext) handled per step: a multiple of the AES block. */
export const PIECE_BYTES = 64 * 1024;

/** Reads exactly `length` bytes at `offset`. */
export type ReadAt = (offset: number, length: number) => Promise<Uint8Array>;

function keys(key: Uint8Array): { aes: Uint8Array; mac: Uint8Array } {
  if (key.length !== ATTACHMENT_KEY_BYTES) throw new TypeError(`an attachment key is ${ATTACHMENT_KEY_BYTES} bytes, got ${key.length}`);
  return { aes: key.subarray(0, 32), mac: key.subarray(32) };
}

function invalid(why: string): ClientError {
  return new ClientError('ATTACHMENT_INVALID', `the attachment did not verify (${why}); nothing of it was kept`);
}

/**
 * Encrypts `size` bytes read through `read`: `pieces()` yields the ciphertext in order
 * (`ciphertextSize` bytes in all); once it has finished, `digest` is the SHA-256 of it.
 */
export class AttachmentEncryptor {
  readonly ciphertextSize: number;
  private finished: Uint8Array | undefined;

  constructor(
    private readonly read: ReadAt,
    private readonly size: number,
    private readonly key: Uint8Array,
    private readonly iv: Uint8Array,
  ) {
    keys(key);
    if (iv.length !== IV_BYTES) throw new TypeError(`an attachment IV is ${IV_BYTES} bytes, got ${iv.length}`);
    this.ciphertextSize = attachmentCiphertextSize(size);
  }

  get digest(): Uint8Array {
    if (!this.finished) throw new Error('the digest is known once every piece was encrypted');
    return this.finished;
  }

  async *pieces(): AsyncGenerator<Uint8Array> {
    const { aes, mac: macKey } = keys(this.key);
    const padded = paddedAttachmentSize(this.size);
    const mac = hmac.create(sha256, macKey);
    const hash = sha256.create();
    const iv = this.iv.slice();
    mac.update(iv);
    hash.update(iv);
    yield iv;
    let chain = iv;
    for (let offset = 0; offset < padded; offset += PIECE_BYTES) {
      const n = Math.min(PIECE_BYTES, padded - offset);
      const last = offset + n === padded;
      // Plaintext, then zeros to the padded size; the last piece also gets PKCS#7's full block (padded is a multiple of 16).
      const plain = new Uint8Array(n + (last ? BLOCK : 0));
      if (offset < this.size) {
        const want = Math.min(n, this.size - offset);
        const got = await this.read(offset, want);
        if (got.length !== want) throw new ClientError('SEND_FAILED', 'the file changed while it was being sent; send it again');
        plain.set(got);
      }
      if (last) plain.fill(BLOCK, n);
      const ct = cbc(aes, chain, { disablePadding: true }).encrypt(plain);
      chain = ct.slice(ct.length - BLOCK);
      mac.update(ct);
      hash.update(ct);
      yield ct;
    }
    const tag = mac.digest();
    hash.update(tag);
    yield tag;
    this.finished = hash.digest();
  }
}

/**
 * Checks downloaded ciphertext of `length` bytes against the pointer: its length for
 * `size`, its MAC, and its digest (constant-time compares). ATTACHMENT_INVALID otherwise.
 * Decrypts nothing.
 */
export async function verifyAttachment(read: ReadAt, length: number, pointer: { key: Uint8Array; digest: Uint8Array; size: number }): Promise<void> {
  const expected = attachmentCiphertextSize(pointer.size);
  if (length !== expected) throw invalid(`${length} bytes where ${expected} were expected`);
  const mac = hmac.create(sha256, keys(pointer.key).mac);
  const hash = sha256.create();
  const body = length - MAC_BYTES;
  for (let offset = 0; offset < body; offset += PIECE_BYTES) {
    const piece = await read(offset, Math.min(PIECE_BYTES, body - offset));
    mac.update(piece);
    hash.update(piece);
  }
  const tag = await read(body, MAC_BYTES);
  hash.update(tag);
  const macOk = equalBytes(mac.digest(), tag);
  const digestOk = equalBytes(hash.digest(), pointer.digest);
  if (!macOk) throw invalid('wrong MAC');
  if (!digestOk) throw invalid('wrong digest');
}

/** Decrypts ciphertext that `verifyAttachment` accepted: yields exactly `size` bytes of plaintext, in order. */
export async function* decryptAttachment(read: ReadAt, pointer: { key: Uint8Array; size: number }): AsyncGenerator<Uint8Array> {
  const { aes } = keys(pointer.key);
  const padded = paddedAttachmentSize(pointer.size);
  let chain = await read(0, IV_BYTES);
  // The CBC ciphertext: the padded plaintext and PKCS#7's full block.
  const body = padded + BLOCK;
  let out = 0;
  for (let offset = 0; offset < body; offset += PIECE_BYTES) {
    const n = Math.min(PIECE_BYTES, body - offset);
    const ct = await read(IV_BYTES + offset, n);
    const plain = cbc(aes, chain, { disablePadding: true }).decrypt(ct);
    chain = ct.slice(n - BLOCK);
    if (offset + n === body && !plain.subarray(n - BLOCK).every((b) => b === BLOCK)) throw invalid('bad padding');
    const keep = Math.min(plain.length, pointer.size - out);
    if (keep > 0) {
      yield plain.subarray(0, keep);
      out += keep;
    }
  }
}
