/**
 * Persisted 1:1 session state: `SessionState` (one Double Ratchet session) and
 * `SessionRecord` (the current session plus up to 40 archived ones, newest
 * first). Serialized with libsignal's storage.proto layouts (SessionStructure,
 * RecordStructure) so records are interchangeable with libsignal; see
 * docs/RECORDS.md. Every list is bounded: 5 receiver chains, 2,000 skipped
 * message keys per chain, 40 archived sessions.
 *
 * States are treated as values: ciphers work on a `clone()` and the record is
 * stored only after a message fully verifies, so failures change nothing.
 */
import { PrivateKey, PublicKey } from '../curve.ts';
import { InvalidState } from '../errors.ts';
import { parsePublicKey } from '../internal/parse-key.ts';
import { bytesEqual, constantTimeEqual } from '../internal/bytes.ts';
import { parseProto, ProtoMessage, ProtoWriter } from '../internal/protobuf.ts';
import { SpqrState } from '../spqr/ratchet.ts';
import type { ChainKey } from './ratchet-keys.ts';

/** A message may skip at most this many keys of its chain (libsignal's MAX_FORWARD_JUMPS). */
export const MAX_FORWARD_JUMPS = 25_000;
/** Skipped message keys kept per receiver chain; the oldest are dropped. */
export const MAX_MESSAGE_KEYS = 2_000;
/** Receiver chains kept per session; the oldest is dropped. */
export const MAX_RECEIVER_CHAINS = 5;
/** Archived sessions kept per address; the oldest is dropped. */
export const ARCHIVED_STATES_MAX_LENGTH = 40;
/** Sessions whose first message was never answered are not used for sending after 30 days. */
export const MAX_UNACKNOWLEDGED_SESSION_AGE_SECONDS = 60 * 60 * 24 * 30;
/** Fields a stored receiver chain may carry: its key, chain key and skipped keys, with room for unknown fields. */
const CHAIN_MAX_FIELDS = MAX_MESSAGE_KEYS + 64;

/** A skipped message's key material: the chain seed (current form) or expanded keys (older records). */
export interface SkippedMessageKey {
  readonly index: number;
  readonly seed?: Uint8Array;
  readonly keys?: { readonly cipherKey: Uint8Array; readonly macKey: Uint8Array; readonly iv: Uint8Array };
}

/** A chain the peer sends on, identified by its ratchet public key. */
export interface ReceiverChain {
  readonly ratchetKey: PublicKey;
  readonly chainKey: ChainKey;
  /** Newest first, at most MAX_MESSAGE_KEYS. */
  readonly messageKeys: readonly SkippedMessageKey[];
}

/** Our current sending chain and the ratchet key pair it belongs to. */
export interface SenderChain {
  readonly ratchetKey: PublicKey;
  readonly ratchetPrivateKey: PrivateKey;
  readonly chainKey: ChainKey;
}

/** What the initiator repeats in every PreKeySignalMessage until the peer answers. */
export interface PendingPreKey {
  readonly preKeyId: number | undefined;
  readonly signedPreKeyId: number;
  readonly baseKey: PublicKey;
  /** Seconds since the Unix epoch, as libsignal stores it. */
  readonly timestamp: number;
}

/** The Kyber prekey id and ciphertext repeated in every PreKeySignalMessage until the peer answers. */
export interface PendingKyberPreKey {
  readonly preKeyId: number;
  readonly ciphertext: Uint8Array;
}

/** One Double Ratchet session (SessionStructure). Mutable working state; see the module header. */
export class SessionState {
  previousCounter = 0;
  senderChain: SenderChain | undefined;
  receiverChains: ReceiverChain[] = [];
  pendingPreKey: PendingPreKey | undefined;
  pendingKyberPreKey: PendingKyberPreKey | undefined;
  remoteRegistrationId = 0;
  localRegistrationId = 0;
  /** SPQR state, kept decoded between messages and encoded only with the record (`spqr/ratchet.ts`). */
  spqr: SpqrState = SpqrState.fromBytes(new Uint8Array(0));

  /** SPQR state as stored (spqr's PqRatchetState, `spqr/state-codec.ts`); empty when the session runs without SPQR. */
  get pqRatchetState(): Uint8Array {
    return this.spqr.bytes();
  }

  set pqRatchetState(bytes: Uint8Array) {
    this.spqr = SpqrState.fromBytes(bytes);
  }

