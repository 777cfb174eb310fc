/**
 * Prekey records a device keeps for itself, serialized as libsignal's
 * PreKeyRecordStructure / SignedPreKeyRecordStructure (the Kyber record reuses
 * the signed layout with serialized KEM keys), and the public `PreKeyBundle` a
 * peer fetches from the server to start a session.
 */
import { KeyPair, PrivateKey, PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidKey, InvalidState } from '../errors.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { KemKeyPair, KemPublicKey, type KemKeyType } from '../kem.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';

const MAX_ID = 0xffffff; // Signal keeps prekey ids below 2^24 (Medium::MAX_VALUE).

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new InvalidArgument(`${what}: id must be a uint32`);
}

/** Timestamp and signature of a signed record: checked here, not coerced when serialized. */
function checkSigned(timestamp: number, signature: Uint8Array, what: string): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new InvalidArgument(`${what}: timestamp must be a non-negative integer (ms)`);
  if (!(signature instanceof Uint8Array)) throw new InvalidArgument(`${what}: signature must be bytes`);
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
    checkSigned(timestamp, signature, 'signed prekey');
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
    checkSigned(timestamp, signature, 'Kyber prekey');
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

/**
 * What a peer needs to start a session with one device (fetched from the server).
 * "No one-time prekey" is `preKeyId` and `preKey` both absent: undefined or null,
 * as JSON and libsignal-client's `PreKeyBundle.new` write it.
 */
export interface PreKeyBundle {
  readonly registrationId: number;
  readonly deviceId: number;
  readonly preKeyId?: number | null | undefined;
  readonly preKey?: PublicKey | null | undefined;
  readonly signedPreKeyId: number;
  readonly signedPreKey: PublicKey;
  readonly signedPreKeySignature: Uint8Array;
  readonly kyberPreKeyId: number;
  readonly kyberPreKey: KemPublicKey;
  readonly kyberPreKeySignature: Uint8Array;
  readonly identityKey: PublicKey;
}

/** A bundle whose fields have their types: ids are uint32s, and an absent one-time prekey is undefined. */
export interface CheckedPreKeyBundle extends PreKeyBundle {
  readonly preKeyId: number | undefined;
  readonly preKey: PublicKey | undefined;
}

function isUint32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/**
 * Checks a bundle's shape once, before anything uses it (signatures are verified
 * by the session builder). Bundles arrive as JSON, so nothing is assumed from the
 * TypeScript type: every problem is a typed InvalidKey naming the field.
 */
export function checkPreKeyBundle(bundle: PreKeyBundle): CheckedPreKeyBundle {
  const bad = (what: string) => new InvalidKey(`prekey bundle: ${what}`);
  if (typeof bundle !== 'object' || bundle === null) throw bad('expected an object');
  for (const field of ['registrationId', 'deviceId', 'signedPreKeyId', 'kyberPreKeyId'] as const) {
    if (!isUint32(bundle[field])) throw bad(`${field} must be an integer in 0..2^32-1`);
  }
  for (const field of ['identityKey', 'signedPreKey'] as const) {
    if (!(bundle[field] instanceof PublicKey)) throw bad(`${field} must be a PublicKey`);
  }
  if (!(bundle.kyberPreKey instanceof KemPublicKey)) throw bad('kyberPreKey must be a KemPublicKey');
  for (const field of ['signedPreKeySignature', 'kyberPreKeySignature'] as const) {
    if (!(bundle[field] instanceof Uint8Array)) throw bad(`${field} must be bytes`);
  }
  // Why null is absent: it is how JSON and libsignal-client say "no one-time prekey";
  // written as a value it would go on the wire as prekey id 0.
  const preKeyId = bundle.preKeyId ?? undefined;
  const preKey = bundle.preKey ?? undefined;
  if ((preKeyId === undefined) !== (preKey === undefined)) {
    throw bad('one-time prekey id and key must both be present or both absent');
  }
  if (preKeyId !== undefined && !isUint32(preKeyId)) throw bad('preKeyId must be an integer in 0..2^32-1');
  if (preKey !== undefined && !(preKey instanceof PublicKey)) throw bad('preKey must be a PublicKey');
  return { ...bundle, preKeyId, preKey };
}

/** Largest prekey id Signal clients issue (ids stay below 2^24). */
export { MAX_ID as PREKEY_MAX_ID };
