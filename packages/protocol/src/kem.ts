/**
 * KEM keys for PQXDH's post-quantum prekeys, with libsignal's serialization: a
 * type byte (0x08 Kyber1024, 0x0A ML-KEM-1024) then the raw key or ciphertext.
 *
 * libsignal's "Kyber1024" is round-3 Kyber, which differs from ML-KEM only in how
 * the message and shared secret are hashed. It is reproduced with @noble's
 * ML-KEM-1024 (see ../shared/LIBSIGNAL-FACTS.md): encapsulate with
 * m = SHA3-256(random), then k = SHAKE256(k' ‖ SHA3-256(ct), 32) (hashes through the
 * backend: native on Node).
 */
import { ml_kem1024, type KEMPrepared } from '@noble/post-quantum/ml-kem.js';
import { backend } from '#backend';
import { InvalidKey, InvalidMessage } from './errors.ts';
import { bytesEqual, toHex } from './internal/bytes.ts';

export type KemKeyType = 'kyber1024' | 'mlkem1024';

export const KEM_TYPE_BYTE: Record<KemKeyType, number> = { kyber1024: 0x08, mlkem1024: 0x0a };
export const KEM_PUBLIC_KEY_LENGTH = 1568;
export const KEM_SECRET_KEY_LENGTH = 3168;
export const KEM_CIPHERTEXT_LENGTH = 1568;
export const KEM_SHARED_SECRET_LENGTH = 32;
/** FIPS 203 decapsulation key layout: dk_PKE (384·k bytes) ‖ ek ‖ H(ek) ‖ z. */
const EMBEDDED_PUBLIC_KEY_OFFSET = 384 * 4;

function typeFromByte(b: number | undefined, what: string): KemKeyType {
  if (b === 0x08) return 'kyber1024';
  if (b === 0x0a) return 'mlkem1024';
  if (b === undefined) throw new InvalidKey(`${what}: empty (no key type byte)`);
  throw new InvalidKey(`${what}: unknown KEM key type 0x${b.toString(16)}`);
}

function withType(type: KemKeyType, raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length + 1);
  out[0] = KEM_TYPE_BYTE[type];
  out.set(raw, 1);
  return out;
}

const inspect = Symbol.for('nodejs.util.inspect.custom');

export interface KemEncapsulation {
  readonly sharedSecret: Uint8Array;
  /** Serialized ciphertext: type byte ‖ 1568 bytes. */
  readonly ciphertext: Uint8Array;
}

export class KemPublicKey {
  private constructor(
    readonly type: KemKeyType,
    readonly raw: Uint8Array,
  ) {}

  static deserialize(bytes: Uint8Array): KemPublicKey {
    if (!(bytes instanceof Uint8Array)) throw new InvalidKey('KEM public key: expected bytes');
    const type = typeFromByte(bytes[0], 'KEM public key');
    if (bytes.length !== KEM_PUBLIC_KEY_LENGTH + 1) {
      throw new InvalidKey(`KEM public key: expected ${KEM_PUBLIC_KEY_LENGTH + 1} bytes, got ${bytes.length}`);
    }
    return new KemPublicKey(type, bytes.slice(1));
  }

  /** @internal */
  static fromRaw(type: KemKeyType, raw: Uint8Array): KemPublicKey {
    return new KemPublicKey(type, raw);
  }

  serialize(): Uint8Array {
    return withType(this.type, this.raw);
  }

  encapsulate(randomness: Uint8Array = backend.randomBytes(32)): KemEncapsulation {
    let ct: Uint8Array;
    let k: Uint8Array;
    try {
      if (this.type === 'kyber1024') {
        const r = ml_kem1024.encapsulate(this.raw, backend.sha3_256(randomness));
        ct = r.cipherText;
        k = backend.shake256(32, r.sharedSecret, backend.sha3_256(ct));
      } else {
        const r = ml_kem1024.encapsulate(this.raw, randomness);
        ct = r.cipherText;
        k = r.sharedSecret;
      }
    } catch {
      // ML-KEM's encapsulation key check (coefficients < q) failed.
      throw new InvalidKey('KEM public key is not a valid key');
    }
    return { sharedSecret: k, ciphertext: withType(this.type, ct) };
  }

