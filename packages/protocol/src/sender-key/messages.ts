/**
 * Group (Sender Keys) wire messages, libsignal-compatible:
 * `SenderKeyDistributionMessage` = version byte 0x33 ‖ protobuf {distribution_uuid 1,
 * chain_id 2, iteration 3, chain_key 4, signing_key 5}; `SenderKeyMessage` =
 * version byte ‖ protobuf {distribution_uuid 1, chain_id 2, iteration 3,
 * ciphertext 4} ‖ 64-byte XEdDSA signature over everything before it.
 */
import { type PrivateKey, PublicKey } from '../curve.ts';
import { InvalidArgument, InvalidKey, InvalidMessage, LegacyMessage } from '../errors.ts';
import { concat, fromHex, toHex } from '../internal/bytes.ts';
import { parseProto, ProtoWriter } from '../internal/protobuf.ts';

export const SENDERKEY_MESSAGE_CURRENT_VERSION = 3;
const VERSION_BYTE = (SENDERKEY_MESSAGE_CURRENT_VERSION << 4) | SENDERKEY_MESSAGE_CURRENT_VERSION;
export const SIGNATURE_LENGTH = 64;
export const MAX_SENDER_KEY_MESSAGE_BYTES = 256 * 1024;

/** UUID text <-> 16 bytes (distribution ids). */
export function uuidToBytes(uuid: string): Uint8Array {
  const hex = typeof uuid === 'string' ? uuid.replace(/-/g, '') : '';
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new InvalidArgument('distribution id must be a UUID');
  return fromHex(hex);
}

export function bytesToUuid(b: Uint8Array): string {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function checkVersion(b: number | undefined, what: string): void {
  if (b === undefined) throw new InvalidMessage(`${what}: empty`);
  const v = b >> 4;
  if (v < SENDERKEY_MESSAGE_CURRENT_VERSION) throw new LegacyMessage(`${what}: legacy version ${v}`);
  if (v > SENDERKEY_MESSAGE_CURRENT_VERSION) throw new InvalidMessage(`${what}: unknown version ${v}`);
}

function uuidField(b: Uint8Array | undefined, what: string): string {
  if (!b || b.length !== 16) throw new InvalidMessage(`${what}: distribution id must be 16 bytes`);
  return bytesToUuid(b);
}

export class SenderKeyDistributionMessage {
  private constructor(
    readonly distributionId: string,
    readonly chainId: number,
    readonly iteration: number,
    readonly chainKey: Uint8Array,
    readonly signingKey: PublicKey,
    private readonly serialized: Uint8Array,
  ) {}

  static create(distributionId: string, chainId: number, iteration: number, chainKey: Uint8Array, signingKey: PublicKey): SenderKeyDistributionMessage {
    const body = new ProtoWriter()
      .bytes(1, uuidToBytes(distributionId))
      .uint32(2, chainId)
      .uint32(3, iteration)
      .bytes(4, chainKey)
      .bytes(5, signingKey.serializedView())
      .finish();
    return new SenderKeyDistributionMessage(distributionId, chainId, iteration, chainKey, signingKey, concat(new Uint8Array([VERSION_BYTE]), body));
  }

  static deserialize(bytes: Uint8Array): SenderKeyDistributionMessage {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessage('SenderKeyDistributionMessage: expected bytes');
    if (bytes.length > 1024) throw new InvalidMessage('SenderKeyDistributionMessage: too large');
    checkVersion(bytes[0], 'SenderKeyDistributionMessage');
    const f = parseProto(
      bytes.subarray(1),
      (m) => ({ id: m.bytes(1), chainId: m.uint32(2), iteration: m.uint32(3), chainKey: m.bytes(4), signingKey: m.bytes(5) }),
      (r) => new InvalidMessage(`SenderKeyDistributionMessage: ${r}`),
    );
    const distributionId = uuidField(f.id, 'SenderKeyDistributionMessage');
    if (f.chainId === undefined || f.iteration === undefined) throw new InvalidMessage('SenderKeyDistributionMessage: chain id or iteration missing');
    if (!f.chainKey || f.chainKey.length !== 32) throw new InvalidMessage('SenderKeyDistributionMessage: chain key must be 32 bytes');
    if (!f.signingKey) throw new InvalidMessage('SenderKeyDistributionMessage: signing key missing');
    let signingKey: PublicKey;
    try {
      signingKey = PublicKey.deserialize(f.signingKey);
    } catch (e) {
      if (e instanceof InvalidKey) throw new InvalidMessage(`SenderKeyDistributionMessage: ${e.message}`);
      throw e;
    }
    return new SenderKeyDistributionMessage(distributionId, f.chainId, f.iteration, f.chainKey.slice(), signingKey, bytes.slice());
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}

export class SenderKeyMessage {
  private constructor(
    readonly distributionId: string,
    readonly chainId: number,
    readonly iteration: number,
    readonly ciphertext: Uint8Array,
    private readonly serialized: Uint8Array,
  ) {}

  static create(distributionId: string, chainId: number, iteration: number, ciphertext: Uint8Array, signingKey: PrivateKey): SenderKeyMessage {
    const body = new ProtoWriter().bytes(1, uuidToBytes(distributionId)).uint32(2, chainId).uint32(3, iteration).bytes(4, ciphertext).finish();
    const signed = new Uint8Array(1 + body.length);
    signed[0] = VERSION_BYTE;
    signed.set(body, 1);
    return new SenderKeyMessage(distributionId, chainId, iteration, ciphertext, concat(signed, signingKey.sign(signed)));
  }

  static deserialize(bytes: Uint8Array): SenderKeyMessage {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessage('SenderKeyMessage: expected bytes');
    if (bytes.length < 1 + SIGNATURE_LENGTH) throw new InvalidMessage(`SenderKeyMessage: too short (${bytes.length} bytes)`);
    if (bytes.length > MAX_SENDER_KEY_MESSAGE_BYTES) throw new InvalidMessage('SenderKeyMessage: too large');
    checkVersion(bytes[0], 'SenderKeyMessage');
    const f = parseProto(
      bytes.subarray(1, bytes.length - SIGNATURE_LENGTH),
      (m) => ({ id: m.bytes(1), chainId: m.uint32(2), iteration: m.uint32(3), ciphertext: m.bytes(4) }),
      (r) => new InvalidMessage(`SenderKeyMessage: ${r}`),
    );
    const distributionId = uuidField(f.id, 'SenderKeyMessage');
    if (f.chainId === undefined || f.iteration === undefined || !f.ciphertext) {
      throw new InvalidMessage('SenderKeyMessage: chain id, iteration or ciphertext missing');
    }
    return new SenderKeyMessage(distributionId, f.chainId, f.iteration, f.ciphertext.slice(), bytes.slice());
  }

  verifySignature(signingKey: PublicKey): boolean {
    const n = this.serialized.length;
    return signingKey.verifySignature(this.serialized.subarray(0, n - SIGNATURE_LENGTH), this.serialized.subarray(n - SIGNATURE_LENGTH));
  }

  serialize(): Uint8Array {
    return this.serialized.slice();
  }
}
