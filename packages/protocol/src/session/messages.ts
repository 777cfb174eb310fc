/**
 * The 1:1 wire messages, parsed once into immutable typed values:
 * `SignalMessage` = version byte ‖ protobuf {ratchet_key 1, counter 2,
 * previous_counter 3, ciphertext 4, pq_ratchet 5} ‖ 8-byte truncated HMAC, and
 * (field 6, `addresses`, from libsignal 0.91, is not written; when present it is
 * covered by the MAC like every other byte)
 * `PreKeySignalMessage` = version byte ‖ protobuf (wire.proto). The version byte
 * is (message version << 4) | current version (4). Version 3 (X3DH) is rejected.
 */
import { PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidMessage, LegacyMessage } from '../errors.ts';
import { backend } from '#backend';
import { concat, constantTimeEqual } from '../internal/bytes.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';
import { parsePublicKey } from '../internal/parse-key.ts';

/** The message version Parley sends and accepts: 4 (PQXDH). */
export const CIPHERTEXT_MESSAGE_CURRENT_VERSION = 4;
/** Version 3 (X3DH without a post-quantum prekey): refused with LegacyMessage. */
export const CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION = 3;
/** Bytes of the truncated HMAC-SHA256 that ends a SignalMessage. */
export const MAC_LENGTH = 8;
/** Upper bound on a serialized 1:1 message (Signal content is far smaller; attachments go elsewhere). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

function versionByte(version: number): number {
  // Refused rather than masked: a null or out-of-range version must not become version 0.
  if (!Number.isInteger(version) || version < 0 || version > 15) throw new InvalidArgument(`message version must be in 0..15, got ${String(version)}`);
  return (version << 4) | CIPHERTEXT_MESSAGE_CURRENT_VERSION;
}

function checkVersion(first: number, what: string): number {
  const v = first >> 4;
  if (v < CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION) throw new LegacyMessage(`${what}: legacy message version ${v}`);
  if (v === CIPHERTEXT_MESSAGE_PRE_KYBER_VERSION) {
    throw new LegacyMessage(`${what}: version 3 (X3DH, no post-quantum prekey) is no longer accepted`);
  }
  if (v > CIPHERTEXT_MESSAGE_CURRENT_VERSION) throw new InvalidMessage(`${what}: unknown message version ${v}`);
  return v;
}

function keyOrInvalid(bytes: Uint8Array | undefined, what: string): PublicKey {
  return parsePublicKey(bytes, what, (m) => new InvalidMessage(m));
}

/**
 * A whisper message, parsed once and immutable. Its MAC is checked by the session
 * cipher (the keys come from the session), not by `deserialize`.
 */
export class SignalMessage {
  private constructor(
    readonly messageVersion: number,
    readonly senderRatchetKey: PublicKey,
    readonly counter: number,
    readonly previousCounter: number,
    readonly ciphertext: Uint8Array,
    /** SPQR bytes; empty when the sender runs without the post-quantum ratchet. */
    readonly pqRatchet: Uint8Array,
    private readonly serialized: Uint8Array,
  ) {}

  /** Builds and MACs a message (MAC over sender identity ‖ receiver identity ‖ version ‖ protobuf). */
  static create(
    messageVersion: number,
    macKey: Uint8Array,
    senderRatchetKey: PublicKey,
    counter: number,
    previousCounter: number,
    ciphertext: Uint8Array,
    senderIdentity: PublicKey,
    receiverIdentity: PublicKey,
    /** The SPQR `pq_ratchet` bytes; empty (not written) without SPQR. */
    pqRatchet: Uint8Array = new Uint8Array(0),
  ): SignalMessage {
    const body = new ProtoWriter()
      .bytes(1, senderRatchetKey.serializedView())
      .uint32(2, counter)
      .uint32(3, previousCounter)
      .bytes(4, ciphertext)
      .bytes(5, pqRatchet.length ? pqRatchet : undefined)
      .finish();
    const head = new Uint8Array(1 + body.length);
    head[0] = versionByte(messageVersion);
    head.set(body, 1);
    const mac = computeMac(senderIdentity, receiverIdentity, macKey, head);
    const serialized = concat(head, mac);
    return new SignalMessage(messageVersion, senderRatchetKey, counter, previousCounter, ciphertext, pqRatchet.slice(), serialized);
  }

