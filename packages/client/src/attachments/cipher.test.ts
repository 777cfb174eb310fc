// The attachment cipher against node:crypto (an independent AES-CBC, HMAC and
// SHA-256), round trips at the padding's edges, and tampering of any kind caught
// before anything is decrypted.
import { createCipheriv, createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { attachmentCiphertextSize, paddedAttachmentSize } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { AttachmentEncryptor, decryptAttachment, PIECE_BYTES, verifyAttachment } from './cipher.ts';

const bytes = (n: number, seed = 3) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 255);
const reader = (b: Uint8Array) => async (o: number, n: number) => b.slice(o, o + n);

async function encrypt(plain: Uint8Array, key: Uint8Array, iv: Uint8Array): Promise<{ ct: Uint8Array; digest: Uint8Array }> {
  const enc = new AttachmentEncryptor(reader(plain), plain.length, key, iv);
  const parts: Uint8Array[] = [];
  for await (const p of enc.pieces()) parts.push(p);
  const ct = Buffer.concat(parts);
  expect(ct.length).toBe(enc.ciphertextSize);
  return { ct: new Uint8Array(ct), digest: enc.digest };
}

async function decrypt(ct: Uint8Array, pointer: { key: Uint8Array; digest: Uint8Array; size: number }): Promise<Uint8Array> {
  await verifyAttachment(reader(ct), ct.length, pointer);
  const parts: Uint8Array[] = [];
  for await (const p of decryptAttachment(reader(ct), pointer)) parts.push(p.slice());
  return new Uint8Array(Buffer.concat(parts));
}

/** Signal's attachment format built from node:crypto (OpenSSL): IV ‖ AES-256-CBC/PKCS#7 ‖ HMAC-SHA256. */
function reference(plain: Uint8Array, key: Uint8Array, iv: Uint8Array): { ct: Buffer; digest: Buffer } {
  const padded = Buffer.alloc(paddedAttachmentSize(plain.length));
  padded.set(plain);
  const c = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv);
  const body = Buffer.concat([iv, c.update(padded), c.final()]);
  const mac = createHmac('sha256', key.subarray(32)).update(body).digest();
  const ct = Buffer.concat([body, mac]);
  return { ct, digest: createHash('sha256').update(ct).digest() };
}

async function expectInvalid(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toSatisfy((e: unknown) => e instanceof ClientError && e.code === 'ATTACHMENT_INVALID');
}

describe('attachment cipher', () => {
  const key = bytes(64, 9);
  const iv = bytes(16, 5);

  it('matches node:crypto byte for byte, and round-trips, at every padding and piece edge', async () => {
    for (const size of [0, 1, 15, 16, 17, 1023, 1024, 1025, PIECE_BYTES - 1, PIECE_BYTES, PIECE_BYTES + 1, 3 * PIECE_BYTES + 77, 300_000]) {
      const plain = bytes(size);
      const { ct, digest } = await encrypt(plain, key, iv);
      const ref = reference(plain, key, iv);
      expect(Buffer.from(ct).equals(ref.ct), `size ${size}`).toBe(true);
      expect(Buffer.from(digest).equals(ref.digest)).toBe(true);
      expect(ct.length).toBe(attachmentCiphertextSize(size));
      expect(await decrypt(ct, { key, digest, size })).toEqual(plain);
    }
  });

  it('a fresh key and IV give unrelated ciphertexts of the same length', async () => {
    const plain = bytes(5000);
    const a = await encrypt(plain, key, iv);
    const b = await encrypt(plain, bytes(64, 1), bytes(16, 2));
    expect(a.ct.length).toBe(b.ct.length);
    expect(Buffer.from(a.ct).equals(Buffer.from(b.ct))).toBe(false);
  });

  it('property: any flipped bit, any cut or extension, a wrong key or digest, or a lie about the size is ATTACHMENT_INVALID', async () => {
    const plain = bytes(3000);
    const { ct, digest } = await encrypt(plain, key, iv);
    await fc.assert(
      fc.asyncProperty(fc.nat(ct.length * 8 - 1), async (bit) => {
        const bad = ct.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        await expectInvalid(decrypt(bad, { key, digest, size: 3000 }));
      }),
      { numRuns: 300 },
    );
    await expectInvalid(decrypt(ct.subarray(0, ct.length - 1), { key, digest, size: 3000 }));
    await expectInvalid(decrypt(new Uint8Array([...ct, 0]), { key, digest, size: 3000 }));
    await expectInvalid(decrypt(ct, { key: bytes(64, 10), digest, size: 3000 }));
    await expectInvalid(decrypt(ct, { key, digest: bytes(32), size: 3000 }));
    // Another size in the same padding bucket: same length, and the MAC still holds, so the digest must not be the only guard.
    const other = await decrypt(ct, { key, digest, size: 2999 });
    expect(other).toEqual(plain.subarray(0, 2999));
    await expectInvalid(decrypt(ct, { key, digest, size: 5000 }));
  });

  it('a MAC made with the right key over bad padding is still refused', async () => {
    // A sender that encrypts without the PKCS#7 block (as if padded were one block shorter).
    const plain = bytes(1024 + 16);
    const c = createCipheriv('aes-256-cbc', key.subarray(0, 32), iv).setAutoPadding(false);
    const body = Buffer.concat([iv, c.update(plain), c.final()]);
    const ct = Buffer.concat([body, createHmac('sha256', key.subarray(32)).update(body).digest()]);
    const digest = createHash('sha256').update(ct).digest();
    await expectInvalid(decrypt(ct, { key, digest, size: 1024 }));
  });
});
