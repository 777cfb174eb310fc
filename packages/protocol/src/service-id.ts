/**
 * Service ids (libsignal `rust/core/src/address.rs`): an account's ACI or PNI, a
 * UUID with a kind. String form: the lower-case hyphenated UUID for an ACI,
 * `PNI:<uuid>` for a PNI (input is case-insensitive in the UUID, as libsignal's).
 * Fixed-width binary form (17 bytes): kind byte (0 ACI, 1 PNI) ‖ UUID bytes.
 *
 * Owns parsing and printing only; what an account's service id is, is the app's business.
 */
import { InvalidArgument } from './errors.ts';

export type ServiceIdKind = 'aci' | 'pni';

export const SERVICE_ID_FIXED_WIDTH_LENGTH = 17;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const KIND_BYTE: Record<ServiceIdKind, number> = { aci: 0, pni: 1 };

export class ServiceId {
  private constructor(
    readonly kind: ServiceIdKind,
    private readonly uuid: Uint8Array,
  ) {}

  /** Parses `uuid` (ACI) or `PNI:uuid`; undefined for anything else. */
  static tryParse(s: string): ServiceId | undefined {
    if (typeof s !== 'string') return undefined;
    const kind: ServiceIdKind = s.startsWith('PNI:') ? 'pni' : 'aci';
    const u = kind === 'pni' ? s.slice(4) : s;
    if (!UUID_RE.test(u)) return undefined;
    const hex = u.replaceAll('-', '');
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return new ServiceId(kind, bytes);
  }

  /** Like `tryParse`, but throws InvalidArgument naming `what`. */
  static parse(s: string, what = 'service id'): ServiceId {
    const id = ServiceId.tryParse(s);
    if (!id) throw new InvalidArgument(`${what}: expected an ACI (a UUID) or PNI:<uuid>, got ${JSON.stringify(String(s).slice(0, 60))}`);
    return id;
  }

  /** An ACI from 16 raw UUID bytes (sealed sender v2's original 0x22 format). */
  static aciFromUuidBytes(bytes: Uint8Array): ServiceId {
    if (bytes.length !== 16) throw new InvalidArgument('service id: expected 16 UUID bytes');
    return new ServiceId('aci', bytes.slice());
  }

  /** The 17-byte form; undefined for an unknown kind byte or wrong length. */
  static fromFixedWidthBinary(bytes: Uint8Array): ServiceId | undefined {
    if (bytes.length !== SERVICE_ID_FIXED_WIDTH_LENGTH) return undefined;
    const kind = bytes[0] === 0 ? 'aci' : bytes[0] === 1 ? 'pni' : undefined;
    return kind && new ServiceId(kind, bytes.slice(1));
  }

  fixedWidthBinary(): Uint8Array {
    const out = new Uint8Array(SERVICE_ID_FIXED_WIDTH_LENGTH);
    out[0] = KIND_BYTE[this.kind];
    out.set(this.uuid, 1);
    return out;
  }

  /** The canonical string: lower-case UUID, `PNI:` prefix for a PNI. */
  toString(): string {
    let hex = '';
    for (const b of this.uuid) hex += b.toString(16).padStart(2, '0');
    const u = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return this.kind === 'pni' ? `PNI:${u}` : u;
  }
}