  constructor(
    readonly sessionVersion: number,
    readonly localIdentity: PublicKey,
    readonly remoteIdentity: PublicKey,
    public rootKey: Uint8Array,
    /** Serialized base key of the session's initiator; identifies the session across both sides. */
    readonly aliceBaseKey: Uint8Array,
  ) {}

  /** A copy that can be mutated without touching this state (chains are immutable values). */
  clone(): SessionState {
    const s = new SessionState(this.sessionVersion, this.localIdentity, this.remoteIdentity, this.rootKey, this.aliceBaseKey);
    s.previousCounter = this.previousCounter;
    s.senderChain = this.senderChain;
    s.receiverChains = this.receiverChains.slice();
    s.pendingPreKey = this.pendingPreKey;
    s.pendingKyberPreKey = this.pendingKyberPreKey;
    s.remoteRegistrationId = this.remoteRegistrationId;
    s.localRegistrationId = this.localRegistrationId;
    s.spqr = this.spqr;
    return s;
  }

  findReceiverChain(ratchetKey: PublicKey): number {
    for (let i = 0; i < this.receiverChains.length; i++) {
      if (this.receiverChains[i]!.ratchetKey.equals(ratchetKey)) return i;
    }
    return -1;
  }

  addReceiverChain(ratchetKey: PublicKey, chainKey: ChainKey): void {
    this.receiverChains.push({ ratchetKey, chainKey, messageKeys: [] });
    // Why: bound state growth; the oldest chain's late messages become undecryptable, as in libsignal.
    if (this.receiverChains.length > MAX_RECEIVER_CHAINS) this.receiverChains.shift();
  }

  /** The session is usable for sending at `nowSeconds` (has a sender chain and is not stale). */
  hasUsableSenderChain(nowSeconds: number): boolean {
    if (!this.senderChain) return false;
    if (this.pendingPreKey && this.pendingPreKey.timestamp + MAX_UNACKNOWLEDGED_SESSION_AGE_SECONDS < nowSeconds) {
      return false;
    }
    return true;
  }

  sessionWithSelf(): boolean {
    return this.localIdentity.equals(this.remoteIdentity);
  }

  encode(): Uint8Array {
    const w = new ProtoWriter()
      .uint32(1, this.sessionVersion || undefined)
      .bytes(2, this.localIdentity.serializedView())
      .bytes(3, this.remoteIdentity.serializedView())
      .bytes(4, this.rootKey)
      .uint32(5, this.previousCounter || undefined);
    if (this.senderChain) {
      const c = this.senderChain;
      w.bytes(
        6,
        new ProtoWriter()
          .bytes(1, c.ratchetKey.serializedView())
          .bytes(2, c.ratchetPrivateKey.serialize())
          .bytes(3, encodeChainKey(c.chainKey))
          .finish(),
      );
    }
    for (const rc of this.receiverChains) {
      const cw = new ProtoWriter().bytes(1, rc.ratchetKey.serializedView()).bytes(3, encodeChainKey(rc.chainKey));
      for (const mk of rc.messageKeys) {
        const mw = new ProtoWriter().uint32(1, mk.index || undefined);
        if (mk.keys) mw.bytes(2, mk.keys.cipherKey).bytes(3, mk.keys.macKey).bytes(4, mk.keys.iv);
        if (mk.seed) mw.bytes(5, mk.seed);
        cw.bytes(4, mw.finish());
      }
      w.bytes(7, cw.finish());
    }
    if (this.pendingPreKey) {
      const p = this.pendingPreKey;
      w.bytes(
        9,
        new ProtoWriter()
          .uint32(1, p.preKeyId)
          .bytes(2, p.baseKey.serializedView())
          .uint32(3, p.signedPreKeyId || undefined)
          .uint64(4, p.timestamp || undefined)
          .finish(),
      );
    }
    w.uint32(10, this.remoteRegistrationId || undefined).uint32(11, this.localRegistrationId || undefined);
    w.bytes(13, this.aliceBaseKey.length ? this.aliceBaseKey : undefined);
    if (this.pendingKyberPreKey) {
      w.bytes(
        14,
        new ProtoWriter()
          .uint32(1, this.pendingKyberPreKey.preKeyId || undefined)
          .bytes(2, this.pendingKyberPreKey.ciphertext)
          .finish(),
      );
    }
    if (this.pqRatchetState.length) w.bytes(15, this.pqRatchetState);
    return w.finish();
  }

