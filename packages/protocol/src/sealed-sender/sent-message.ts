/**
 * Sealed sender v2 wire formats (libsignal `sealed_sender.rs`,
 * `SealedSenderV2SentMessage`): the multi-recipient *sent* message a sender uploads
 * once, the server's strict parser for it, and the split into the per-recipient
 * *received* message each recipient device gets.
 *
 *   SentMessage     = version (0x23; 0x22 = ACI-only original) ‖ varint count
 *                     ‖ count × (Recipient ‖ DeviceList+ ‖ C (32) ‖ AT (16)   -- a recipient
 *                            |  Recipient ‖ 0x00)                            -- an excluded one
 *                     ‖ E (32, bare Curve25519) ‖ AES-GCM-SIV ciphertext ‖ tag (16)
 *   Recipient       = service id, fixed width (kind byte ‖ UUID: 17 bytes; 0x22: UUID only, 16)
 *   DeviceList      = device id (1..127) ‖ BE16(has_more << 15 | registration id (14 bits))
 *   ReceivedMessage = 0x22 ‖ C ‖ AT ‖ E ‖ ciphertext ‖ tag
 *
 * The varint is protobuf's. A recipient may appear in several entries (devices
 * merged, the first entry's C ‖ AT kept), never as both a recipient and excluded.
 * Needs no keys: the server imports this module alone. Crypto lives in
 * `v2-crypto.ts`, sealing in `multi-recipient.ts`, opening in `sealed-sender.ts`.
 */
import { InvalidArgument, InvalidSealedSender } from '../errors.ts';
import { SERVICE_ID_FIXED_WIDTH_LENGTH, ServiceId } from '../service-id.ts';

export const SEALED_SENDER_V2_UUID_VERSION = 0x22;
export const SEALED_SENDER_V2_SERVICE_ID_VERSION = 0x23;
/** C ‖ AT: the per-recipient key material. */
const KEY_MATERIAL_LEN = 32 + 16;
const EPHEMERAL_LEN = 32;
const AEAD_TAG_LEN = 16;
const REGISTRATION_ID_MASK = 0x3fff;
const HAS_MORE = 0x8000;
export const MAX_DEVICE_ID = 127;
/** The largest received message a recipient accepts (MAX_SEALED_SENDER_BYTES in sealed-sender.ts). */
const MAX_RECEIVED_BYTES = 256 * 1024;
/** The largest shared part (E ‖ ciphertext ‖ tag) a sent message may carry: its received form must fit. */
export const MAX_V2_SHARED_BYTES = MAX_RECEIVED_BYTES - 1 - KEY_MATERIAL_LEN;
/** Default bound on a whole sent message: the largest content plus ~1,000 recipients with many devices. */
export const MAX_MULTI_RECIPIENT_MESSAGE_BYTES = 2 * 1024 * 1024;

/** One device of a recipient, as the sender's session knew it. */
export interface SealedSenderV2Device {
  readonly deviceId: number;
  readonly registrationId: number;
}

/** A recipient of a parsed sent message: its devices (the server checks them against its own list). */
export interface SealedSenderV2SentRecipient {
  readonly devices: readonly SealedSenderV2Device[];
}

interface ParsedRecipient {
  devices: SealedSenderV2Device[];
  /** Offset of this recipient's C ‖ AT in the message; -1 for an excluded recipient. */
  keyMaterial: number;
}

const bad = (reason: string) => new InvalidSealedSender(`sealed sender v2 sent message: ${reason}; the sender must re-encrypt it`);

/** Minimal protobuf varint below 2^32 (libsignal refuses more than 32 bits; non-minimal forms are refused here). */
function readCount(b: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos + i >= b.length) throw bad('truncated recipient count');
    const byte = b[pos + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (i > 0 && byte === 0) throw bad('recipient count is not minimally encoded');
      if (value > 0xffffffff) throw bad('recipient count above 2^32 - 1');
      return [value, pos + i + 1];
    }
  }
  throw bad('recipient count above 2^32 - 1');
}

