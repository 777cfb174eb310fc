/**
 * Protocol state kept beside a stateful target's corpus (`state.json`): the
 * receiving device's identity, sessions, prekeys and sender keys, serialized,
 * so that the stored messages decrypt against it on every run. `restore` builds
 * fresh in-memory stores from it for each input; `snapshot` serializes every
 * record the stores hold (objects included, so an in-place change to a loaded
 * record shows), for the "a rejected input changed nothing" check.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  IdentityKeyPair,
  InMemoryProtocolStore,
  InMemorySenderKeyStore,
  KyberPreKeyRecord,
  PreKeyRecord,
  ProtocolAddress,
  PublicKey,
  SenderKeyRecord,
  SessionRecord,
  SignedPreKeyRecord,
} from '@parley/protocol';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

export interface SavedState {
  identity: string;
  registrationId: number;
  /** Extra values a target needs (keys, identifiers, a link code), as hex or plain strings. */
  extra: Record<string, string>;
  identities: Array<{ address: string; key: string }>;
  sessions: Array<{ address: string; record: string }>;
  preKeys: Array<{ id: number; record: string }>;
  signedPreKeys: Array<{ id: number; record: string }>;
  kyberPreKeys: Array<{ id: number; record: string; oneTime: boolean }>;
  senderKeys: Array<{ address: string; distributionId: string; record: string }>;
}

export function address(s: string): ProtocolAddress {
  const i = s.lastIndexOf('.');
  return new ProtocolAddress(s.slice(0, i), Number(s.slice(i + 1)));
}

export function readState(file: string): SavedState {
  return JSON.parse(readFileSync(file, 'utf8')) as SavedState;
}

export function writeState(file: string, s: SavedState): void {
  writeFileSync(file, `${JSON.stringify(s, null, 1)}\n`);
}

export interface Restored {
  readonly store: InMemoryProtocolStore;
  readonly senderKeys: InMemorySenderKeyStore;
}

export async function restore(s: SavedState, parsed: ParsedState): Promise<Restored> {
  const store = new InMemoryProtocolStore(parsed.identity, s.registrationId);
  for (const i of parsed.identities) await store.saveIdentity(i.address, i.key);
  for (const x of s.sessions) await store.storeSession(address(x.address), SessionRecord.deserialize(bytes(x.record)));
  for (const x of parsed.preKeys) await store.savePreKey(x.id, x.record);
  for (const x of parsed.signedPreKeys) await store.saveSignedPreKey(x.id, x.record);
  for (const x of parsed.kyberPreKeys) await store.saveKyberPreKey(x.id, x.record, x.oneTime);
  const senderKeys = new InMemorySenderKeyStore();
  for (const x of s.senderKeys) await senderKeys.storeSenderKey(address(x.address), x.distributionId, SenderKeyRecord.deserialize(bytes(x.record)));
  return { store, senderKeys };
}

/**
 * The parts of a state that are immutable once loaded (keys, prekey records), parsed
 * once per run: the KEM keys take a while to load. Sessions and sender keys are
 * mutable and parsed again for every input.
 */
export interface ParsedState {
  readonly identity: IdentityKeyPair;
  readonly identities: Array<{ address: ProtocolAddress; key: PublicKey }>;
  readonly preKeys: Array<{ id: number; record: PreKeyRecord }>;
  readonly signedPreKeys: Array<{ id: number; record: SignedPreKeyRecord }>;
  readonly kyberPreKeys: Array<{ id: number; record: KyberPreKeyRecord; oneTime: boolean }>;
}

