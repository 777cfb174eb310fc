/**
 * Prekey records a device keeps for itself, serialized as libsignal's
 * PreKeyRecordStructure / SignedPreKeyRecordStructure (the Kyber record reuses
 * the signed layout with serialized KEM keys), and the public `PreKeyBundle` a
 * peer fetches from the server to start a session.
 */
import { KeyPair, PrivateKey, PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidState } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { KemKeyPair, KemPublicKey, type KemKeyType } from '../kem.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';

const MAX_ID = 0xffffff; // Signal keeps prekey ids below 2^24 (Medium::MAX_VALUE).

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidArgument(`${what}: id must be a uint32`);
}

function recordError(what: string) {
  return (reason: string) => new InvalidState(`${what}: ${reason}`);
}

function wrapKey<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof InvalidState) throw e;
    throw new InvalidState(`${what}: ${(e as Error).message}`);
  }
}

/** A one-time EC prekey with its private key (PreKeyRecordStructure). Unsigned, as in libsignal. */
export class PreKeyRecord {
  constructor(
    readonly id: number,
    readonly keyPair: KeyPair,
  ) {
    checkId(id, 'prekey');
  }

  static generate(id: number): PreKeyRecord {
    return new PreKeyRecord(id, KeyPair.generate());
  }

  get publicKey(): PublicKey {
    return this.keyPair.publicKey;
  }

  serialize(): Uint8Array {
    return new ProtoWriter()
      .uint32(1, this.id || undefined)
      .bytes(2, this.keyPair.publicKey.serializedView())
      .bytes(3, this.keyPair.privateKey.serialize())
      .finish();
  }

  static deserialize(bytes: Uint8Array): PreKeyRecord {
    const what = 'prekey record';
    return parseProto(
      bytes,
      (m) => {
        const pub = m.bytes(2);
        const priv = m.bytes(3);
        if (!pub || !priv) throw new InvalidState(`${what}: missing key`);
        const kp = wrapKey(what, () => new KeyPair(PublicKey.deserialize(pub), PrivateKey.deserialize(priv)));
        return new PreKeyRecord(m.uint32(1) ?? 0, kp);
      },
      recordError(what),
    );
  }
}

/** Fields shared by signed EC prekeys and Kyber prekeys (same storage layout). */
function encodeSigned(id: number, pub: Uint8Array, priv: Uint8Array, signature: Uint8Array, timestamp: number): Uint8Array {
  return new ProtoWriter()
    .uint32(1, id || undefined)
    .bytes(2, pub)
    .bytes(3, priv)
    .bytes(4, signature)
    .fixed64(5, timestamp ? BigInt(timestamp) : undefined)
    .finish();
}

function decodeSigned(bytes: Uint8Array, what: string) {
  return parseProto(
    bytes,
    (m) => {
      const pub = m.bytes(2);
      const priv = m.bytes(3);
      const signature = m.bytes(4);
      if (!pub || !priv || !signature) throw new InvalidState(`${what}: missing key or signature`);
      const ts = m.fixed64(5) ?? 0n;
      if (ts > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidState(`${what}: timestamp out of range`);
      return { id: m.uint32(1) ?? 0, pub, priv, signature: signature.slice(), timestamp: Number(ts) };
    },
    recordError(what),
  );
}

/** The signed EC prekey: key pair, XEdDSA signature by the identity key, creation time (ms). */
export class SignedPreKeyRecord {
  constructor(
    readonly id: number,
    /** Milliseconds since the Unix epoch, when the key was generated. */
    readonly timestamp: number,
    readonly keyPair: KeyPair,
    readonly signature: Uint8Array,
  ) {
    checkId(id, 'signed prekey');
  }

  /** Generates a signed prekey signed by the identity key (XEdDSA over the serialized public key). */
  static generate(id: number, identity: IdentityKeyPair, timestamp: number): SignedPreKeyRecord {
    const kp = KeyPair.generate();
    return new SignedPreKeyRecord(id, timestamp, kp, identity.sign(kp.publicKey.serialize()));
  }

  get publicKey(): PublicKey {
    return this.keyPair.publicKey;
  }

  serialize(): Uint8Array {
    return encodeSigned(this.id, this.keyPair.publicKey.serializedView(), this.keyPair.privateKey.serialize(), this.signature, this.timestamp);
  }

  static deserialize(bytes: Uint8Array): SignedPreKeyRecord {
    const what = 'signed prekey record';
    const f = decodeSigned(bytes, what);
    const kp = wrapKey(what, () => new KeyPair(PublicKey.deserialize(f.pub), PrivateKey.deserialize(f.priv)));
    return new SignedPreKeyRecord(f.id, f.timestamp, kp, f.signature);
  }
}

/** A Kyber1024 prekey (one-time or last-resort): KEM key pair, signature by the identity key, creation time (ms). */
export class KyberPreKeyRecord {
  constructor(
    readonly id: number,
    readonly timestamp: number,
    readonly keyPair: KemKeyPair,
    readonly signature: Uint8Array,
  ) {
    checkId(id, 'Kyber prekey');
  }

  /** Generates a KEM prekey signed by the identity key (XEdDSA over the serialized KEM public key). */
  static generate(id: number, identity: IdentityKeyPair, timestamp: number, type: KemKeyType = 'kyber1024'): KyberPreKeyRecord {
    const kp = KemKeyPair.generate(type);
    return new KyberPreKeyRecord(id, timestamp, kp, identity.sign(kp.publicKey.serialize()));
  }

  get publicKey(): KemPublicKey {
    return this.keyPair.publicKey;
  }

  serialize(): Uint8Array {
    return encodeSigned(this.id, this.keyPair.publicKey.serialize(), this.keyPair.secretKey.serialize(), this.signature, this.timestamp);
  }

  static deserialize(bytes: Uint8Array): KyberPreKeyRecord {
    const what = 'Kyber prekey record';
    const f = decodeSigned(bytes, what);
    const kp = wrapKey(what, () => KemKeyPair.fromSerialized(f.pub, f.priv));
    return new KyberPreKeyRecord(f.id, f.timestamp, kp, f.signature);
  }
}

/** What a peer needs to start a session with one device (fetched from the server). */
export interface PreKeyBundle {
  readonly registrationId: number;
  readonly deviceId: number;
  readonly preKeyId?: number | undefined;
  readonly preKey?: PublicKey | undefined;
  readonly signedPreKeyId: number;
  readonly signedPreKey: PublicKey;
  readonly signedPreKeySignature: Uint8Array;
  readonly kyberPreKeyId: number;
  readonly kyberPreKey: KemPublicKey;
  readonly kyberPreKeySignature: Uint8Array;
  readonly identityKey: PublicKey;
}

/** Largest prekey id Signal clients issue (ids stay below 2^24). */
export { MAX_ID as PREKEY_MAX_ID };
