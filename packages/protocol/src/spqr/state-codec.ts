/**
 * The persisted SPQR state: spqr's `PqRatchetState` protobuf (`proto/pq_ratchet.proto`),
 * which libsignal stores in field 15 of SessionStructure. Decoding checks what spqr's
 * `from_pb` checks (sizes of keys, ciphertexts and decoder targets, required messages);
 * encoding writes what prost writes (fields in number order, proto3 defaults omitted,
 * every element of a repeated field kept), so a state read from libsignal is written
 * back byte for byte.
 *
 * Every occurrence of every field pq_ratchet.proto defines is checked as prost checks it
 * (wire type, framing of every embedded message, oneof members that lose included) before
 * the state is read, whatever its kind (`checkKnownFields`).
 *
 * Stricter than spqr on purpose: an epoch above 2^53 - 1 is refused (never reached: an
 * epoch takes a full KEM exchange), and skipped-key lists must be whole entries.
 */
import { InvalidState } from '../errors.ts';
import { checkKnownFields, type KnownFields, parseProto, type ProtoMessage, ProtoWriter, WireType } from '../internal/protobuf.ts';
import { Authenticator } from './authenticator.ts';
import { Chain, ChainEpochDirection, type ChainParams, type Direction } from './chain.ts';
import { ErasureCodeError, NUM_POLYS, PolyDecoder, PolyEncoder, type EncoderState } from './erasure.ts';
import { MAX_SAFE_EPOCH } from './message.ts';
import * as kem from './mlkem768.ts';
import { CT2_WITH_MAC, HEADER_WITH_MAC, type V1State, type V1StateKind } from './states.ts';

export interface VersionNegotiation {
  readonly authKey: Uint8Array;
  /** The Direction enum as stored (int32: 0 A->B, 1 B->A); checked where it is used, as spqr does. */
  readonly direction: number;
  /** The lowest version this side accepts (an int32 enum on the wire: 0 = V0, 1 = V1). */
  readonly minVersion: number;
  readonly chainParams: ChainParams | undefined;
}

/** A decoded PqRatchetState. Empty bytes decode to all three absent (V0, no SPQR). */
export interface PqRatchetState {
  readonly versionNegotiation: VersionNegotiation | undefined;
  readonly chain: Chain | undefined;
  readonly inner: V1State | undefined;
}

// The fields of spqr's pq_ratchet.proto (spqr 1.5.3), for `checkKnownFields`.
const VARINT = WireType.Varint;
const LEN = WireType.Len;
const AUTHENTICATOR: KnownFields = { 1: LEN, 2: LEN };
const POLY_ENCODER: KnownFields = { 1: VARINT, 2: LEN, 3: LEN };
const POLY_DECODER: KnownFields = { 1: VARINT, 2: VARINT, 3: LEN, 4: VARINT };
const CHAIN_PARAMS: KnownFields = { 1: VARINT, 2: VARINT };
/** Unchunked states: epoch, authenticator, then up to three byte strings (keys, header, ciphertext). */
const unchunked = (bytesFields: number): KnownFields => {
  const f: { [no: number]: KnownFields[number] } = { 1: VARINT, 2: AUTHENTICATOR };
  for (let no = 3; no < 3 + bytesFields; no++) f[no] = LEN;
  return f;
};
const chunked = (uc: KnownFields, rest: KnownFields = {}): KnownFields => ({ 1: uc, ...rest });
const V1_STATE: KnownFields = {
  1: chunked(unchunked(0)), // KeysUnsampled
  2: chunked(unchunked(2), { 2: POLY_ENCODER }), // KeysSampled (uc: HeaderSent)
  3: chunked(unchunked(1), { 2: POLY_ENCODER, 3: POLY_DECODER }), // HeaderSent (uc: EkSent)
  4: chunked(unchunked(2), { 2: POLY_ENCODER }), // Ct1Received (uc: EkSentCt1Received)
  5: chunked(unchunked(2), { 3: POLY_DECODER }), // EkSentCt1Received
  6: chunked(unchunked(0), { 2: POLY_DECODER }), // NoHeaderReceived
  7: chunked(unchunked(1), { 2: POLY_DECODER }), // HeaderReceived
  8: chunked(unchunked(3), { 2: POLY_ENCODER, 3: POLY_DECODER }), // Ct1Sampled (uc: Ct1Sent)
  9: chunked(unchunked(3), { 2: POLY_ENCODER }), // EkReceivedCt1Sampled (uc: Ct1SentEkReceived)
  10: chunked(unchunked(3), { 2: POLY_DECODER }), // Ct1Acknowledged (uc: Ct1Sent)
  11: chunked(unchunked(0), { 2: POLY_ENCODER }), // Ct2Sampled (uc: Ct2Sent)
};
const EPOCH_DIRECTION: KnownFields = { 1: VARINT, 2: LEN, 3: LEN };
const CHAIN: KnownFields = { 1: VARINT, 2: VARINT, 3: { 1: EPOCH_DIRECTION, 2: EPOCH_DIRECTION }, 4: LEN, 5: VARINT, 6: CHAIN_PARAMS };
/** PqRatchetState. Exported for the strictness tests. */
export const PQ_RATCHET_STATE_FIELDS: KnownFields = {
  1: { 1: LEN, 2: VARINT, 3: VARINT, 4: CHAIN_PARAMS }, // VersionNegotiation
  2: CHAIN,
  3: V1_STATE,
};