  static deserialize(bytes: Uint8Array): SignalMessage {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessage('SignalMessage: expected bytes');
    if (bytes.length < MAC_LENGTH + 1) throw new InvalidMessage(`SignalMessage: too short (${bytes.length} bytes)`);
    if (bytes.length > MAX_MESSAGE_BYTES) throw new InvalidMessage('SignalMessage: too large');
    const version = checkVersion(bytes[0]!, 'SignalMessage');
    const fields = parseProto(
      bytes.subarray(1, bytes.length - MAC_LENGTH),
      (m) => ({
        ratchetKey: m.bytes(1),
        counter: m.uint32(2),
        previousCounter: m.uint32(3) ?? 0,
        ciphertext: m.bytes(4),
        pqRatchet: m.bytes(5),
      }),
      (reason) => new InvalidMessage(`SignalMessage: ${reason}`),
    );
    const ratchetKey = keyOrInvalid(fields.ratchetKey, 'SignalMessage: ratchet key');
    if (fields.counter === undefined) throw new InvalidMessage('SignalMessage: counter missing');
    if (!fields.ciphertext) throw new InvalidMessage('SignalMessage: ciphertext missing');
    const serialized = bytes.slice();
    return new SignalMessage(
      version,
      ratchetKey,
      fields.counter,
      fields.previousCounter,
      fields.ciphertext.slice(),
      fields.pqRatchet ? fields.pqRatchet.slice() : new Uint8Array(0),
      serialized,
    );
  }

  verifyMac(senderIdentity: PublicKey, receiverIdentity: PublicKey, macKey: Uint8Array): boolean {
    const n = this.serialized.length;
    const ours = computeMac(senderIdentity, receiverIdentity, macKey, this.serialized.subarray(0, n - MAC_LENGTH));
    return constantTimeEqual(ours, this.serialized.subarray(n - MAC_LENGTH));
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }

  /** @internal zero-copy view for embedding in a PreKeySignalMessage. */
  serializedView(): Uint8Array {
    return this.serialized;
  }
}

function computeMac(sender: PublicKey, receiver: PublicKey, macKey: Uint8Array, message: Uint8Array): Uint8Array {
  return backend
    .hmacSha256(macKey, sender.serializedView(), receiver.serializedView(), message)
    .subarray(0, MAC_LENGTH);
}

/**
 * The first messages of a session: the PQXDH parameters (base key, identity, prekey
 * ids, Kyber ciphertext) around a SignalMessage. Parsed once and immutable.
 */
export class PreKeySignalMessage {
  private constructor(
    readonly messageVersion: number,
    readonly registrationId: number,
    readonly preKeyId: number | undefined,
    readonly signedPreKeyId: number,
    readonly kyberPreKeyId: number | undefined,
    readonly kyberCiphertext: Uint8Array | undefined,
    readonly baseKey: PublicKey,
    readonly identityKey: PublicKey,
    readonly message: SignalMessage,
    private readonly serialized: Uint8Array,
  ) {}

