/**
 * Curve25519 keys with libsignal's serialization: a public key is the type byte
 * 0x05 followed by the 32-byte Montgomery u-coordinate; a private key is the
 * 32-byte clamped scalar. Private keys sign with XEdDSA and agree with X25519.
 * Key objects print only their type, never their bytes.
 */
import { backend } from '#backend';
import type { X25519KeyRef } from './crypto/backend.ts';
import { InvalidKey } from './errors.ts';
import { bytesEqual, fromHex, toHex } from './internal/bytes.ts';
import { deriveSigner, xeddsaSign, xeddsaVerify, type EdwardsCache, type XEdDSASigner } from './internal/xeddsa.ts';

export const DJB_TYPE = 0x05;
export const PUBLIC_KEY_LENGTH = 32;
export const SERIALIZED_PUBLIC_KEY_LENGTH = 33;
export const PRIVATE_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

const inspect = Symbol.for('nodejs.util.inspect.custom');

/** 5L - 1 (L the order of the prime subgroup), little-endian: see `PublicKey.isCanonical`. Public constant. */
const TORSION_PROJECTOR: X25519KeyRef = { raw: fromHex('a023cdd083ef5bb82f10d62e59e15a6800000000000000000000000000000050') };

export class PublicKey implements X25519KeyRef {
  backendCache?: unknown;
  private serialized?: Uint8Array;
  private readonly edwards: EdwardsCache = [undefined, undefined];

  private constructor(readonly raw: Uint8Array) {}

  /** Parses `0x05 ‖ 32 bytes`. Rejects other type bytes and any other length. */
  static deserialize(bytes: Uint8Array): PublicKey {
    if (!(bytes instanceof Uint8Array)) throw new InvalidKey('public key: expected bytes');
    if (bytes.length === 0) throw new InvalidKey('public key: empty (no key type byte)');
    if (bytes[0] !== DJB_TYPE) throw new InvalidKey(`public key: unknown key type 0x${bytes[0]!.toString(16)}`);
    if (bytes.length !== SERIALIZED_PUBLIC_KEY_LENGTH) {
      throw new InvalidKey(`public key: expected ${SERIALIZED_PUBLIC_KEY_LENGTH} bytes, got ${bytes.length}`);
    }
    return new PublicKey(bytes.slice(1));
  }

  /** Wraps a bare 32-byte u-coordinate. */
  static fromRaw(raw: Uint8Array): PublicKey {
    if (!(raw instanceof Uint8Array) || raw.length !== PUBLIC_KEY_LENGTH) {
      throw new InvalidKey(`public key: expected ${PUBLIC_KEY_LENGTH} raw bytes`);
    }
    return new PublicKey(raw.slice());
  }

  serialize(): Uint8Array {
    if (!this.serialized) {
      const s = new Uint8Array(SERIALIZED_PUBLIC_KEY_LENGTH);
      s[0] = DJB_TYPE;
      s.set(this.raw, 1);
      this.serialized = s;
    }
    return this.serialized.slice();
  }

  /** Serialized form without a defensive copy, for hashing and MAC input. Do not mutate. */
  serializedView(): Uint8Array {
    if (!this.serialized) this.serialize();
    return this.serialized!;
  }

  verifySignature(message: Uint8Array, signature: Uint8Array): boolean {
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return false;
    return xeddsaVerify(this.raw, message, signature, this.edwards);
  }

  equals(other: PublicKey): boolean {
    return bytesEqual(this.raw, other.raw);
  }

  /**
   * True for a canonical encoding of a point in the prime-order subgroup (libsignal's
   * `is_canonical`, checked on every incoming base key). Same answer as the reference
   * `isCanonicalMontgomery` (a property test compares them), at the cost of one native X25519:
   * the scalar 5L-1 is already clamped, is 0 mod 8 (kills any torsion part) and -1 mod L, so
   * X25519(5L-1, u) = u(-P_L) = u(P_L), which equals u exactly when P = P_L. Twist points and
   * low-order points never match (proved in the test's header).
   */
  isCanonical(): boolean {
    const u = this.raw;
    if ((u[31]! & 0x80) !== 0) return false;
    let allFF = true;
    for (let i = 1; i < 31; i++) if (u[i] !== 0xff) allFF = false;
    // u >= p = 2^255 - 19 is a non-canonical encoding; u = p - 1 (= -1) has no Edwards point.
    if (allFF && u[31] === 0x7f && u[0]! >= 0xec) return false;
    const projected = backend.x25519Agree(TORSION_PROJECTOR, this);
    return projected !== undefined && bytesEqual(projected, u);
  }

