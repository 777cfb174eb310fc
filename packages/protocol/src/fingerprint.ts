/**
 * Safety numbers, identical to libsignal's `fingerprint.rs`: per side,
 * SHA-512(0x0000 ‖ key ‖ stable id ‖ key) then (iterations - 1) rounds of
 * SHA-512(previous ‖ key). The displayable form takes 30 bytes per side as six
 * 5-byte big-endian chunks mod 100,000 (30 digits), the two sides sorted into 60
 * digits; the scannable form (a QR payload) is the CombinedFingerprints protobuf
 * with 32 bytes per side. Signal clients use 5,200 iterations and version 2.
 */
import { backend } from '#backend';
import type { PublicKey } from './curve.ts';
import { InvalidArgument, InvalidMessage } from './errors.ts';
import { constantTimeEqual } from './internal/bytes.ts';
import { parseProto, ProtoWriter } from './internal/protobuf.ts';

export const DEFAULT_FINGERPRINT_ITERATIONS = 5200;
export const DEFAULT_SCANNABLE_VERSION = 2;
const MAX_IDENTIFIER_BYTES = 1024;
/** A scannable fingerprint is about 75 bytes; anything much larger is not one. */
const MAX_SCANNABLE_BYTES = 512;

function sideHash(iterations: number, id: Uint8Array, key: PublicKey): Uint8Array {
  const k = key.serializedView();
  let buf = backend.sha512(new Uint8Array(2), k, id, k);
  for (let i = 1; i < iterations; i++) buf = backend.sha512(buf, k);
  return buf;
}

function digits(hash: Uint8Array): string {
  let s = '';
  for (let c = 0; c < 6; c++) {
    let x = 0;
    for (let i = 0; i < 5; i++) x = x * 256 + hash[c * 5 + i]!;
    s += String(x % 100000).padStart(5, '0');
  }
  return s;
}

/** The QR-code payload: compare it with what the other person's phone shows. */
export class ScannableFingerprint {
  constructor(
    readonly version: number,
    readonly local: Uint8Array,
    readonly remote: Uint8Array,
  ) {}

  /**
   * Parses a scannable fingerprint (a scanned QR payload, untrusted), as libsignal's
   * `ScannableFingerprint::deserialize`: version and both fingerprints must be present.
   * At most 512 bytes. Throws InvalidMessage for anything else.
   */
  static deserialize(bytes: Uint8Array): ScannableFingerprint {
    if (!(bytes instanceof Uint8Array)) throw new InvalidMessage('scannable fingerprint: expected bytes');
    if (bytes.length > MAX_SCANNABLE_BYTES) throw new InvalidMessage(`scannable fingerprint: longer than ${MAX_SCANNABLE_BYTES} bytes`);
    const f = parseProto(
      bytes,
      (m) => ({ version: m.uint32(1), local: m.message(2)?.bytes(1), remote: m.message(3)?.bytes(1) }),
      (r) => new InvalidMessage(`scannable fingerprint: ${r}`),
    );
    if (f.version === undefined) throw new InvalidMessage('scannable fingerprint: version missing');
    if (!f.local) throw new InvalidMessage('scannable fingerprint: local fingerprint missing');
    if (!f.remote) throw new InvalidMessage('scannable fingerprint: remote fingerprint missing');
    return new ScannableFingerprint(f.version, f.local.slice(), f.remote.slice());
  }

  serialize(): Uint8Array {
    return new ProtoWriter()
      .uint32(1, this.version)
      .bytes(2, new ProtoWriter().bytes(1, this.local).finish())
      .bytes(3, new ProtoWriter().bytes(1, this.remote).finish())
      .finish();
  }

  /**
   * True when `scanned` (the other side's scannable bytes) matches: their local is
   * our remote and vice versa. Throws InvalidMessage for malformed input or a
   * different fingerprint version (the other app must be updated).
   */
  compare(scanned: Uint8Array): boolean {
    if (!(scanned instanceof Uint8Array) || scanned.length > MAX_SCANNABLE_BYTES) throw new InvalidMessage('scanned fingerprint: not a fingerprint');
    const f = parseProto(
      scanned,
      (m) => ({ version: m.uint32(1) ?? 0, local: m.message(2)?.bytes(1), remote: m.message(3)?.bytes(1) }),
      (r) => new InvalidMessage(`scanned fingerprint: ${r}`),
    );
    if (f.version !== this.version) {
      throw new InvalidMessage(`scanned fingerprint: version ${f.version} differs from ours (${this.version}); both people need a current app`);
    }
    if (!f.local || !f.remote) throw new InvalidMessage('scanned fingerprint: incomplete');
    const a = constantTimeEqual(f.local, this.remote);
    const b = constantTimeEqual(f.remote, this.local);
    return a && b;
  }
}

export interface Fingerprint {
  /** 60 digits; show as 12 groups of 5. */
  readonly displayable: string;
  readonly scannable: ScannableFingerprint;
}

/**
 * Computes the safety number between a local and a remote identity.
 * Identifiers are stable byte strings (Parley uses the account's username bytes).
 */
export function createFingerprint(args: {
  iterations?: number;
  version?: number;
  localIdentifier: Uint8Array;
  localKey: PublicKey;
  remoteIdentifier: Uint8Array;
  remoteKey: PublicKey;
}): Fingerprint {
  const iterations = args.iterations ?? DEFAULT_FINGERPRINT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations <= 1 || iterations > 1_000_000) {
    throw new InvalidArgument('fingerprint: iterations must be in 2..1,000,000');
  }
  for (const id of [args.localIdentifier, args.remoteIdentifier]) {
    if (!(id instanceof Uint8Array) || id.length > MAX_IDENTIFIER_BYTES) throw new InvalidArgument('fingerprint: identifier must be bytes (at most 1 KiB)');
  }
  const local = sideHash(iterations, args.localIdentifier, args.localKey);
  const remote = sideHash(iterations, args.remoteIdentifier, args.remoteKey);
  const l = digits(local);
  const r = digits(remote);
  return {
    displayable: l < r ? l + r : r + l,
    scannable: new ScannableFingerprint(args.version ?? DEFAULT_SCANNABLE_VERSION, local.slice(0, 32), remote.slice(0, 32)),
  };
}