  equals(other: KemPublicKey): boolean {
    return this.type === other.type && bytesEqual(this.raw, other.raw);
  }

  toString(): string {
    return `KemPublicKey(${this.type}, ${toHex(this.raw.subarray(0, 4))}...)`;
  }
}

export class KemSecretKey {
  /**
   * noble's prepared form of the embedded public key (its expanded matrix), built on
   * the first decapsulation. Why: a device's last-resort Kyber prekey decapsulates
   * for every new session, and the expansion is half the cost. Public data only.
   */
  private prepared?: KEMPrepared;

  private constructor(
    readonly type: KemKeyType,
    readonly raw: Uint8Array,
  ) {}

  static deserialize(bytes: Uint8Array): KemSecretKey {
    if (!(bytes instanceof Uint8Array)) throw new InvalidKey('KEM secret key: expected bytes');
    const type = typeFromByte(bytes[0], 'KEM secret key');
    if (bytes.length !== KEM_SECRET_KEY_LENGTH + 1) {
      throw new InvalidKey(`KEM secret key: expected ${KEM_SECRET_KEY_LENGTH + 1} bytes, got ${bytes.length}`);
    }
    return new KemSecretKey(type, bytes.slice(1));
  }

  /** @internal */
  static fromRaw(type: KemKeyType, raw: Uint8Array): KemSecretKey {
    return new KemSecretKey(type, raw);
  }

  serialize(): Uint8Array {
    return withType(this.type, this.raw);
  }

  /** Decapsulates a serialized ciphertext (type byte ‖ 1568 bytes). */
  decapsulate(ciphertext: Uint8Array): Uint8Array {
    if (!(ciphertext instanceof Uint8Array) || ciphertext.length === 0) {
      throw new InvalidMessage('KEM ciphertext: empty');
    }
    if (ciphertext[0] !== KEM_TYPE_BYTE[this.type]) {
      throw new InvalidMessage('KEM ciphertext: key type does not match the prekey');
    }
    if (ciphertext.length !== KEM_CIPHERTEXT_LENGTH + 1) {
      throw new InvalidMessage(`KEM ciphertext: expected ${KEM_CIPHERTEXT_LENGTH + 1} bytes, got ${ciphertext.length}`);
    }
    const ct = ciphertext.subarray(1);
    let kBar: Uint8Array;
    try {
      const prepared: KEMPrepared =
        this.prepared ?? ml_kem1024.prepare(this.raw.subarray(EMBEDDED_PUBLIC_KEY_OFFSET, EMBEDDED_PUBLIC_KEY_OFFSET + KEM_PUBLIC_KEY_LENGTH));
      this.prepared = prepared;
      kBar = prepared.decapsulate(ct, this.raw);
    } catch {
      throw new InvalidKey('KEM secret key is not a valid key');
    }
    if (this.type === 'mlkem1024') return kBar;
    return backend.shake256(32, kBar, backend.sha3_256(ct));
  }

  toString(): string {
    return `KemSecretKey(${this.type}, [redacted])`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect](): string {
    return this.toString();
  }
}

export class KemKeyPair {
  constructor(
    readonly publicKey: KemPublicKey,
    readonly secretKey: KemSecretKey,
  ) {}

  static generate(type: KemKeyType = 'kyber1024', seed64: Uint8Array = backend.randomBytes(64)): KemKeyPair {
    const { publicKey, secretKey } = ml_kem1024.keygen(seed64);
    return new KemKeyPair(KemPublicKey.fromRaw(type, publicKey), KemSecretKey.fromRaw(type, secretKey));
  }

  static fromSerialized(publicKey: Uint8Array, secretKey: Uint8Array): KemKeyPair {
    const pk = KemPublicKey.deserialize(publicKey);
    const sk = KemSecretKey.deserialize(secretKey);
    if (pk.type !== sk.type) throw new InvalidKey('KEM key pair: public and secret key types differ');
    return new KemKeyPair(pk, sk);
  }
}