/**
 * A parsed multi-recipient sent message, as the server sees it: who gets it (with
 * the device ids and registration ids the sender encrypted for), who was
 * deliberately left out, and each recipient's received message. Parsing copies
 * nothing but the device lists; the received messages are built on request.
 */
export class SealedSenderMultiRecipientMessage {
  private constructor(
    private readonly bytes: Uint8Array,
    readonly version: number,
    private readonly entries: Map<string, ParsedRecipient>,
    private readonly sharedOffset: number,
  ) {}

  /**
   * Parses and checks a sent message strictly. Throws InvalidSealedSender for anything
   * malformed: unknown version, truncation, a count that cannot fit, a device id outside
   * 1..127, an unknown service-id kind, a recipient both present and excluded (or excluded
   * twice), a shared part too short to hold a key and a tag, or sizes above the bounds.
   */
  static parse(bytes: Uint8Array, maxBytes: number = MAX_MULTI_RECIPIENT_MESSAGE_BYTES): SealedSenderMultiRecipientMessage {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgument('sealed sender v2 sent message: expected bytes');
    if (bytes.length === 0) throw bad('empty');
    if (bytes.length > maxBytes) throw bad(`${bytes.length} bytes, above the limit of ${maxBytes}`);
    const version = bytes[0]!;
    if (version !== SEALED_SENDER_V2_UUID_VERSION && version !== SEALED_SENDER_V2_SERVICE_ID_VERSION) {
      throw bad(`unknown version byte 0x${version.toString(16).padStart(2, '0')}`);
    }
    const idLen = version === SEALED_SENDER_V2_UUID_VERSION ? 16 : SERVICE_ID_FIXED_WIDTH_LENGTH;
    let [count, pos] = readCount(bytes, 1);
    // Why: every entry takes at least a service id and one byte, so the count is bounded by the input before any loop or allocation.
    if (count > Math.floor((bytes.length - pos) / (idLen + 1))) throw bad(`claims ${count} recipients, more than its ${bytes.length} bytes can hold`);

    const entries = new Map<string, ParsedRecipient>();
    const take = (n: number, what: string): number => {
      if (bytes.length - pos < n) throw bad(`truncated in ${what}`);
      const at = pos;
      pos += n;
      return at;
    };
    for (let r = 0; r < count; r++) {
      const idAt = take(idLen, 'a recipient service id');
      const idBytes = bytes.subarray(idAt, idAt + idLen);
      const serviceId = idLen === 16 ? ServiceId.aciFromUuidBytes(idBytes) : ServiceId.fromFixedWidthBinary(idBytes);
      if (!serviceId) throw bad(`unknown service id kind ${bytes[idAt]}`);
      const devices: SealedSenderV2Device[] = [];
      for (;;) {
        const deviceId = bytes[take(1, 'a device list')]!;
        if (deviceId === 0) {
          if (devices.length > 0) throw bad('device id 0 after other devices');
          break;
        }
        if (deviceId > MAX_DEVICE_ID) throw bad(`device id ${deviceId} outside 1..${MAX_DEVICE_ID}`);
        const at = take(2, 'a registration id');
        const word = (bytes[at]! << 8) | bytes[at + 1]!;
        devices.push({ deviceId, registrationId: word & REGISTRATION_ID_MASK });
        if ((word & HAS_MORE) === 0) break;
      }
      const keyMaterial = devices.length > 0 ? take(KEY_MATERIAL_LEN, 'a recipient key') : -1;
      const key = serviceId.toString();
      const existing = entries.get(key);
      if (existing) {
        if (existing.devices.length === 0 || devices.length === 0) throw bad(`recipient ${key} is listed both as excluded and again`);
        // As libsignal: devices are not de-duplicated here (the server checks them against the account), and the first C ‖ AT is kept.
        for (const d of devices) existing.devices.push(d);
      } else {
        entries.set(key, { devices, keyMaterial });
      }
    }
    const shared = bytes.length - pos;
    if (shared < EPHEMERAL_LEN + AEAD_TAG_LEN) throw bad('too short for the ephemeral key and the content tag');
    if (shared > MAX_V2_SHARED_BYTES) throw bad(`content of ${shared} bytes, above the limit of ${MAX_V2_SHARED_BYTES}`);
    return new SealedSenderMultiRecipientMessage(bytes, version, entries, pos);
  }

