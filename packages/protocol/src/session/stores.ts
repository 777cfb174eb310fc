/**
 * Store interfaces the protocol owns (async, so IndexedDB and SQLite adapters fit)
 * and in-memory reference implementations. Every adapter runs the compliance
 * suite in `store-compliance.ts`.
 *
 * Trust model (trust on first use, as Signal): the first identity seen for an
 * address is trusted. A different identity later is recorded as *changed* and is
 * untrusted for sending until the app calls `approveIdentity` after the user has
 * compared safety numbers; receiving from it stays possible, so messages are not
 * lost, and the app is told through the change.
 */
import type { ProtocolAddress } from '../address.ts';
import type { PublicKey } from '../curve.ts';
import { PublicKey as PublicKeyClass } from '../curve.ts';
import { InvalidKyberPreKeyId, InvalidMessage, InvalidPreKeyId, InvalidSignedPreKeyId, InvalidState, ProtocolError } from '../errors.ts';
import { fromHex, toHex } from '../internal/bytes.ts';
import { parseProto, type ProtoMessage, ProtoWriter } from '../internal/protobuf.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.ts';
import { SessionRecord } from './session-state.ts';

/** Why an identity is being checked: sending to it, or receiving from it. */
export type Direction = 'sending' | 'receiving';

/** 'trusted' by first use or approval; 'changed' after a key change not yet approved; 'verified' after a safety-number check. */
export type TrustLevel = 'trusted' | 'changed' | 'verified';

/** Our identity and the peers' identities, with the trust model in the module header. */
export interface IdentityKeyStore {
  getIdentityKeyPair(): Promise<IdentityKeyPair>;
  getLocalRegistrationId(): Promise<number>;
  /** Records `key` for `address`; returns true if it replaced a different key. */
  saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean>;
  isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean>;
  getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined>;
}

/** Session records by address. `storeSession` is called only after an operation fully succeeded. */
export interface SessionStore {
  loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined>;
  storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void>;
}

/** One-time EC prekeys; a used one is removed after its message decrypted. */
export interface PreKeyStore {
  /** Throws InvalidPreKeyId when absent. */
  getPreKey(id: number): Promise<PreKeyRecord>;
  savePreKey(id: number, record: PreKeyRecord): Promise<void>;
  removePreKey(id: number): Promise<void>;
}

/** Signed EC prekeys (kept after use; the app rotates them). */
export interface SignedPreKeyStore {
  /** Throws InvalidSignedPreKeyId when absent. */
  getSignedPreKey(id: number): Promise<SignedPreKeyRecord>;
  saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void>;
}

/** Kyber prekeys: one-time ones (deleted when used) and last-resort ones (kept, with replay memory). */
export interface KyberPreKeyStore {
  /** Throws InvalidKyberPreKeyId when absent. */
  getKyberPreKey(id: number): Promise<KyberPreKeyRecord>;
  /** `oneTime` keys are deleted once used; the last-resort key (default) stays. */
  saveKyberPreKey(id: number, record: KyberPreKeyRecord, oneTime?: boolean): Promise<void>;
  /**
   * Called after a prekey message used this Kyber prekey, before its session is stored.
   * A one-time key is deleted. A last-resort key stays, but the store must remember each
   * (Kyber id, signed prekey id, base key) it saw and throw InvalidMessage when one comes
   * again: that is a replayed prekey message (libsignal's `mark_kyber_pre_key_used` contract).
   * Entries may be pruned once the signed prekey they name is deleted.
   */
  markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void>;
}

/** Every store a device needs for 1:1 sessions. */
export interface ProtocolStore extends IdentityKeyStore, SessionStore, PreKeyStore, SignedPreKeyStore, KyberPreKeyStore {}

interface IdentityEntry {
  key: PublicKey;
  trust: TrustLevel;
}

/** Reference IdentityKeyStore in memory (tests, tools); adds `approveIdentity` and `getTrustLevel`. */
export class InMemoryIdentityKeyStore implements IdentityKeyStore {
  /** @internal keyed by `ProtocolAddress.toString()`; read by the export. */
  readonly identities = new Map<string, IdentityEntry>();

