/**
 * SPQR's epoch key chain (spqr `chain.rs`): one symmetric chain per braid epoch and
 * direction, giving the per-message key that salts the Double Ratchet's message keys.
 *
 * - start: HKDF(0^32, auth key, "Signal PQ Ratchet V1 Chain  Start", 96) -> next root ‖
 *   A->B chain ‖ B->A chain (two spaces before "Start", as in spqr);
 * - step: ctr += 1; HKDF(0^32, next, BE32(ctr) ‖ "Signal PQ Ratchet V1 Chain Next", 64)
 *   -> next ‖ key (counters start at 1);
 * - new epoch: HKDF(next root, epoch secret, "Signal PQ Ratchet V1 Chain Add Epoch", 96).
 *
 * Limits (libsignal's): a receive may jump at most `maxJump` keys ahead (25,000; 2^32 - 1 in
 * a session with oneself); skipped keys are kept back to `maxOooKeys` (2,000) behind the
 * newest, and the list is trimmed once it holds 2,201. Skipped keys are stored as spqr stores
 * them (BE32 index ‖ 32-byte key, removal by moving the last entry into the hole) so the
 * serialized chain is byte-identical to libsignal's. Only one epoch before the current
 * sending epoch is kept.
 *
 * Mutable working object: callers decode one from a stored state, change it, and store it
 * again only when the whole message succeeded.
 */
import { backend } from '#backend';
import { InvalidMessage } from '../errors.ts';
import { be32, concat, utf8 } from '../internal/bytes.ts';

export type Direction = 'a2b' | 'b2a';

/** Chain limits as stored (0 means the default). */
export interface ChainParams {
  readonly maxJump: number;
  readonly maxOooKeys: number;
}

export const DEFAULT_MAX_JUMP = 25_000;
export const DEFAULT_MAX_OOO_KEYS = 2_000;
/** Bytes of one stored skipped key: BE32 index ‖ 32-byte key. */
export const KEY_SIZE = 4 + 32;
/** Epochs kept before the current sending epoch. */
export const EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH = 1;

const ZERO_SALT = new Uint8Array(32);
const START = utf8('Signal PQ Ratchet V1 Chain  Start');
const NEXT = utf8('Signal PQ Ratchet V1 Chain Next');
const ADD_EPOCH = utf8('Signal PQ Ratchet V1 Chain Add Epoch');

/** Why a chain refused a key; mapped to InvalidMessage by `ChainError.toProtocolError`. */
export type ChainErrorKind = 'epochOutOfRange' | 'keyJump' | 'keyTrimmed' | 'keyAlreadyRequested' | 'sendKeyEpochDecreased';

export class ChainError extends InvalidMessage {
  constructor(
    readonly kind: ChainErrorKind,
    message: string,
  ) {
    super(`post-quantum ratchet: ${message}`);
  }
}

function maxJump(p: ChainParams): number {
  return p.maxJump > 0 ? p.maxJump : DEFAULT_MAX_JUMP;
}
function maxOoo(p: ChainParams): number {
  return p.maxOooKeys > 0 ? p.maxOooKeys : DEFAULT_MAX_OOO_KEYS;
}
/** Skipped keys a direction holds before it drops those more than `maxOooKeys` behind. */
export function trimSize(p: ChainParams): number {
  return Math.floor((maxOoo(p) * 11) / 10) + 1;
}

/** Skipped keys of one direction: BE32 index ‖ key, in spqr's order. */
class KeyHistory {
  constructor(
    public data: Uint8Array,
    public len: number,
  ) {}

  static empty(): KeyHistory {
    return new KeyHistory(new Uint8Array(0), 0);
  }

  add(index: number, key: Uint8Array): void {
    if (this.len + KEY_SIZE > this.data.length) {
      const grown = new Uint8Array(Math.max(KEY_SIZE * 16, this.data.length * 2));
      grown.set(this.data.subarray(0, this.len));
      this.data = grown;
    }
    new DataView(this.data.buffer, this.data.byteOffset).setUint32(this.len, index >>> 0, false);
    this.data.set(key, this.len + 4);
    this.len += KEY_SIZE;
  }

  private indexAt(pos: number): number {
    return new DataView(this.data.buffer, this.data.byteOffset).getUint32(pos, false);
  }

  /** spqr's removal: the last entry moves into the hole. */
  private remove(pos: number): void {
    if (pos + KEY_SIZE < this.len) this.data.copyWithin(pos, this.len - KEY_SIZE, this.len);
    this.len -= KEY_SIZE;
  }

  gc(currentKey: number, p: ChainParams): void {
    if (this.len < trimSize(p) * KEY_SIZE) return;
    const horizon = currentKey - maxOoo(p);
    let i = 0;
    while (i < this.len) {
      if (this.indexAt(i) < horizon) this.remove(i);
      else i += KEY_SIZE;
    }
  }

  clear(): void {
    this.len = 0;
  }

  take(at: number, currentCtr: number, p: ChainParams): Uint8Array {
    if (at + maxOoo(p) < currentCtr) throw new ChainError('keyTrimmed', `key ${at} is too old and was dropped`);
    for (let i = 0; i < this.len; i += KEY_SIZE) {
      if (this.indexAt(i) === at) {
        const key = this.data.slice(i + 4, i + KEY_SIZE);
        this.remove(i);
        return key;
      }
    }
    throw new ChainError('keyAlreadyRequested', `key ${at} was already used`);
  }

  bytes(): Uint8Array {
    return this.data.slice(0, this.len);
  }
}