  static decode(bytes: Uint8Array): SessionState {
    return parseProto(bytes, decodeState, (reason) => new InvalidState(`session state: ${reason}`));
  }
}

function encodeChainKey(ck: ChainKey): Uint8Array {
  return new ProtoWriter().uint32(1, ck.index || undefined).bytes(2, ck.key).finish();
}

function decodeChainKey(m: ProtoMessage | undefined): ChainKey {
  if (!m) throw new InvalidState('session state: chain without chain key');
  const index = m.uint32(1) ?? 0;
  const key = m.bytes(2);
  if (!key || key.length !== 32) throw new InvalidState('session state: chain key must be 32 bytes');
  return { key: key.slice(), index };
}

function pub(bytes: Uint8Array | undefined, what: string): PublicKey {
  return parsePublicKey(bytes, what, (m) => new InvalidState(`session state: ${m}`));
}

/** Skipped message keys of a chain, oldest first as stored; every entry is checked, as prost decodes them all. */
function decodeMessageKeys(c: ProtoMessage): SkippedMessageKey[] {
  const keys: SkippedMessageKey[] = [];
  for (const mk of c.repeatedMessages(4)) {
    const index = mk.uint32(1) ?? 0;
    const cipherKey = mk.bytes(2);
    const macKey = mk.bytes(3);
    const iv = mk.bytes(4);
    const seed = mk.bytes(5);
    if (keys.length === MAX_MESSAGE_KEYS) continue;
    if (seed && seed.length === 32) keys.push({ index, seed: seed.slice() });
    else if (cipherKey?.length === 32 && macKey?.length === 32 && iv?.length === 16) {
      keys.push({ index, keys: { cipherKey: cipherKey.slice(), macKey: macKey.slice(), iv: iv.slice() } });
    } else throw new InvalidState('session state: malformed skipped message key');
  }
  return keys;
}

function decodeState(m: ProtoMessage): SessionState {
  const rootKey = m.bytes(4);
  if (!rootKey || rootKey.length !== 32) throw new InvalidState('session state: root key must be 32 bytes');
  const s = new SessionState(
    m.uint32(1) ?? 0,
    pub(m.bytes(2), 'local identity'),
    pub(m.bytes(3), 'remote identity'),
    rootKey.slice(),
    (m.bytes(13) ?? new Uint8Array(0)).slice(),
  );
  s.previousCounter = m.uint32(5) ?? 0;
  const sc = m.message(6, CHAIN_MAX_FIELDS);
  if (sc) {
    const priv = sc.bytes(2);
    // A sender chain has no skipped keys; the field is still checked, as libsignal does.
    decodeMessageKeys(sc);
    if (!priv) throw new InvalidState('session state: sender chain without private key');
    let ratchetPrivateKey: PrivateKey;
    try {
      ratchetPrivateKey = PrivateKey.deserialize(priv);
    } catch {
      throw new InvalidState('session state: sender chain private key is invalid');
    }
    s.senderChain = { ratchetKey: pub(sc.bytes(1), 'sender ratchet key'), ratchetPrivateKey, chainKey: decodeChainKey(sc.message(3)) };
  }
  // Why a larger field budget: a chain holds up to MAX_MESSAGE_KEYS skipped keys,
  // more than ProtoMessage's default of 1,024 fields per message. Every chain is
  // decoded (libsignal rejects a malformed one anywhere); the newest 5 are kept.
  const chains = m.repeatedMessages(7, CHAIN_MAX_FIELDS).map((c) => {
    c.bytes(2); // a receiver chain has no private key; checked, unused
    const messageKeys = decodeMessageKeys(c);
    return { ratchetKey: pub(c.bytes(1), 'receiver ratchet key'), chainKey: decodeChainKey(c.message(3)), messageKeys };
  });
  s.receiverChains.push(...chains.slice(-MAX_RECEIVER_CHAINS));
  const pp = m.message(9);
  if (pp) {
    s.pendingPreKey = {
      preKeyId: pp.uint32(1),
      baseKey: pub(pp.bytes(2), 'pending base key'),
      signedPreKeyId: pp.uint32(3) ?? 0,
      timestamp: pp.safeUint64(4) ?? 0,
    };
  }
  s.remoteRegistrationId = m.uint32(10) ?? 0;
  s.localRegistrationId = m.uint32(11) ?? 0;
  const pk = m.message(14);
  if (pk) s.pendingKyberPreKey = { preKeyId: pk.uint32(1) ?? 0, ciphertext: (pk.bytes(2) ?? new Uint8Array(0)).slice() };
  s.pqRatchetState = (m.bytes(15) ?? new Uint8Array(0)).slice();
  return s;
}