  constructor(
    readonly identity: IdentityKeyPair,
    readonly registrationId: number,
  ) {}

  async getIdentityKeyPair(): Promise<IdentityKeyPair> {
    return this.identity;
  }

  async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }

  async saveIdentity(address: ProtocolAddress, key: PublicKey): Promise<boolean> {
    const id = address.toString();
    const existing = this.identities.get(id);
    if (!existing) {
      this.identities.set(id, { key, trust: 'trusted' });
      return false;
    }
    if (existing.key.equals(key)) return false;
    this.identities.set(id, { key, trust: 'changed' });
    return true;
  }

  async isTrustedIdentity(address: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
    const existing = this.identities.get(address.toString());
    if (!existing) return true;
    if (direction === 'receiving') return true;
    return existing.key.equals(key) && existing.trust !== 'changed';
  }

  async getIdentity(address: ProtocolAddress): Promise<PublicKey | undefined> {
    return this.identities.get(address.toString())?.key;
  }

  /** The user accepted `key` for `address` (after comparing safety numbers, or `verified`). */
  async approveIdentity(address: ProtocolAddress, key: PublicKey, verified = false): Promise<void> {
    this.identities.set(address.toString(), { key, trust: verified ? 'verified' : 'trusted' });
  }

  async getTrustLevel(address: ProtocolAddress): Promise<TrustLevel | undefined> {
    return this.identities.get(address.toString())?.trust;
  }
}

/** Reference SessionStore in memory; records are kept as objects. */
export class InMemorySessionStore implements SessionStore {
  /** @internal keyed by `ProtocolAddress.toString()`; read by the export. */
  readonly sessions = new Map<string, SessionRecord>();

  async loadSession(address: ProtocolAddress): Promise<SessionRecord | undefined> {
    return this.sessions.get(address.toString());
  }

  async storeSession(address: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.sessions.set(address.toString(), record);
  }
}

/** Reference PreKeyStore in memory. */
export class InMemoryPreKeyStore implements PreKeyStore {
  /** @internal read by the export. */
  readonly keys = new Map<number, PreKeyRecord>();
  async getPreKey(id: number): Promise<PreKeyRecord> {
    const r = this.keys.get(id);
    if (!r) throw new InvalidPreKeyId(`no one-time prekey with id ${id}`);
    return r;
  }
  async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.keys.set(id, record);
  }
  async removePreKey(id: number): Promise<void> {
    this.keys.delete(id);
  }
  count(): number {
    return this.keys.size;
  }
}

/** Reference SignedPreKeyStore in memory. */
export class InMemorySignedPreKeyStore implements SignedPreKeyStore {
  /** @internal read by the export. */
  readonly keys = new Map<number, SignedPreKeyRecord>();
  async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const r = this.keys.get(id);
    if (!r) throw new InvalidSignedPreKeyId(`no signed prekey with id ${id}`);
    return r;
  }
  async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.keys.set(id, record);
  }
}

/**
 * Kyber prekeys: ids registered with `oneTime = true` are deleted once used; the
 * last-resort key stays (as libsignal/Signal-Desktop do).
 */
export class InMemoryKyberPreKeyStore implements KyberPreKeyStore {
  /** @internal read by the export. */
  readonly keys = new Map<number, { record: KyberPreKeyRecord; oneTime: boolean }>();
  /** @internal `${kyberId}:${signedPreKeyId}` -> base keys (hex) seen with a last-resort key. */
  readonly baseKeysSeen = new Map<string, Set<string>>();
  async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const r = this.keys.get(id);
    if (!r) throw new InvalidKyberPreKeyId(`no Kyber prekey with id ${id}`);
    return r.record;
  }
  async saveKyberPreKey(id: number, record: KyberPreKeyRecord, oneTime = false): Promise<void> {
    this.keys.set(id, { record, oneTime });
  }
  async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    if (this.keys.get(id)?.oneTime) {
      this.keys.delete(id);
      return;
    }
    const slot = `${id}:${signedPreKeyId}`;
    let seen = this.baseKeysSeen.get(slot);
    if (!seen) this.baseKeysSeen.set(slot, (seen = new Set()));
    const key = toHex(baseKey.serializedView());
    // Why: without a one-time prekey, only this memory tells a replayed first message from a new session.
    if (seen.has(key)) throw new InvalidMessage('prekey message: base key already used with this last-resort prekey (a replay)');
    seen.add(key);
  }
}

