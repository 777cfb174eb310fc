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
  if (p.version === 0) return new Uint8Array(0);
  if (p.authKey.length !== 32) throw new InvalidState('post-quantum ratchet: the auth key must be 32 bytes');
  return encodeState({
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
 * Decoded states by the identity of the bytes this module returned for them: a store that
 * keeps records as objects hands the same bytes back, and decoding them again was a third
 * of SPQR's cost. The bytes are never mutated (states are values); the cached chain is
 * mutable, so each use takes a copy.
 */
const decodedStates = new WeakMap<Uint8Array, PqRatchetState>();

function load(bytes: Uint8Array): PqRatchetState {
  const hit = decodedStates.get(bytes);
  if (!hit) return decodeState(bytes);
  return { versionNegotiation: hit.versionNegotiation, chain: hit.chain?.clone(), inner: hit.inner };
}

function save(s: PqRatchetState): Uint8Array {
  const bytes = encodeState(s);
  decodedStates.set(bytes, s);
  return bytes;
}

function chainFromNegotiation(vn: VersionNegotiation): Chain {
  if (!vn.chainParams) throw new InvalidState('post-quantum ratchet: chain parameters missing');
  return Chain.create(vn.authKey, directionOf(vn.direction), vn.chainParams);
}

function chainOf(s: PqRatchetState): Chain {
  if (s.chain) return s.chain;
  if (!s.versionNegotiation) throw new InvalidState('post-quantum ratchet: no chain');
  return chainFromNegotiation(s.versionNegotiation);
}

/** The `pq_ratchet` bytes for the next message, and its key. */
export function send(state: Uint8Array, rng: v1.SpqrRandom = v1.systemRandom): SendResult {
  const s = load(state);
  if (!s.inner) return { state: new Uint8Array(0), msg: new Uint8Array(0), key: undefined };
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
    state: save({ versionNegotiation: s.versionNegotiation, chain, inner: out.state }),
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
  const pre = load(state);
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
  if (!s.inner) return { state: new Uint8Array(0), key: undefined };
  const m = decodeMessage(msg);
  const out = v1.recv(s.inner, { epoch: m.epoch, payload: m.payload });
  const chain = chainOf(s);
  if (out.key) chain.addEpoch(out.key.epoch, out.key.secret);
  const keyEpoch = m.epoch - 1;
  // Index 0 of epoch 0: the sender had no chain yet (a minimum of V0 before negotiation).
  const key = keyEpoch === 0 && m.index === 0 ? undefined : chain.recvKey(keyEpoch, m.index);
  return {
    // Receiving ends the negotiation.
    state: save({ versionNegotiation: undefined, chain, inner: out.state }),
    key,
  };
}