export function parseState(s: SavedState): ParsedState {
  return {
    identity: IdentityKeyPair.deserialize(bytes(s.identity)),
    identities: s.identities.map((x) => ({ address: address(x.address), key: PublicKey.deserialize(bytes(x.key)) })),
    preKeys: s.preKeys.map((x) => ({ id: x.id, record: PreKeyRecord.deserialize(bytes(x.record)) })),
    signedPreKeys: s.signedPreKeys.map((x) => ({ id: x.id, record: SignedPreKeyRecord.deserialize(bytes(x.record)) })),
    kyberPreKeys: s.kyberPreKeys.map((x) => ({ id: x.id, record: KyberPreKeyRecord.deserialize(bytes(x.record)), oneTime: x.oneTime })),
  };
}

/** Reads the private maps of the reference stores (this is a test harness; the stores have no enumeration API). */
function privateMap<V>(o: object, field: string): Map<string | number, V> {
  return (o as Record<string, Map<string | number, V>>)[field]!;
}

/** Every record the stores hold, serialized: equal snapshots mean equal state. */
export function snapshot(r: Restored): string {
  const { store } = r;
  const parts: string[] = [];
  for (const [k, v] of privateMap<{ key: PublicKey; trust: string }>(store.identityStore, 'identities')) parts.push(`identity ${k} ${hex(v.key.serialize())} ${v.trust}`);
  for (const [k, v] of privateMap<SessionRecord>(store.sessionStore, 'sessions')) parts.push(`session ${k} ${hex(v.serialize())}`);
  for (const [k, v] of privateMap<PreKeyRecord>(store.preKeyStore, 'keys')) parts.push(`prekey ${k} ${hex(v.serialize())}`);
  for (const [k, v] of privateMap<SignedPreKeyRecord>(store.signedPreKeyStore, 'keys')) parts.push(`signed ${k} ${hex(v.serialize())}`);
  for (const [k, v] of privateMap<{ record: KyberPreKeyRecord; oneTime: boolean }>(store.kyberPreKeyStore, 'keys')) parts.push(`kyber ${k} ${v.oneTime} ${v.record.id}`);
  for (const [k, v] of privateMap<Set<string>>(store.kyberPreKeyStore, 'baseKeysSeen')) parts.push(`seen ${k} ${[...v].sort().join(',')}`);
  for (const [k, v] of privateMap<SenderKeyRecord>(r.senderKeys, 'records')) parts.push(`senderkey ${k} ${hex(v.serialize())}`);
  return parts.sort().join('\n');
}

/** A state in the saved form, from live stores (used by the corpus script). */
export async function saveStores(
  identity: IdentityKeyPair,
  registrationId: number,
  parts: {
    identities?: Array<{ address: ProtocolAddress; key: PublicKey }>;
    sessions?: Array<{ address: ProtocolAddress; record: SessionRecord }>;
    preKeys?: PreKeyRecord[];
    signedPreKeys?: SignedPreKeyRecord[];
    kyberPreKeys?: Array<{ record: KyberPreKeyRecord; oneTime: boolean }>;
    senderKeys?: Array<{ address: ProtocolAddress; distributionId: string; record: SenderKeyRecord }>;
    extra?: Record<string, string>;
  },
): Promise<SavedState> {
  return {
    identity: hex(identity.serialize()),
    registrationId,
    extra: parts.extra ?? {},
    identities: (parts.identities ?? []).map((x) => ({ address: x.address.toString(), key: hex(x.key.serialize()) })),
    sessions: (parts.sessions ?? []).map((x) => ({ address: x.address.toString(), record: hex(x.record.serialize()) })),
    preKeys: (parts.preKeys ?? []).map((r) => ({ id: r.id, record: hex(r.serialize()) })),
    signedPreKeys: (parts.signedPreKeys ?? []).map((r) => ({ id: r.id, record: hex(r.serialize()) })),
    kyberPreKeys: (parts.kyberPreKeys ?? []).map((x) => ({ id: x.record.id, record: hex(x.record.serialize()), oneTime: x.oneTime })),
    senderKeys: (parts.senderKeys ?? []).map((x) => ({ address: x.address.toString(), distributionId: x.distributionId, record: hex(x.record.serialize()) })),
  };
}

export { bytes as fromHex, hex as toHex };
