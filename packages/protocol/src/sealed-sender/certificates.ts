/**
 * Sealed-sender certificates (libsignal `sealed_sender.rs`, sealed_sender.proto).
 * An offline trust root signs a `ServerCertificate` (key id + server key); the
 * server signs short-lived `SenderCertificate`s (sender uuid, optional e164,
 * device id, identity key, expiry, embedded server certificate). Recipients check
 * both signatures, the expiry and the revoked key ids before trusting a sender.
 */
import { type PrivateKey, PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidCertificate } from '../errors.ts';
import { parsePublicKey } from '../internal/parse-key.ts';
import { constantTimeEqual } from '../internal/bytes.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';
import { bytesToUuid } from '../sender-key/messages.ts';

/** Key ids libsignal refuses (a leaked test key). */
export const REVOKED_SERVER_CERTIFICATE_KEY_IDS: readonly number[] = [0xdeadc357];
const MAX_CERTIFICATE_BYTES = 4096;
/** Device ids libsignal accepts in a certificate (its DeviceId: 1..=127), as Parley's wire schemas do. */
const MAX_DEVICE_ID = 127;

function isDeviceId(id: number): boolean {
  return Number.isInteger(id) && id >= 1 && id <= MAX_DEVICE_ID;
}

function key(bytes: Uint8Array | undefined, what: string): PublicKey {
  return parsePublicKey(bytes, what, (m) => new InvalidCertificate(m));
}

export class ServerCertificate {
  private constructor(
    readonly keyId: number,
    readonly key: PublicKey,
    private readonly certificate: Uint8Array,
    private readonly signature: Uint8Array,
    private readonly serialized: Uint8Array,
  ) {}

  static create(keyId: number, serverKey: PublicKey, trustRoot: PrivateKey): ServerCertificate {
    const certificate = new ProtoWriter().uint32(1, keyId).bytes(2, serverKey.serializedView()).finish();
    const signature = trustRoot.sign(certificate);
    const serialized = new ProtoWriter().bytes(1, certificate).bytes(2, signature).finish();
    return new ServerCertificate(keyId, serverKey, certificate, signature, serialized);
  }

  static deserialize(bytes: Uint8Array): ServerCertificate {
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_CERTIFICATE_BYTES) throw new InvalidCertificate('server certificate: missing or too large');
    const err = (r: string) => new InvalidCertificate(`server certificate: ${r}`);
    const outer = parseProto(bytes, (m) => ({ certificate: m.bytes(1), signature: m.bytes(2) }), err);
    if (!outer.certificate || !outer.signature) throw err('certificate or signature missing');
    const inner = parseProto(outer.certificate, (m) => ({ id: m.uint32(1), key: m.bytes(2) }), err);
    if (inner.id === undefined) throw err('key id missing');
    return new ServerCertificate(inner.id, key(inner.key, 'server certificate key'), outer.certificate.slice(), outer.signature.slice(), bytes.slice());
  }

  /** Signed by `trustRoot` and not revoked. */
  validate(trustRoot: PublicKey): boolean {
    if (REVOKED_SERVER_CERTIFICATE_KEY_IDS.includes(this.keyId)) return false;
    return trustRoot.verifySignature(this.certificate, this.signature);
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}

export class SenderCertificate {
  private constructor(
    readonly senderUuid: string,
    readonly senderE164: string | undefined,
    readonly senderDeviceId: number,
    readonly identityKey: PublicKey,
    /** Milliseconds since the Unix epoch. */
    readonly expiration: number,
    readonly signer: ServerCertificate,
    private readonly certificate: Uint8Array,
    private readonly signature: Uint8Array,
    private readonly serialized: Uint8Array,
  ) {}