/** One direction of one epoch. */
export class ChainEpochDirection {
  constructor(
    public ctr: number,
    /** 32 bytes, or empty once the epoch can no longer send. */
    public next: Uint8Array,
    readonly prev: KeyHistory,
  ) {}

  static create(key: Uint8Array): ChainEpochDirection {
    return new ChainEpochDirection(0, key, KeyHistory.empty());
  }

  /** @internal from a serialized state. */
  static fromParts(ctr: number, next: Uint8Array, prev: Uint8Array): ChainEpochDirection {
    if (prev.length % KEY_SIZE !== 0) throw new RangeError(`skipped keys must be a multiple of ${KEY_SIZE} bytes`);
    // Copies: a working chain must never write into the stored state it was decoded from.
    return new ChainEpochDirection(ctr, next.slice(), new KeyHistory(prev.slice(), prev.length));
  }

  /** A copy whose counter, key and skipped keys change independently of this one. */
  clone(): ChainEpochDirection {
    return new ChainEpochDirection(this.ctr, this.next, new KeyHistory(this.prev.data.slice(0, this.prev.len), this.prev.len));
  }

  prevBytes(): Uint8Array {
    return this.prev.bytes();
  }

  /** Advances one step; returns the new counter and its key. */
  nextKey(): { index: number; key: Uint8Array } {
    this.ctr += 1;
    const okm = backend.hkdfSha256(this.next, ZERO_SALT, concat(be32(this.ctr), NEXT), 64);
    this.next = okm.slice(0, 32);
    return { index: this.ctr, key: okm.slice(32, 64) };
  }

  /** The key with counter `at`, from the skipped keys or by advancing. */
  key(at: number, p: ChainParams): Uint8Array {
    if (at > this.ctr) {
      if (at - this.ctr > maxJump(p)) throw new ChainError('keyJump', `key ${at} is more than ${maxJump(p)} ahead of ${this.ctr}`);
    } else if (at < this.ctr) {
      return this.prev.take(at, this.ctr, p);
    } else {
      throw new ChainError('keyAlreadyRequested', `key ${at} was already used`);
    }
    const ooo = maxOoo(p);
    // Everything held would be obsolete after this jump.
    if (at > this.ctr + ooo) this.prev.clear();
    while (at > this.ctr + 1) {
      const k = this.nextKey();
      // Keys that the trim would drop at once are not stored.
      if (this.ctr + ooo >= at) this.prev.add(k.index, k.key);
    }
    this.prev.gc(this.ctr, p);
    return this.nextKey().key;
  }
}

export interface ChainEpoch {
  readonly send: ChainEpochDirection;
  readonly recv: ChainEpochDirection;
}

export class Chain {
  constructor(
    readonly direction: Direction,
    public currentEpoch: number,
    public sendEpoch: number,
    /** links[i] belongs to epoch currentEpoch - (links.length - 1 - i). */
    readonly links: ChainEpoch[],
    public nextRoot: Uint8Array,
    readonly params: ChainParams,
  ) {}

  /** A copy to work on: the stored chain is never changed by a message that may still fail. */
  clone(): Chain {
    const links = this.links.map((l) => ({ send: l.send.clone(), recv: l.recv.clone() }));
    return new Chain(this.direction, this.currentEpoch, this.sendEpoch, links, this.nextRoot, this.params);
  }

  static create(authKey: Uint8Array, direction: Direction, params: ChainParams): Chain {
    const okm = backend.hkdfSha256(authKey, ZERO_SALT, START, 96);
    return new Chain(direction, 0, 0, [epochFrom(okm, direction)], okm.slice(0, 32), params);
  }

  addEpoch(epoch: number, secret: Uint8Array): void {
    if (epoch !== this.currentEpoch + 1) throw new InvalidMessage(`post-quantum ratchet: epoch ${epoch} does not follow ${this.currentEpoch}`);
    const okm = backend.hkdfSha256(secret, this.nextRoot, ADD_EPOCH, 96);
    this.currentEpoch = epoch;
    this.nextRoot = okm.slice(0, 32);
    this.links.push(epochFrom(okm, this.direction));
  }

  private epochIndex(epoch: number): number {
    if (epoch > this.currentEpoch) throw new ChainError('epochOutOfRange', `epoch ${epoch} is in the future`);
    const back = this.currentEpoch - epoch;
    if (back >= this.links.length) throw new ChainError('epochOutOfRange', `epoch ${epoch} is no longer kept`);
    return this.links.length - 1 - back;
  }

  sendKey(epoch: number): { index: number; key: Uint8Array } {
    if (epoch < this.sendEpoch) throw new ChainError('sendKeyEpochDecreased', `send epoch went back from ${this.sendEpoch} to ${epoch}`);
    let idx = this.epochIndex(epoch);
    if (this.sendEpoch !== epoch) {
      this.sendEpoch = epoch;
      while (idx > EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH) {
        this.links.shift();
        idx--;
      }
      // Older epochs never send again: forget their sending keys.
      for (let i = 0; i < idx; i++) this.links[i]!.send.next = new Uint8Array(0);
    }
    return this.links[idx]!.send.nextKey();
  }

  recvKey(epoch: number, index: number): Uint8Array {
    return this.links[this.epochIndex(epoch)]!.recv.key(index, this.params);
  }
}

function epochFrom(okm: Uint8Array, dir: Direction): ChainEpoch {
  const a2b = okm.slice(32, 64);
  const b2a = okm.slice(64, 96);
  return {
    send: ChainEpochDirection.create(dir === 'a2b' ? a2b : b2a),
    recv: ChainEpochDirection.create(dir === 'a2b' ? b2a : a2b),
  };
}