function invalid(reason: string): InvalidState {
  return new InvalidState(`post-quantum ratchet state: ${reason}`);
}

// --- decoding ---------------------------------------------------------------

function bytesOf(m: ProtoMessage, no: number): Uint8Array {
  return (m.bytes(no) ?? new Uint8Array(0)).slice();
}

function sized(m: ProtoMessage, no: number, len: number, what: string): Uint8Array {
  const b = bytesOf(m, no);
  if (b.length !== len) throw invalid(`${what} must be ${len} bytes`);
  return b;
}

function epochOf(m: ProtoMessage): number {
  const e = m.uint64(1) ?? 0n;
  if (e > BigInt(MAX_SAFE_EPOCH)) throw invalid('epoch out of range');
  return Number(e);
}

function required(m: ProtoMessage, no: number, what: string): ProtoMessage {
  const r = m.message(no);
  if (!r) throw invalid(`${what} missing`);
  return r;
}

function auth(uc: ProtoMessage): Authenticator {
  const a = required(uc, 2, 'authenticator');
  return Authenticator.fromParts(bytesOf(a, 1), bytesOf(a, 2));
}

/** The chain direction an int32 enum value names; InvalidState for anything else. */
export function direction(v: number | undefined): Direction {
  const d = (v ?? 0) | 0;
  if (d === 0) return 'a2b';
  if (d === 1) return 'b2a';
  throw invalid(`unknown direction ${d}`);
}

function encoder(m: ProtoMessage | undefined, what: string): PolyEncoder {
  if (!m) throw invalid(`${what} missing`);
  const pts = m.repeatedBytes(2);
  const polys = m.repeatedBytes(3);
  const toValues = (b: Uint8Array): Uint16Array => {
    const v = new Uint16Array(b.length / 2);
    for (let i = 0; i < v.length; i++) v[i] = (b[2 * i]! << 8) | b[2 * i + 1]!;
    return v;
  };
  let state: EncoderState;
  if (pts.length > 0) {
    if (polys.length > 0 || pts.length !== NUM_POLYS || pts.some((p) => p.length % 2 !== 0)) throw invalid(`${what} is malformed`);
    state = { kind: 'points', values: pts.map(toValues) };
  } else if (polys.length === NUM_POLYS) {
    if (polys.some((p) => p.length === 0 || p.length % 2 !== 0)) throw invalid(`${what} is malformed`);
    state = { kind: 'polys', values: polys.map(toValues) };
  } else {
    throw invalid(`${what} is malformed`);
  }
  return PolyEncoder.fromParts(m.uint32(1) ?? 0, state);
}

function decoder(m: ProtoMessage | undefined, bytes: number | undefined, what: string): PolyDecoder {
  if (!m) throw invalid(`${what} missing`);
  const ptsNeeded = m.uint32(1) ?? 0;
  if (bytes !== undefined && ptsNeeded !== bytes / 2) throw invalid(`${what} decodes the wrong size`);
  const sets = m.repeatedBytes(3);
  if (sets.length !== NUM_POLYS || sets.some((s) => s.length % 4 !== 0)) throw invalid(`${what} is malformed`);
  const points = sets.map((s) => {
    const list: [number, number][] = [];
    for (let i = 0; i < s.length; i += 4) list.push([(s[i]! << 8) | s[i + 1]!, (s[i + 2]! << 8) | s[i + 3]!]);
    return list;
  });
  return PolyDecoder.fromParts(ptsNeeded, points, m.bool(4) ?? false);
}

const KINDS: readonly V1StateKind[] = [
  'keysUnsampled',
  'keysSampled',
  'headerSent',
  'ct1Received',
  'ekSentCt1Received',
  'noHeaderReceived',
  'headerReceived',
  'ct1Sampled',
  'ekReceivedCt1Sampled',
  'ct1Acknowledged',
  'ct2Sampled',
];

