/**
 * The SPQR entry points a session uses (spqr `lib.rs`): `initialState`, `send`, `recv`,
 * on serialized states, as libsignal stores them in the session record. Each call
 * returns a new state; the caller stores it only once the whole message succeeded.
 *
 * Version negotiation: a fresh V1 state remembers its minimum version until its first
 * message arrives. A message of a lower version than the state's downgrades the session
 * (to no SPQR) if the minimum allows it, and is refused with SpqrRequired otherwise; a
 * negotiated state (after the first received message) refuses any lower version. A V0
 * state (empty: sessions created without SPQR) ignores SPQR in what it receives, so old
 * sessions keep working as they did. An unknown higher version is ignored.
 *
 * Keys: the per-message key (32 bytes) salts the Double Ratchet's message keys. With a
 * minimum of V1 every message has one, from the first; with a minimum of V0 keys start
 * once the first message from the peer arrived.
 */
import { InvalidState, SpqrRequired } from '../errors.ts';
import { Chain, type ChainParams, type Direction } from './chain.ts';
import { decodeMessage, encodeMessage, messageVersion, type SpqrVersion } from './message.ts';
import { decodeState, direction as directionOf, encodeState, type PqRatchetState, type VersionNegotiation } from './state-codec.ts';
import * as v1 from './states.ts';

export interface SpqrParams {
  readonly direction: Direction;
  /** The version this side speaks: 1 (the braid) or 0 (none: an empty state). */
  readonly version: SpqrVersion;
  /** The lowest version accepted from the peer. */
  readonly minVersion: SpqrVersion;
  /** The 32-byte SPQR key from PQXDH. */
  readonly authKey: Uint8Array;
  /** Stored as given (0 = the default: 25,000 and 2,000). */
  readonly chainParams: ChainParams;
}

export interface SendResult {
  readonly state: Uint8Array;
  /** The `pq_ratchet` field to send (empty without SPQR). */
  readonly msg: Uint8Array;
  /** 32-byte salt for the message keys, or undefined for none. */
  readonly key: Uint8Array | undefined;
}

export interface RecvResult {
  readonly state: Uint8Array;
  readonly key: Uint8Array | undefined;
}

/** The state a new session starts with; V0 is the empty state. */
export function initialState(p: SpqrParams): Uint8Array {
  return initialSpqrState(p).bytes();
}

/**
 * `initialState` as a session holds it: decoded, so a new session's first message decodes
 * nothing (encoding the state at set-up and decoding it at once was 5% of a session set-up).
 */
export function initialSpqrState(p: SpqrParams): SpqrState {
  if (p.version === 0) return SpqrState.fromBytes(new Uint8Array(0));
  if (p.authKey.length !== 32) throw new InvalidState('post-quantum ratchet: the auth key must be 32 bytes');
  return SpqrState.fromDecoded({
    versionNegotiation: { authKey: p.authKey.slice(), direction: p.direction === 'a2b' ? 0 : 1, minVersion: p.minVersion, chainParams: p.chainParams },
    chain: undefined,
    inner: p.direction === 'a2b' ? v1.initA(p.authKey) : v1.initB(p.authKey),
  });
}

/** Whether the state still negotiates (no message received yet), and its version. */
export function currentVersion(state: Uint8Array): { version: SpqrVersion; negotiating: boolean; minVersion: number | undefined } {
  const s = decodeState(state);
  return {
    version: s.inner ? 1 : 0,
    negotiating: s.versionNegotiation !== undefined,
    minVersion: s.versionNegotiation?.minVersion,
  };
}

/**
 * An SPQR state as a session holds it: its bytes, its decoded form, or both, each
 * computed at most once. A session that stays in memory never encodes its state between
 * messages (encoding it every message was a third of SPQR's cost); a stored record
 * encodes it once, when it is serialized. Immutable: a message works on a copy (`load`).
 */
export class SpqrState {
  private constructor(
    private encoded: Uint8Array | undefined,
    private readonly decoded: PqRatchetState | undefined,
  ) {}

  /** A state read from a record (decoded when first used). */
  static fromBytes(bytes: Uint8Array): SpqrState {
    return new SpqrState(bytes, undefined);
  }

  /** @internal a state this module built; it is never changed afterwards. */
  static fromDecoded(s: PqRatchetState): SpqrState {
    return new SpqrState(undefined, s);
  }

  /** The stored form (spqr's PqRatchetState protobuf; empty without SPQR). */
  bytes(): Uint8Array {
    return (this.encoded ??= encodeState(this.decoded!));
  }

  /** True for the empty state: a session without SPQR. */
  isEmpty(): boolean {
    if (this.encoded) return this.encoded.length === 0;
    const d = this.decoded!;
    return !d.versionNegotiation && !d.chain && !d.inner;
  }