  /** libsignal orders public keys by their serialized bytes. */
  compare(other: PublicKey): number {
    for (let i = 0; i < PUBLIC_KEY_LENGTH; i++) {
      const d = this.raw[i]! - other.raw[i]!;
      if (d !== 0) return d;
    }
    return 0;
  }

  toString(): string {
    return `PublicKey(05${toHex(this.raw).slice(0, 8)}...)`;
  }

  [inspect](): string {
    return this.toString();
  }
}

export class PrivateKey implements X25519KeyRef {
  backendCache?: unknown;
  private pub?: PublicKey;
  private signer?: XEdDSASigner;
  /** Ed25519 seed (and sign bit of its public key) when the key was made by `generateForSigning`. */
  private ed?: { seedRef: X25519KeyRef; signBit: number };

  private constructor(readonly raw: Uint8Array) {}

  /**
   * A key that will sign often (a group sender key). Where the platform has native
   * Ed25519 it is generated as an Ed25519 seed whose secret scalar is this key, so
   * signing is native; the signatures verify as XEdDSA. Elsewhere a plain key.
   */
  static generateForSigning(): PrivateKey {
    if (!backend.ed25519Generate || !backend.ed25519Sign) return PrivateKey.generate();
    return PrivateKey.fromEd25519Seed(backend.ed25519Generate().seed);
  }

  /** Rebuilds a key made by `generateForSigning` from its seed. */
  static fromEd25519Seed(seed: Uint8Array): PrivateKey {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new InvalidKey('Ed25519 seed: expected 32 bytes');
    const k = PrivateKey.deserialize(backend.sha512(seed).subarray(0, 32));
    const signer = deriveSigner(k.raw);
    k.signer = signer;
    k.ed = { seedRef: { raw: seed.slice() }, signBit: signer.edPublic[31]! & 0x80 };
    return k;
  }

  /** The Ed25519 seed, if this key has one (persist it to keep native signing). */
  ed25519Seed(): Uint8Array | undefined {
    return this.ed?.seedRef.raw.slice();
  }

  static generate(): PrivateKey {
    const { privateKey, publicKey, privateCache } = backend.x25519Generate();
    const k = new PrivateKey(privateKey);
    if (privateCache !== undefined) k.backendCache = privateCache;
    k.pub = PublicKey.fromRaw(publicKey);
    return k;
  }

  /** Parses a 32-byte scalar and clamps it, as libsignal does. */
  static deserialize(bytes: Uint8Array): PrivateKey {
    if (!(bytes instanceof Uint8Array) || bytes.length !== PRIVATE_KEY_LENGTH) {
      throw new InvalidKey(`private key: expected ${PRIVATE_KEY_LENGTH} bytes`);
    }
    const k = bytes.slice();
    k[0]! &= 248;
    k[31]! &= 127;
    k[31]! |= 64;
    return new PrivateKey(k);
  }

  serialize(): Uint8Array {
    return this.raw.slice();
  }

  publicKey(): PublicKey {
    if (!this.pub) this.pub = PublicKey.fromRaw(backend.x25519PublicFromPrivate(this.raw));
    return this.pub;
  }

  /** X25519 with `their` key. Throws InvalidKey for a low-order key (all-zero secret). */
  agree(their: PublicKey): Uint8Array {
    const shared = backend.x25519Agree(this, their);
    if (!shared) throw new InvalidKey('public key is a low-order point');
    return shared;
  }

  /** XEdDSA signature (64 bytes, randomized). */
  sign(message: Uint8Array, random64?: Uint8Array): Uint8Array {
    if (this.ed && backend.ed25519Sign && random64 === undefined) {
      const sig = backend.ed25519Sign(this.ed.seedRef, message);
      sig[63] = (sig[63]! & 0x7f) | this.ed.signBit; // XEdDSA carries the Edwards sign bit here
      return sig;
    }
    random64 ??= backend.randomBytes(64);
    if (!this.signer) this.signer = deriveSigner(this.raw);
    return xeddsaSign(this.raw, this.signer, message, random64);
  }

  toString(): string {
    return 'PrivateKey([redacted])';
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect](): string {
    return this.toString();
  }
}

export class KeyPair {
  constructor(
    readonly publicKey: PublicKey,
    readonly privateKey: PrivateKey,
  ) {}

  static generate(): KeyPair {
    const priv = PrivateKey.generate();
    return new KeyPair(priv.publicKey(), priv);
  }

  static fromPrivateKey(privateKey: PrivateKey): KeyPair {
    return new KeyPair(privateKey.publicKey(), privateKey);
  }
}