function decodeV1(v1: ProtoMessage): V1State {
  const field = v1.oneof([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  if (field === undefined) throw invalid('no V1 state');
  const kind = KINDS[field - 1]!;
  const c = v1.message(field)!;
  const uc = required(c, 1, 'state');
  const base = { epoch: epochOf(uc), auth: auth(uc) };
  switch (kind) {
    case 'keysUnsampled':
      return { kind, ...base };
    case 'ct2Sampled':
      return { kind, ...base, sendingCt2: encoder(c.message(2), 'ct2 encoder') };
    case 'keysSampled':
      return {
        kind,
        ...base,
        dk: sized(uc, 4, kem.DECAPSULATION_KEY_SIZE, 'decapsulation key'),
        ek: sized(uc, 3, kem.ENCAPSULATION_KEY_SIZE, 'encapsulation key'),
        sendingHdr: encoder(c.message(2), 'header encoder'),
      };
    case 'headerSent':
      return {
        kind,
        ...base,
        dk: sized(uc, 3, kem.DECAPSULATION_KEY_SIZE, 'decapsulation key'),
        sendingEk: encoder(c.message(2), 'ek encoder'),
        receivingCt1: decoder(c.message(3), kem.CIPHERTEXT1_SIZE, 'ct1 decoder'),
      };
    case 'ct1Received':
      return {
        kind,
        ...base,
        dk: sized(uc, 3, kem.DECAPSULATION_KEY_SIZE, 'decapsulation key'),
        ct1: sized(uc, 4, kem.CIPHERTEXT1_SIZE, 'ct1'),
        sendingEk: encoder(c.message(2), 'ek encoder'),
      };
    case 'ekSentCt1Received':
      return {
        kind,
        ...base,
        dk: sized(uc, 3, kem.DECAPSULATION_KEY_SIZE, 'decapsulation key'),
        ct1: sized(uc, 4, kem.CIPHERTEXT1_SIZE, 'ct1'),
        receivingCt2: decoder(c.message(3), CT2_WITH_MAC, 'ct2 decoder'),
      };
    case 'noHeaderReceived':
      return { kind, ...base, receivingHdr: decoder(c.message(2), HEADER_WITH_MAC, 'header decoder') };
    case 'headerReceived':
      return {
        kind,
        ...base,
        hdr: sized(uc, 3, kem.HEADER_SIZE, 'header'),
        receivingEk: decoder(c.message(2), kem.ENCAPSULATION_KEY_SIZE, 'ek decoder'),
      };
    case 'ct1Sampled':
      return {
        kind,
        ...base,
        hdr: sized(uc, 3, kem.HEADER_SIZE, 'header'),
        es: sized(uc, 4, kem.ENCAPSULATION_STATE_SIZE, 'encapsulation state'),
        ct1: sized(uc, 5, kem.CIPHERTEXT1_SIZE, 'ct1'),
        sendingCt1: encoder(c.message(2), 'ct1 encoder'),
        receivingEk: decoder(c.message(3), kem.ENCAPSULATION_KEY_SIZE, 'ek decoder'),
      };
    case 'ekReceivedCt1Sampled':
      return {
        kind,
        ...base,
        es: sized(uc, 3, kem.ENCAPSULATION_STATE_SIZE, 'encapsulation state'),
        ek: sized(uc, 4, kem.ENCAPSULATION_KEY_SIZE, 'encapsulation key'),
        ct1: sized(uc, 5, kem.CIPHERTEXT1_SIZE, 'ct1'),
        sendingCt1: encoder(c.message(2), 'ct1 encoder'),
      };
    case 'ct1Acknowledged':
      return {
        kind,
        ...base,
        hdr: sized(uc, 3, kem.HEADER_SIZE, 'header'),
        es: sized(uc, 4, kem.ENCAPSULATION_STATE_SIZE, 'encapsulation state'),
        ct1: sized(uc, 5, kem.CIPHERTEXT1_SIZE, 'ct1'),
        receivingEk: decoder(c.message(2), kem.ENCAPSULATION_KEY_SIZE, 'ek decoder'),
      };
  }
}

function chainParams(m: ProtoMessage): ChainParams {
  return { maxJump: m.uint32(1) ?? 0, maxOooKeys: m.uint32(2) ?? 0 };
}

function decodeChain(m: ProtoMessage): Chain {
  const dir = direction(m.uint32(1));
  const current = m.uint64(2) ?? 0n;
  const send = m.uint64(5) ?? 0n;
  if (current > BigInt(MAX_SAFE_EPOCH) || send > BigInt(MAX_SAFE_EPOCH)) throw invalid('chain epoch out of range');
  const links = m.repeatedMessages(3).map((l) => {
    const half = (no: number) => {
      const d = l.message(no);
      if (!d) throw invalid('chain epoch without both directions');
      const next = bytesOf(d, 2);
      if (next.length !== 0 && next.length !== 32) throw invalid('chain key must be 32 bytes');
      try {
        return ChainEpochDirection.fromParts(d.uint32(1) ?? 0, next, bytesOf(d, 3));
      } catch (e) {
        if (e instanceof RangeError) throw invalid(e.message);
        throw e;
      }
    };
    return { send: half(1), recv: half(2) };
  });
  const params = m.message(6);
  if (!params) throw invalid('chain parameters missing');
  return new Chain(dir, Number(current), Number(send), links, bytesOf(m, 4), chainParams(params));
}

/** Parses a stored PqRatchetState (empty bytes: no SPQR). Throws InvalidState. */
export function decodeState(bytes: Uint8Array): PqRatchetState {
  if (bytes.length === 0) return { versionNegotiation: undefined, chain: undefined, inner: undefined };
  try {
    return parseProto(
      bytes,
      (m) => {
        // Why first: the decoder reads some fields only in some states; prost checks them all.
        checkKnownFields(m, PQ_RATCHET_STATE_FIELDS);
        const vn = m.message(1);
        const ch = m.message(2);
        const v1 = m.message(3);
        return {
          versionNegotiation: vn && {
            authKey: bytesOf(vn, 1),
            direction: (vn.uint32(2) ?? 0) | 0,
            minVersion: (vn.uint32(3) ?? 0) | 0,
            chainParams: vn.message(4) && chainParams(vn.message(4)!),
          },
          chain: ch && decodeChain(ch),
          inner: v1 && decodeV1(v1),
        };
      },
      (reason) => invalid(reason),
    );
  } catch (e) {
    if (e instanceof ErasureCodeError) throw invalid(e.message);
    throw e;
  }
}

// --- encoding ---------------------------------------------------------------

/** An int32 enum value as prost writes it (negative values sign-extended to 64 bits); 0 omitted. */
function int32(w: ProtoWriter, no: number, v: number): ProtoWriter {
  if (v === 0) return w;
  return v < 0 ? w.uint64(no, BigInt.asUintN(64, BigInt(v))) : w.uint32(no, v);
}

function nz(v: number): number | undefined {
  return v === 0 ? undefined : v;
}
function ne(b: Uint8Array): Uint8Array | undefined {
  return b.length === 0 ? undefined : b;
}

function values16(v: Uint16Array): Uint8Array {
  const out = new Uint8Array(v.length * 2);
  for (let i = 0; i < v.length; i++) {
    out[2 * i] = v[i]! >> 8;
    out[2 * i + 1] = v[i]! & 0xff;
  }
  return out;
}

/**
 * Encoded parts of immutable values, by identity: an encoder's points or coefficients stay
 * the same object from chunk to chunk (only its index moves), and a decoder or a whole V1
 * state is often carried over unchanged; encoding them again each message was a third of
 * SPQR's cost. Values are never mutated, so an entry never goes stale.
 */
const encodedValues = new WeakMap<EncoderState, Uint8Array[]>();
const encodedDecoders = new WeakMap<PolyDecoder, Uint8Array>();
const encodedV1 = new WeakMap<V1State, Uint8Array>();

function encodeEncoder(e: PolyEncoder): Uint8Array {
  const w = new ProtoWriter().uint32(1, nz(e.idx));
  const field = e.state.kind === 'points' ? 2 : 3;
  let values = encodedValues.get(e.state);
  if (!values) encodedValues.set(e.state, (values = e.state.values.map(values16)));
  for (const v of values) w.bytes(field, v);
  return w.finish();
}

function encodeDecoder(d: PolyDecoder): Uint8Array {
  let b = encodedDecoders.get(d);
  if (!b) encodedDecoders.set(d, (b = encodeDecoderUncached(d)));
  return b;
}

function encodeDecoderUncached(d: PolyDecoder): Uint8Array {
  const w = new ProtoWriter().uint32(1, nz(d.ptsNeeded)).uint32(2, NUM_POLYS);
  for (const set of d.pts) {
    const b = new Uint8Array(set.xs.length * 4);
    for (let i = 0; i < set.xs.length; i++) {
      b[4 * i] = set.xs[i]! >> 8;
      b[4 * i + 1] = set.xs[i]! & 0xff;
      b[4 * i + 2] = set.ys[i]! >> 8;
      b[4 * i + 3] = set.ys[i]! & 0xff;
    }
    w.bytes(3, b);
  }
  return w.bool(4, d.isComplete || undefined).finish();
}

function encodeUc(s: V1State, ...extra: [number, Uint8Array][]): Uint8Array {
  const w = new ProtoWriter()
    .uint64(1, nz(s.epoch))
    .bytes(2, new ProtoWriter().bytes(1, ne(s.auth.rootKey)).bytes(2, ne(s.auth.macKey)).finish());
  for (const [no, b] of extra) w.bytes(no, ne(b));
  return w.finish();
}

function encodeV1(s: V1State): Uint8Array {
  let b = encodedV1.get(s);
  if (!b) encodedV1.set(s, (b = encodeV1Uncached(s)));
  return b;
}

function encodeV1Uncached(s: V1State): Uint8Array {
  const c = new ProtoWriter();
  switch (s.kind) {
    case 'keysUnsampled':
    case 'noHeaderReceived':
      c.bytes(1, encodeUc(s));
      if (s.kind === 'noHeaderReceived') c.bytes(2, encodeDecoder(s.receivingHdr));
      break;
    case 'keysSampled':
      c.bytes(1, encodeUc(s, [3, s.ek], [4, s.dk])).bytes(2, encodeEncoder(s.sendingHdr));
      break;
    case 'headerSent':
      c.bytes(1, encodeUc(s, [3, s.dk])).bytes(2, encodeEncoder(s.sendingEk)).bytes(3, encodeDecoder(s.receivingCt1));
      break;
    case 'ct1Received':
      c.bytes(1, encodeUc(s, [3, s.dk], [4, s.ct1])).bytes(2, encodeEncoder(s.sendingEk));
      break;
    case 'ekSentCt1Received':
      c.bytes(1, encodeUc(s, [3, s.dk], [4, s.ct1])).bytes(3, encodeDecoder(s.receivingCt2));
      break;
    case 'headerReceived':
      c.bytes(1, encodeUc(s, [3, s.hdr])).bytes(2, encodeDecoder(s.receivingEk));
      break;
    case 'ct1Sampled':
      c.bytes(1, encodeUc(s, [3, s.hdr], [4, s.es], [5, s.ct1]))
        .bytes(2, encodeEncoder(s.sendingCt1))
        .bytes(3, encodeDecoder(s.receivingEk));
      break;
    case 'ekReceivedCt1Sampled':
      c.bytes(1, encodeUc(s, [3, s.es], [4, s.ek], [5, s.ct1])).bytes(2, encodeEncoder(s.sendingCt1));
      break;
    case 'ct1Acknowledged':
      c.bytes(1, encodeUc(s, [3, s.hdr], [4, s.es], [5, s.ct1])).bytes(2, encodeDecoder(s.receivingEk));
      break;
    case 'ct2Sampled':
      c.bytes(1, encodeUc(s)).bytes(2, encodeEncoder(s.sendingCt2));
      break;
  }
  return new ProtoWriter().bytes(KINDS.indexOf(s.kind) + 1, c.finish()).finish();
}

function encodeParams(p: ChainParams): Uint8Array {
  return new ProtoWriter().uint32(1, nz(p.maxJump)).uint32(2, nz(p.maxOooKeys)).finish();
}

function encodeChain(c: Chain): Uint8Array {
  const w = new ProtoWriter().uint32(1, c.direction === 'b2a' ? 1 : undefined).uint64(2, nz(c.currentEpoch));
  for (const link of c.links) {
    const half = (d: ChainEpochDirection) =>
      new ProtoWriter().uint32(1, nz(d.ctr)).bytes(2, ne(d.next)).bytes(3, ne(d.prevBytes())).finish();
    w.bytes(3, new ProtoWriter().bytes(1, half(link.send)).bytes(2, half(link.recv)).finish());
  }
  return w
    .bytes(4, ne(c.nextRoot))
    .uint64(5, nz(c.sendEpoch))
    .bytes(6, encodeParams(c.params))
    .finish();
}

/** Serializes a state as prost does; a state with nothing set is empty bytes (V0). */
export function encodeState(s: PqRatchetState): Uint8Array {
  const w = new ProtoWriter();
  const vn = s.versionNegotiation;
  if (vn) {
    const v = int32(int32(new ProtoWriter().bytes(1, ne(vn.authKey)), 2, vn.direction), 3, vn.minVersion);
    if (vn.chainParams) v.bytes(4, encodeParams(vn.chainParams));
    w.bytes(1, v.finish());
  }
  if (s.chain) w.bytes(2, encodeChain(s.chain));
  if (s.inner) w.bytes(3, encodeV1(s.inner));
  return w.finish();
}