/** All sessions with one remote device: the current one and archived ones (newest first). */
export class SessionRecord {
  private constructor(
    private current: SessionState | undefined,
    /** Encoded SessionStructures, decoded only when needed. */
    private previous: Uint8Array[],
  ) {}

  static newFresh(): SessionRecord {
    return new SessionRecord(undefined, []);
  }

  static fromState(state: SessionState): SessionRecord {
    return new SessionRecord(state, []);
  }

  /** Parses libsignal's RecordStructure. */
  static deserialize(bytes: Uint8Array): SessionRecord {
    if (!(bytes instanceof Uint8Array)) throw new InvalidState('session record: expected bytes');
    return parseProto(
      bytes,
      (m) => {
        // current_session is an embedded message: repeated occurrences merge, as in libsignal.
        const cur = m.message(1);
        const current = cur ? decodeState(cur) : undefined;
        const previous = m.repeatedBytes(2).slice(0, ARCHIVED_STATES_MAX_LENGTH).map((b) => b.slice());
        return new SessionRecord(current, previous);
      },
      (reason) => new InvalidState(`session record: ${reason}`),
    );
  }

  serialize(): Uint8Array {
    const w = new ProtoWriter();
    if (this.current) w.bytes(1, this.current.encode());
    for (const p of this.previous) w.bytes(2, p);
    return w.finish();
  }

  /** A copy whose current state can be replaced without affecting this record. */
  clone(): SessionRecord {
    return new SessionRecord(this.current, this.previous.slice());
  }

  currentState(): SessionState | undefined {
    return this.current;
  }

  setCurrentState(state: SessionState): void {
    this.current = state;
  }

  previousStateCount(): number {
    return this.previous.length;
  }

  previousState(index: number): SessionState {
    const b = this.previous[index];
    if (!b) throw new InvalidState('session record: no such previous session');
    return SessionState.decode(b);
  }

  /** Moves the current session to the archive (newest first, at most 40). */
  archiveCurrentState(): void {
    if (!this.current) return;
    const s = this.current.clone();
    s.pendingPreKey = undefined;
    s.pendingKyberPreKey = undefined;
    this.previous.unshift(s.encode());
    if (this.previous.length > ARCHIVED_STATES_MAX_LENGTH) this.previous.length = ARCHIVED_STATES_MAX_LENGTH;
    this.current = undefined;
  }

  promoteState(state: SessionState): void {
    this.archiveCurrentState();
    this.current = state;
  }

  promoteOldSession(index: number, updated: SessionState): void {
    this.previous.splice(index, 1);
    this.promoteState(updated);
  }

  /** Makes the session with this version and initiator base key current, if one exists. */
  promoteMatchingSession(version: number, aliceBaseKey: Uint8Array): boolean {
    const cur = this.current;
    if (cur && cur.sessionVersion === version && constantTimeEqual(cur.aliceBaseKey, aliceBaseKey)) return true;
    for (let i = 0; i < this.previous.length; i++) {
      const s = SessionState.decode(this.previous[i]!);
      if (s.sessionVersion === version && constantTimeEqual(s.aliceBaseKey, aliceBaseKey)) {
        this.promoteOldSession(i, s);
        return true;
      }
    }
    return false;
  }

  /** True when the current session can send at `nowSeconds`. */
  hasUsableSenderChain(nowSeconds: number): boolean {
    return this.current?.hasUsableSenderChain(nowSeconds) ?? false;
  }

  /** The remote identity of the current session, if any. */
  remoteIdentity(): PublicKey | undefined {
    return this.current?.remoteIdentity;
  }

  remoteRegistrationId(): number | undefined {
    return this.current?.remoteRegistrationId;
  }

  /** Whether the current session's remote identity equals `key`. */
  hasRemoteIdentity(key: PublicKey): boolean {
    return this.current ? bytesEqual(this.current.remoteIdentity.raw, key.raw) : false;
  }
}