  /** A null `senderE164` is none, as in libsignal-client's `SenderCertificate.new`. */
  static create(args: {
    senderUuid: string;
    senderE164?: string | null;
    senderDeviceId: number;
    identityKey: PublicKey;
    expiration: number;
    signer: ServerCertificate;
    signerKey: PrivateKey;
  }): SenderCertificate {
    const senderE164 = args.senderE164 ?? undefined;
    if (!isDeviceId(args.senderDeviceId)) throw new InvalidArgument(`sender certificate: device id must be an integer in 1..${MAX_DEVICE_ID}`);
    if (!Number.isSafeInteger(args.expiration) || args.expiration < 0) {
      throw new InvalidArgument('sender certificate: expiration must be milliseconds since the Unix epoch (a non-negative integer)');
    }
    const certificate = new ProtoWriter()
      .string(1, senderE164)
      .uint32(2, args.senderDeviceId)
      .fixed64(3, BigInt(args.expiration))
      .bytes(4, args.identityKey.serializedView())
      .bytes(5, args.signer.serialize())
      .string(6, args.senderUuid)
      .finish();
    const signature = args.signerKey.sign(certificate);
    const serialized = new ProtoWriter().bytes(1, certificate).bytes(2, signature).finish();
    return new SenderCertificate(args.senderUuid, senderE164, args.senderDeviceId, args.identityKey, args.expiration, args.signer, certificate, signature, serialized);
  }

  static deserialize(bytes: Uint8Array): SenderCertificate {
    if (!(bytes instanceof Uint8Array) || bytes.length > MAX_CERTIFICATE_BYTES) throw new InvalidCertificate('sender certificate: missing or too large');
    const err = (r: string) => new InvalidCertificate(`sender certificate: ${r}`);
    const outer = parseProto(bytes, (m) => ({ certificate: m.bytes(1), signature: m.bytes(2) }), err);
    if (!outer.certificate || !outer.signature) throw err('certificate or signature missing');
    const c = parseProto(
      outer.certificate,
      (m) => ({
        e164: m.string(1),
        device: m.uint32(2),
        expires: m.fixed64(3),
        identityKey: m.bytes(4),
        signer: m.bytes(5),
        signerId: m.uint32(8),
        uuidString: m.string(6),
        uuidBytes: m.bytes(7),
        // Two oneofs: as in libsignal, the member that occurs last is the one set.
        uuidField: m.oneof([6, 7]),
        signerField: m.oneof([5, 8]),
      }),
      err,
    );
    if (c.device === undefined || c.expires === undefined) throw err('device id or expiry missing');
    if (!isDeviceId(c.device)) throw err(`sender device id ${c.device} is not in 1..${MAX_DEVICE_ID}`);
    if (c.expires > BigInt(Number.MAX_SAFE_INTEGER)) throw err('expiry out of range');
    if (c.signerField === 8) throw err(`unknown server certificate id ${c.signerId}`);
    if (!c.signer) throw err('signer missing');
    let uuid: string;
    if (c.uuidField === 6) uuid = c.uuidString!;
    else if (c.uuidField === 7 && c.uuidBytes!.length === 16) uuid = bytesToUuid(c.uuidBytes!);
    else throw err(c.uuidField === 7 ? 'sender uuid must be 16 bytes' : 'sender uuid missing');
    return new SenderCertificate(
      uuid,
      c.e164,
      c.device,
      key(c.identityKey, 'sender identity key'),
      Number(c.expires),
      ServerCertificate.deserialize(c.signer),
      outer.certificate.slice(),
      outer.signature.slice(),
      bytes.slice(),
    );
  }

  /** The server certificate chains to `trustRoot`, the server signed this, and it has not expired at `now` (ms). */
  validate(trustRoot: PublicKey, now: number): boolean {
    if (!this.signer.validate(trustRoot)) return false;
    if (!this.signer.key.verifySignature(this.certificate, this.signature)) return false;
    return now <= this.expiration;
  }

  /** True when this certificate names `identityKey` (constant time). */
  hasIdentityKey(identityKey: PublicKey): boolean {
    return constantTimeEqual(this.identityKey.serializedView(), identityKey.serializedView());
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}