  /** @internal a working copy: its chain (the only mutable part) is this state's own. */
  load(): PqRatchetState {
    const d = this.decoded;
    if (!d) return decodeState(this.encoded!);
    return { versionNegotiation: d.versionNegotiation, chain: d.chain?.clone(), inner: d.inner };
  }
}

const EMPTY = SpqrState.fromBytes(new Uint8Array(0));

function chainFromNegotiation(vn: VersionNegotiation): Chain {
  if (!vn.chainParams) throw new InvalidState('post-quantum ratchet: chain parameters missing');
  return Chain.create(vn.authKey, directionOf(vn.direction), vn.chainParams);
}

function chainOf(s: PqRatchetState): Chain {
  if (s.chain) return s.chain;
  if (!s.versionNegotiation) throw new InvalidState('post-quantum ratchet: no chain');
  return chainFromNegotiation(s.versionNegotiation);
}

/** The `pq_ratchet` bytes for the next message, and its key (on stored bytes). */
export function send(state: Uint8Array, rng: v1.SpqrRandom = v1.systemRandom): SendResult {
  const r = sendState(SpqrState.fromBytes(state), rng);
  return { ...r, state: r.state.bytes() };
}

/** `send` on a session's SpqrState. */
export function sendState(state: SpqrState, rng: v1.SpqrRandom = v1.systemRandom): { state: SpqrState; msg: Uint8Array; key: Uint8Array | undefined } {
  const s = state.load();
  if (!s.inner) return { state: EMPTY, msg: new Uint8Array(0), key: undefined };
  const out = v1.send(s.inner, rng);
  let chain = s.chain;
  if (!chain) {
    if (!s.versionNegotiation) throw new InvalidState('post-quantum ratchet: no chain');
    // Keys from the first message only when the peer must speak SPQR anyway.
    if (s.versionNegotiation.minVersion > 0) chain = chainFromNegotiation(s.versionNegotiation);
  }
  let index = 0;
  let key: Uint8Array | undefined;
  if (chain) {
    if (out.key) chain.addEpoch(out.key.epoch, out.key.secret);
    const k = chain.sendKey(out.msg.epoch - 1);
    index = k.index;
    key = k.key;
  } else if (out.key) {
    throw new InvalidState('post-quantum ratchet: an epoch secret without a chain');
  }
  return {
    // Sending never changes the version negotiation.
    state: SpqrState.fromDecoded({ versionNegotiation: s.versionNegotiation, chain, inner: out.state }),
    msg: encodeMessage({ epoch: out.msg.epoch, index, payload: out.msg.payload }),
    key,
  };
}

/**
 * Processes a received `pq_ratchet` field: negotiates the version, advances the braid
 * and returns the message's key. Throws InvalidMessage for a malformed or refused
 * message, SpqrRequired when the peer sent no SPQR and this side requires it, and
 * InvalidState for a corrupt state; the stored state is never changed.
 */
export function recv(state: Uint8Array, msg: Uint8Array): RecvResult {
  const given = SpqrState.fromBytes(state);
  const r = recvState(given, msg);
  return { state: r.state === given ? state : r.state.bytes(), key: r.key };
}

/** `recv` on a session's SpqrState. */
export function recvState(state: SpqrState, msg: Uint8Array): { state: SpqrState; key: Uint8Array | undefined } {
  const pre = state.load();
  const theirs = messageVersion(msg);
  // A version above ours: ignore its SPQR part and keep ours (spqr's forward compatibility).
  if (theirs === undefined) return { state, key: undefined };
  const ours: SpqrVersion = pre.inner ? 1 : 0;
  let s = pre;
  if (theirs < ours) {
    const vn = pre.versionNegotiation;
    if (!vn) throw new SpqrRequired('local', 'the peer sent a message without the post-quantum ratchet (SPQR) in a session that uses it');
    if (theirs < vn.minVersion) {
      throw new SpqrRequired(
        'local',
        'the peer does not speak the post-quantum ratchet (SPQR), which this session requires; it runs a library without SPQR',
      );
    }
    // Downgrade to V0: from now on no SPQR, and no more negotiation.
    s = { versionNegotiation: undefined, chain: chainOf(pre), inner: undefined };
  }
  if (!s.inner) return { state: EMPTY, key: undefined };
  const m = decodeMessage(msg);
  const out = v1.recv(s.inner, { epoch: m.epoch, payload: m.payload });
  const chain = chainOf(s);
  if (out.key) chain.addEpoch(out.key.epoch, out.key.secret);
  const keyEpoch = m.epoch - 1;
  // Index 0 of epoch 0: the sender had no chain yet (a minimum of V0 before negotiation).
  const key = keyEpoch === 0 && m.index === 0 ? undefined : chain.recvKey(keyEpoch, m.index);
  return {
    // Receiving ends the negotiation.
    state: SpqrState.fromDecoded({ versionNegotiation: undefined, chain, inner: out.state }),
    key,
  };
}