/** All in-memory stores behind one object. */
export class InMemoryProtocolStore implements ProtocolStore {
  readonly identityStore: InMemoryIdentityKeyStore;
  readonly sessionStore = new InMemorySessionStore();
  readonly preKeyStore = new InMemoryPreKeyStore();
  readonly signedPreKeyStore = new InMemorySignedPreKeyStore();
  readonly kyberPreKeyStore = new InMemoryKyberPreKeyStore();

  constructor(identity: IdentityKeyPair, registrationId: number) {
    this.identityStore = new InMemoryIdentityKeyStore(identity, registrationId);
  }

  getIdentityKeyPair = () => this.identityStore.getIdentityKeyPair();
  getLocalRegistrationId = () => this.identityStore.getLocalRegistrationId();
  saveIdentity = (a: ProtocolAddress, k: PublicKey) => this.identityStore.saveIdentity(a, k);
  isTrustedIdentity = (a: ProtocolAddress, k: PublicKey, d: Direction) => this.identityStore.isTrustedIdentity(a, k, d);
  getIdentity = (a: ProtocolAddress) => this.identityStore.getIdentity(a);
  approveIdentity = (a: ProtocolAddress, k: PublicKey, verified?: boolean) => this.identityStore.approveIdentity(a, k, verified);
  getTrustLevel = (a: ProtocolAddress) => this.identityStore.getTrustLevel(a);
  loadSession = (a: ProtocolAddress) => this.sessionStore.loadSession(a);
  storeSession = (a: ProtocolAddress, r: SessionRecord) => this.sessionStore.storeSession(a, r);
  getPreKey = (id: number) => this.preKeyStore.getPreKey(id);
  savePreKey = (id: number, r: PreKeyRecord) => this.preKeyStore.savePreKey(id, r);
  removePreKey = (id: number) => this.preKeyStore.removePreKey(id);
  getSignedPreKey = (id: number) => this.signedPreKeyStore.getSignedPreKey(id);
  saveSignedPreKey = (id: number, r: SignedPreKeyRecord) => this.signedPreKeyStore.saveSignedPreKey(id, r);
  getKyberPreKey = (id: number) => this.kyberPreKeyStore.getKyberPreKey(id);
  saveKyberPreKey = (id: number, r: KyberPreKeyRecord, oneTime?: boolean) => this.kyberPreKeyStore.saveKyberPreKey(id, r, oneTime);
  markKyberPreKeyUsed = (id: number, signedPreKeyId: number, baseKey: PublicKey) => this.kyberPreKeyStore.markKyberPreKeyUsed(id, signedPreKeyId, baseKey);

  /**
   * Everything this store holds, as bytes (the format is in docs/RECORDS.md): identity key
   * pair and registration id, known identities with their trust, sessions, prekeys and the
   * base keys already used with last-resort Kyber prekeys. Private keys are in it: keep it
   * where the device keeps its secrets.
   */
  exportState(): Uint8Array {
    const w = new ProtoWriter()
      .uint32(1, EXPORT_VERSION)
      .bytes(2, this.identityStore.identity.serialize())
      .uint32(3, this.identityStore.registrationId);
    const list = (no: number, entries: Uint8Array[]) => {
      const l = new ProtoWriter();
      for (const e of entries) l.bytes(1, e);
      w.bytes(no, l.finish());
    };
    list(
      4,
      [...this.identityStore.identities].map(([addr, e]) =>
        new ProtoWriter().string(1, addr).bytes(2, e.key.serializedView()).uint32(3, TRUST.indexOf(e.trust)).finish(),
      ),
    );
    list(5, [...this.sessionStore.sessions].map(([addr, r]) => new ProtoWriter().string(1, addr).bytes(2, r.serialize()).finish()));
    list(6, [...this.preKeyStore.keys.values()].map((r) => r.serialize()));
    list(7, [...this.signedPreKeyStore.keys.values()].map((r) => r.serialize()));
    list(
      8,
      [...this.kyberPreKeyStore.keys.values()].map((k) => new ProtoWriter().bytes(1, k.record.serialize()).bool(2, k.oneTime || undefined).finish()),
    );
    const seen: Uint8Array[] = [];
    for (const [slot, keys] of this.kyberPreKeyStore.baseKeysSeen) {
      const [kyberId, signedId] = slot.split(':').map(Number) as [number, number];
      for (const k of keys) seen.push(new ProtoWriter().uint32(1, kyberId).uint32(2, signedId).bytes(3, fromHex(k)).finish());
    }
    list(9, seen);
    return w.finish();
  }

