/**
 * Identity keys: a Curve25519 public key that names a device's long-term identity,
 * and the key pair, serialized as libsignal's `IdentityKeyPairStructure`
 * (storage.proto: public_key = 1, private_key = 2).
 */
import { KeyPair, PrivateKey, PublicKey } from './curve.ts';
import { InvalidKey } from './errors.ts';
import { parseProto, ProtoWriter } from './internal/protobuf.ts';

/** An identity key is a public key; the alias documents intent at call sites. */
export type IdentityKey = PublicKey;

export class IdentityKeyPair {
  constructor(
    readonly publicKey: PublicKey,
    readonly privateKey: PrivateKey,
  ) {}

  static generate(): IdentityKeyPair {
    const kp = KeyPair.generate();
    return new IdentityKeyPair(kp.publicKey, kp.privateKey);
  }

  serialize(): Uint8Array {
    return new ProtoWriter().bytes(1, this.publicKey.serialize()).bytes(2, this.privateKey.serialize()).finish();
  }

  static deserialize(bytes: Uint8Array): IdentityKeyPair {
    const [pub, priv] = parseProto(
      bytes,
      (m) => [m.bytes(1), m.bytes(2)] as const,
      (reason) => new InvalidKey(`identity key pair: ${reason}`),
    );
    if (!pub || !priv) throw new InvalidKey('identity key pair: missing public or private key');
    const privateKey = PrivateKey.deserialize(priv);
    const publicKey = PublicKey.deserialize(pub);
    if (!privateKey.publicKey().equals(publicKey)) throw new InvalidKey('identity key pair: keys do not match');
    return new IdentityKeyPair(publicKey, privateKey);
  }

  /** Signs `message` with the identity key (XEdDSA). */
  sign(message: Uint8Array): Uint8Array {
    return this.privateKey.sign(message);
  }
}