  static create(args: {
    messageVersion: number;
    registrationId: number;
    /** Absent (undefined or null) when the bundle had no one-time prekey. */
    preKeyId: number | null | undefined;
    signedPreKeyId: number;
    kyberPreKeyId: number;
    kyberCiphertext: Uint8Array;
    baseKey: PublicKey;
    identityKey: PublicKey;
    message: SignalMessage;
  }): PreKeySignalMessage {
    const preKeyId = args.preKeyId ?? undefined;
    // Field order follows prost's encoding of wire.proto (by field number).
    const body = new ProtoWriter()
      .uint32(1, preKeyId)
      .bytes(2, args.baseKey.serializedView())
      .bytes(3, args.identityKey.serializedView())
      .bytes(4, args.message.serializedView())
      .uint32(5, args.registrationId)
      .uint32(6, args.signedPreKeyId)
      .uint32(7, args.kyberPreKeyId)
      .bytes(8, args.kyberCiphertext)
      .finish();
    const serialized = new Uint8Array(1 + body.length);
    serialized[0] = versionByte(args.messageVersion);
    serialized.set(body, 1);
    return new PreKeySignalMessage(
      args.messageVersion,
      args.registrationId,
      preKeyId,
      args.signedPreKeyId,
      args.kyberPreKeyId,
      args.kyberCiphertext,
      args.baseKey,
      args.identityKey,
      args.message,
      serialized,
    );
  }

  static deserialize(bytes: Uint8Array): PreKeySignalMessage {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessage('PreKeySignalMessage: expected bytes');
    if (bytes.length === 0) throw new InvalidMessage('PreKeySignalMessage: empty');
    if (bytes.length > MAX_MESSAGE_BYTES) throw new InvalidMessage('PreKeySignalMessage: too large');
    const version = checkVersion(bytes[0]!, 'PreKeySignalMessage');
    const f = parseProto(
      bytes.subarray(1),
      (m) => ({
        preKeyId: m.uint32(1),
        baseKey: m.bytes(2),
        identityKey: m.bytes(3),
        message: m.bytes(4),
        registrationId: m.uint32(5) ?? 0,
        signedPreKeyId: m.uint32(6),
        kyberPreKeyId: m.uint32(7),
        kyberCiphertext: m.bytes(8),
      }),
      (reason) => new InvalidMessage(`PreKeySignalMessage: ${reason}`),
    );
    if (f.signedPreKeyId === undefined) throw new InvalidMessage('PreKeySignalMessage: signed prekey id missing');
    const baseKey = keyOrInvalid(f.baseKey, 'PreKeySignalMessage: base key');
    const identityKey = keyOrInvalid(f.identityKey, 'PreKeySignalMessage: identity key');
    if (!f.message) throw new InvalidMessage('PreKeySignalMessage: inner message missing');
    if ((f.kyberPreKeyId === undefined) !== (f.kyberCiphertext === undefined)) {
      throw new InvalidMessage('PreKeySignalMessage: Kyber prekey id and ciphertext must both be present');
    }
    if (f.kyberPreKeyId === undefined || !f.kyberCiphertext) {
      // As libsignal 0.90: a version-4 prekey message must carry the PQXDH (Kyber) payload.
      throw new InvalidMessage('PreKeySignalMessage: the Kyber prekey payload is missing');
    }
    const message = SignalMessage.deserialize(f.message);
    if (message.messageVersion !== version) {
      throw new InvalidMessage('PreKeySignalMessage: inner message version differs');
    }
    return new PreKeySignalMessage(
      version,
      f.registrationId,
      f.preKeyId,
      f.signedPreKeyId,
      f.kyberPreKeyId,
      f.kyberCiphertext.slice(),
      baseKey,
      identityKey,
      message,
      bytes.slice(),
    );
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}

/** What `signalEncrypt` returns: a prekey message until the peer has answered, then whisper messages. */
export type CiphertextMessage =
  | { readonly type: 'prekey'; readonly message: PreKeySignalMessage; serialize(): Uint8Array }
  | { readonly type: 'whisper'; readonly message: SignalMessage; serialize(): Uint8Array };

/** libsignal's numeric message types (CiphertextMessageType), for transports that carry them. */
export const CIPHERTEXT_TYPE_NUMBER = { whisper: 2, prekey: 3, senderKey: 7, plaintext: 8 } as const;
