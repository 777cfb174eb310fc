/**
 * Sender-key state per (sender, distribution): at most 5 states (newest first),
 * each a chain (iteration, seed), the signing key and up to 2,000 skipped message
 * keys (oldest dropped). Serialized as libsignal's SenderKeyRecordStructure, so
 * records are interchangeable; see docs/RECORDS.md. States are immutable values.
 */
import { PrivateKey, PublicKey } from '../curve.ts';
import { InvalidState } from '../errors.ts';
import { parseProto, type ProtoMessage, ProtoWriter } from '../internal/protobuf.ts';

export const MAX_SENDER_KEY_STATES = 5;
export const MAX_SENDER_MESSAGE_KEYS = 2_000;

export interface SenderChainKey {
  readonly iteration: number;
  readonly seed: Uint8Array;
}

export interface SenderKeyState {
  readonly messageVersion: number;
  readonly chainId: number;
  readonly chainKey: SenderChainKey;
  readonly signingKey: PublicKey;
  readonly signingPrivateKey: PrivateKey | undefined;
  /** Skipped message seeds, oldest first. */
  readonly messageKeys: readonly SenderChainKey[];
}

export class SenderKeyRecord {
  private constructor(private states: SenderKeyState[]) {}

  static empty(): SenderKeyRecord {
    return new SenderKeyRecord([]);
  }

  clone(): SenderKeyRecord {
    return new SenderKeyRecord(this.states.slice());
  }

  /** The newest state (used for sending). */
  current(): SenderKeyState | undefined {
    return this.states[0];
  }

  stateForChainId(chainId: number): { state: SenderKeyState; index: number } | undefined {
    const index = this.states.findIndex((s) => s.chainId === chainId);
    return index < 0 ? undefined : { state: this.states[index]!, index };
  }

  replaceState(index: number, state: SenderKeyState): void {
    this.states[index] = state;
  }

  /** Adds a state as libsignal does: an identical (chain id, signing key) state is kept; same chain id with another key is dropped. */
  addState(state: Omit<SenderKeyState, 'messageKeys'>): void {
    const same = this.states.findIndex((s) => s.chainId === state.chainId && s.signingKey.equals(state.signingKey));
    const existing = same >= 0 ? this.states[same] : undefined;
    this.states = this.states.filter((s) => s.chainId !== state.chainId);
    while (this.states.length >= MAX_SENDER_KEY_STATES) this.states.pop();
    this.states.unshift(existing ?? { ...state, messageKeys: [] });
  }

  stateCount(): number {
    return this.states.length;
  }

  serialize(): Uint8Array {
    const w = new ProtoWriter();
    for (const s of this.states) {
      const sw = new ProtoWriter()
        .uint32(1, s.chainId || undefined)
        .bytes(2, new ProtoWriter().uint32(1, s.chainKey.iteration || undefined).bytes(2, s.chainKey.seed).finish());
      const sk = new ProtoWriter().bytes(1, s.signingKey.serializedView());
      if (s.signingPrivateKey) {
        sk.bytes(2, s.signingPrivateKey.serialize());
        // Parley extension (field 3, ignored by libsignal): the Ed25519 seed enabling native signing.
        sk.bytes(3, s.signingPrivateKey.ed25519Seed());
      }
      sw.bytes(3, sk.finish());
      for (const k of s.messageKeys) sw.bytes(4, new ProtoWriter().uint32(1, k.iteration || undefined).bytes(2, k.seed).finish());
      sw.uint32(5, s.messageVersion || undefined);
      w.bytes(1, sw.finish());
    }
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): SenderKeyRecord {
    if (!(bytes instanceof Uint8Array)) throw new InvalidState('sender key record: expected bytes');
    return parseProto(
      bytes,
      (m) => new SenderKeyRecord(m.repeatedMessages(1).slice(0, MAX_SENDER_KEY_STATES).map(decodeState)),
      (r) => new InvalidState(`sender key record: ${r}`),
    );
  }
}

function chainKey(m: ProtoMessage | undefined, what: string): SenderChainKey {
  const iteration = m?.uint32(1) ?? 0;
  const seed = m?.bytes(2);
  if (!m || !seed || seed.length !== 32) throw new InvalidState(`sender key record: ${what} must have a 32-byte seed`);
  return { iteration, seed: seed.slice() };
}

/** The key from the Ed25519 seed, if the seed is well formed and really yields `stored`; else `stored`. */
function fromSeedIfSame(seed: Uint8Array, stored: PrivateKey): PrivateKey {
  try {
    const fromSeed = PrivateKey.fromEd25519Seed(seed);
    return fromSeed.publicKey().equals(stored.publicKey()) ? fromSeed : stored;
  } catch {
    return stored;
  }
}

/** Parley's extension field 3 (Ed25519 seed): libsignal does not know it and skips it whatever its wire type, so do we. */
function signingSeed(sk: ProtoMessage): Uint8Array | undefined {
  try {
    return sk.bytes(3);
  } catch {
    return undefined;
  }
}

function decodeState(m: ProtoMessage): SenderKeyState {
  // Every field is read before any is interpreted, so a framing error is reported as one.
  const messageVersion = m.uint32(5) ?? 0;
  const chainId = m.uint32(1) ?? 0;
  const senderChainKey = chainKey(m.message(2), 'chain key');
  const sk = m.message(3);
  const pub = sk?.bytes(1);
  const priv = sk?.bytes(2);
  const messageKeys = m.repeatedMessages(4).map((k) => chainKey(k, 'message key'));
  if (!sk || !pub) throw new InvalidState('sender key record: signing key missing');
  let signingKey: PublicKey;
  let signingPrivateKey: PrivateKey | undefined;
  try {
    signingKey = PublicKey.deserialize(pub);
    signingPrivateKey = priv && priv.length ? PrivateKey.deserialize(priv) : undefined;
  } catch {
    throw new InvalidState('sender key record: invalid signing key');
  }
  const seed = signingSeed(sk);
  if (signingPrivateKey && seed) signingPrivateKey = fromSeedIfSame(seed, signingPrivateKey);
  return {
    messageVersion,
    chainId,
    chainKey: senderChainKey,
    signingKey,
    signingPrivateKey,
    messageKeys: messageKeys.slice(-MAX_SENDER_MESSAGE_KEYS),
  };
}