  /** A store holding what `exportState` wrote. Throws InvalidState for anything else. */
  static importState(bytes: Uint8Array): InMemoryProtocolStore {
    if (!(bytes instanceof Uint8Array)) throw new InvalidState('protocol store export: expected bytes');
    try {
      return parseProto(bytes, importFrom, (r) => new InvalidState(`protocol store export: ${r}`));
    } catch (e) {
      // The records inside report their own kinds of error; all of them mean a corrupt export here.
      if (e instanceof InvalidState || !(e instanceof ProtocolError)) throw e;
      throw new InvalidState(`protocol store export: ${e.message}`);
    }
  }
}

const EXPORT_VERSION = 1;
const TRUST: readonly TrustLevel[] = ['trusted', 'changed', 'verified'];
/** Entries per list in an export: far above any device's, and a bound on the work a corrupt export causes. */
const MAX_EXPORT_ENTRIES = 1_000_000;

function importFrom(m: ProtoMessage): InMemoryProtocolStore {
  if (m.uint32(1) !== EXPORT_VERSION) throw new InvalidState(`protocol store export: unknown version ${m.uint32(1) ?? 'missing'}`);
  const idBytes = m.bytes(2);
  if (!idBytes) throw new InvalidState('protocol store export: identity key pair missing');
  let identity: IdentityKeyPair;
  try {
    identity = IdentityKeyPair.deserialize(idBytes);
  } catch (e) {
    if (e instanceof ProtocolError) throw new InvalidState(`protocol store export: identity key pair: ${e.message}`);
    throw e;
  }
  const store = new InMemoryProtocolStore(identity, m.uint32(3) ?? 0);
  const entries = (no: number): ProtoMessage[] => m.message(no, MAX_EXPORT_ENTRIES)?.repeatedMessages(1) ?? [];
  const raw = (no: number): Uint8Array[] => m.message(no, MAX_EXPORT_ENTRIES)?.repeatedBytes(1) ?? [];
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new InvalidState(`protocol store export: ${what} missing`);
    return v;
  };
  for (const e of entries(4)) {
    const trust = TRUST[e.uint32(3) ?? 0];
    if (!trust) throw new InvalidState('protocol store export: unknown trust level');
    store.identityStore.identities.set(need(e.string(1), 'identity address'), { key: PublicKeyClass.deserialize(need(e.bytes(2), 'identity key')), trust });
  }
  for (const e of entries(5)) store.sessionStore.sessions.set(need(e.string(1), 'session address'), SessionRecord.deserialize(need(e.bytes(2), 'session record')));
  for (const b of raw(6)) {
    const r = PreKeyRecord.deserialize(b);
    store.preKeyStore.keys.set(r.id, r);
  }
  for (const b of raw(7)) {
    const r = SignedPreKeyRecord.deserialize(b);
    store.signedPreKeyStore.keys.set(r.id, r);
  }
  for (const e of entries(8)) {
    const r = KyberPreKeyRecord.deserialize(need(e.bytes(1), 'Kyber prekey record'));
    store.kyberPreKeyStore.keys.set(r.id, { record: r, oneTime: e.bool(2) ?? false });
  }
  for (const e of entries(9)) {
    const slot = `${e.uint32(1) ?? 0}:${e.uint32(2) ?? 0}`;
    const key = PublicKeyClass.deserialize(need(e.bytes(3), 'used base key'));
    let set = store.kyberPreKeyStore.baseKeysSeen.get(slot);
    if (!set) store.kyberPreKeyStore.baseKeysSeen.set(slot, (set = new Set()));
    set.add(toHex(key.serializedView()));
  }
  return store;
}
