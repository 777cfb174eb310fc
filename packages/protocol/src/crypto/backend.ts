/**
 * The primitives interface: every hash, MAC, KDF, cipher and X25519 operation the
 * protocol performs goes through one `CryptoBackend`. Two implementations exist:
 * `pure-backend.ts` (audited @noble libraries; browsers) and `node-backend.ts`
 * (node:crypto, faster, synchronous). The package's `#backend` import condition
 * picks one per platform; both run the same vector and property tests.
 *
 * This module owns no protocol logic and holds no secrets.
 */

/** A public/private key as raw bytes plus a slot where a backend may cache its native form (X25519 or Ed25519). */
export interface X25519KeyRef {
  readonly raw: Uint8Array;
  /** Opaque per-backend cache (e.g. a node KeyObject). Never serialized, never logged. */
  backendCache?: unknown;
}

export interface CryptoBackend {
  readonly name: 'node' | 'pure';
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  sha512(...parts: Uint8Array[]): Uint8Array;
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array;
  /** FIPS 202 SHA3-256 over the concatenation of `parts` (Kyber's ciphertext hash). */
  sha3_256(...parts: Uint8Array[]): Uint8Array;
  /** FIPS 202 SHAKE256 over the concatenation of `parts`, `length` output bytes. */
  shake256(length: number, ...parts: Uint8Array[]): Uint8Array;
  /** RFC 5869 HKDF-SHA256; `salt` undefined means "no salt" (HashLen zero bytes). */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array;
  /** AES-256-CBC with PKCS#7 padding. */
  aes256CbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** AES-256-CBC with PKCS#7 padding; returns undefined on bad length or padding. */
  aes256CbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  /** AES-256-CTR with a 16-byte initial counter block (big-endian increment). */
  aes256Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** RFC 8452 AES-256-GCM-SIV with a 12-byte nonce and no associated data; returns ciphertext ‖ 16-byte tag. */
  aes256GcmSivEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Inverse of `aes256GcmSivEncrypt`; returns undefined when the tag does not verify (or the input is shorter than a tag). */
  aes256GcmSivDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  /**
   * Fresh X25519 key pair; the private key is clamped. `privateCache`, when set, is the
   * backend's native form of the private key, to seed the key's `backendCache`.
   */
  x25519Generate(): { privateKey: Uint8Array; publicKey: Uint8Array; privateCache?: unknown };
  x25519PublicFromPrivate(privateKey: Uint8Array): Uint8Array;
  /** Raw X25519; returns undefined when the result is all-zero (low-order peer key). */
  x25519Agree(privateKey: X25519KeyRef, publicKey: X25519KeyRef): Uint8Array | undefined;
  /**
   * Standard Ed25519 verification (cofactorless, canonical S) of `signature` by the
   * compressed Edwards key `publicKey`. XEdDSA verification reduces to this.
   */
  ed25519Verify(publicKey: X25519KeyRef, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * Optional fast path for keys this device generates to sign often (sender keys):
   * a standard Ed25519 key pair from a random seed. Its secret scalar (the clamped
   * first half of SHA-512(seed)) is the Curve25519 private key, so RFC 8032
   * signatures by the seed verify as XEdDSA signatures of that key.
   */
  ed25519Generate?(): { seed: Uint8Array; edPublic: Uint8Array };
  /** RFC 8032 Ed25519 signature by `seed` (deterministic nonce). */
  ed25519Sign?(seed: X25519KeyRef, message: Uint8Array): Uint8Array;
}