  /** Recipients (with at least one device), by service id string, in order of first appearance. */
  recipients(): ReadonlyMap<string, SealedSenderV2SentRecipient> {
    const out = new Map<string, SealedSenderV2SentRecipient>();
    for (const [id, e] of this.entries) if (e.keyMaterial >= 0) out.set(id, { devices: e.devices.slice() });
    return out;
  }

  /** Service ids the sender deliberately left out (never also recipients). */
  excludedRecipients(): string[] {
    const out: string[] = [];
    for (const [id, e] of this.entries) if (e.keyMaterial < 0) out.push(id);
    return out;
  }

  /** The received message for every device of `serviceId` (`0x22 ‖ C ‖ AT ‖ E ‖ ciphertext`). */
  messageForRecipient(serviceId: string): Uint8Array {
    const e = this.entries.get(serviceId);
    if (!e || e.keyMaterial < 0) throw new InvalidArgument(`sealed sender v2: ${serviceId} is not a recipient of this message`);
    const shared = this.bytes.subarray(this.sharedOffset);
    const out = new Uint8Array(1 + KEY_MATERIAL_LEN + shared.length);
    out[0] = SEALED_SENDER_V2_UUID_VERSION;
    out.set(this.bytes.subarray(e.keyMaterial, e.keyMaterial + KEY_MATERIAL_LEN), 1);
    out.set(shared, 1 + KEY_MATERIAL_LEN);
    return out;
  }
}

/** One entry of a sent message as the sealer writes it. */
export interface SentEntry {
  readonly serviceId: ServiceId;
  readonly devices: readonly SealedSenderV2Device[];
  /** C ‖ AT (48 bytes). */
  readonly keyMaterial: Uint8Array;
}

/** Writes a 0x23 sent message. The caller has checked ids and ranges (multi-recipient.ts). */
export function writeSentMessage(entries: readonly SentEntry[], excluded: readonly ServiceId[], ephemeral: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const count = entries.length + excluded.length;
  const countBytes: number[] = [];
  for (let v = count; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      countBytes.push(v);
      break;
    }
    countBytes.push((v & 0x7f) | 0x80);
  }
  let size = 1 + countBytes.length + excluded.length * (SERVICE_ID_FIXED_WIDTH_LENGTH + 1) + ephemeral.length + ciphertext.length;
  for (const e of entries) size += SERVICE_ID_FIXED_WIDTH_LENGTH + 3 * e.devices.length + KEY_MATERIAL_LEN;
  const out = new Uint8Array(size);
  let pos = 0;
  out[pos++] = SEALED_SENDER_V2_SERVICE_ID_VERSION;
  for (const b of countBytes) out[pos++] = b;
  for (const e of entries) {
    out.set(e.serviceId.fixedWidthBinary(), pos);
    pos += SERVICE_ID_FIXED_WIDTH_LENGTH;
    e.devices.forEach((d, i) => {
      const word = d.registrationId | (i + 1 < e.devices.length ? HAS_MORE : 0);
      out[pos++] = d.deviceId;
      out[pos++] = word >> 8;
      out[pos++] = word & 0xff;
    });
    out.set(e.keyMaterial, pos);
    pos += KEY_MATERIAL_LEN;
  }
  for (const x of excluded) {
    out.set(x.fixedWidthBinary(), pos);
    pos += SERVICE_ID_FIXED_WIDTH_LENGTH + 1; // the 0x00 "no devices" marker is already zero
  }
  out.set(ephemeral, pos);
  out.set(ciphertext, pos + ephemeral.length);
  return out;
}
