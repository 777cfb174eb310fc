/**
 * `npm run bench:protocol`: Parley's protocol and libsignal-client 0.90 and 0.103 side by
 * side in one process, same workloads, same in-memory store style (records kept
 * as objects). Prints one line per row:
 *   <row>: parley <n>/s, libsignal <m>/s, ratio <r>
 * Each row runs for a fixed time per implementation, in alternating slices, after warm-up.
 * `BENCH_ROWS=<substring>` runs only the rows whose name contains it (e.g. `BENCH_ROWS="sealed sender v2"`).
 */
import * as SC from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../src/address.ts';
import { PublicKey } from '../src/curve.ts';
import { KemPublicKey } from '../src/kem.ts';
import * as P from '../src/index.ts';
import { ParleyDevice } from '../src/test-support/parley-device.ts';
import { ab, LIB_0103, LibsignalPeer } from '../src/test-support/libsignal-peer.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
/** Alternating slices per row and implementation. */
const ROUNDS = 8;
const payload = new Uint8Array(100).fill(0x61);

/** Operations and time spent so far by one implementation on one row. */
interface Tally {
  n: number;
  ms: number;
}

async function runFor(fn: () => Promise<void>, ms: number, t: Tally): Promise<void> {
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    await fn();
    t.n++;
  }
  t.ms += performance.now() - start;
}

/**
 * Both implementations in alternating slices (ROUNDS of each), so a change in the
 * machine's load during the row falls on both alike; returns ops/s for each.
 */
async function compare(parleyFn: () => Promise<void>, libsignalFn: () => Promise<void>): Promise<[number, number]> {
  for (let i = 0; i < 20; i++) {
    await parleyFn(); // warm-up
    await libsignalFn();
  }
  const p: Tally = { n: 0, ms: 0 };
  const l: Tally = { n: 0, ms: 0 };
  const slice = (SECONDS * 1000) / ROUNDS;
  for (let r = 0; r < ROUNDS; r++) {
    await runFor(parleyFn, slice, p);
    await runFor(libsignalFn, slice, l);
  }
  const rates: [number, number] = [p.n / (p.ms / 1000), l.n / (l.ms / 1000)];
  process.stderr.write(`  parley: ${rates[0].toFixed(0)}/s\n  libsignal: ${rates[1].toFixed(0)}/s\n`);
  return rates;
}

// ---- Parley workloads ----------------------------------------------------

async function parleyPair() {
  const a = new ParleyDevice('a');
  const b = new ParleyDevice('b');
  await P.processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
  const first = await P.signalEncrypt(payload, b.address, a.store, a.store);
  await P.signalDecryptPreKey(P.PreKeySignalMessage.deserialize(first.serialize()), a.address, b.store, b.store, b.store, b.store, b.store);
  const reply = await P.signalEncrypt(payload, a.address, b.store, b.store);
  await P.signalDecrypt(P.SignalMessage.deserialize(reply.serialize()), b.address, a.store, a.store);
  return { a, b };
}

/** A bundle as it arrives from the server: bytes, parsed by the client on every fetch. */
interface BundleBytes {
  registrationId: number;
  deviceId: number;
  preKeyId?: number | undefined;
  preKey?: Uint8Array | undefined;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  signedPreKeySignature: Uint8Array;
  kyberPreKeyId: number;
  kyberPreKey: Uint8Array;
  kyberPreKeySignature: Uint8Array;
  identityKey: Uint8Array;
}

function parleyBundleFromBytes(b: BundleBytes): P.PreKeyBundle {
  return {
    registrationId: b.registrationId,
    deviceId: b.deviceId,
    preKeyId: b.preKeyId,
    preKey: b.preKey ? PublicKey.deserialize(b.preKey) : undefined,
    signedPreKeyId: b.signedPreKeyId,
    signedPreKey: PublicKey.deserialize(b.signedPreKey),
    signedPreKeySignature: b.signedPreKeySignature,
    kyberPreKeyId: b.kyberPreKeyId,
    kyberPreKey: KemPublicKey.deserialize(b.kyberPreKey),
    kyberPreKeySignature: b.kyberPreKeySignature,
    identityKey: PublicKey.deserialize(b.identityKey),
  };
}

async function parleySetupRow(): Promise<() => Promise<void>> {
  const b = new ParleyDevice('b');
  const bundles: BundleBytes[] = [];
  for (let i = 0; i < 50; i++) {
    const x = await b.bundle();
    bundles.push({
      ...x,
      preKey: x.preKey?.serialize(),
      signedPreKey: x.signedPreKey.serialize(),
      kyberPreKey: x.kyberPreKey.serialize(),
      identityKey: x.identityKey.serialize(),
    });
  }
  let i = 0;
  return async () => {
    const a = new ParleyDevice(`a${i}`);
    // Parsed fresh each time, as a client parses a fetched bundle: no key-object caches carry over.
    const bundle = parleyBundleFromBytes(bundles[i++ % bundles.length]!);
    await P.processPreKeyBundle(bundle, b.address, a.store, a.store);
    const m = await P.signalEncrypt(payload, b.address, a.store, a.store);
    // Re-insert the consumed one-time prekey so the bundle can be reused.
    const opk = bundle.preKeyId != null ? await b.store.getPreKey(bundle.preKeyId) : undefined;
    const kyber = await b.store.getKyberPreKey(bundle.kyberPreKeyId);
    await P.signalDecryptPreKey(P.PreKeySignalMessage.deserialize(m.serialize()), a.address, b.store, b.store, b.store, b.store, b.store);
    if (opk) await b.store.savePreKey(opk.id, opk);
    await b.store.saveKyberPreKey(kyber.id, kyber, true);
  };
}

async function parleyPingPongRow(): Promise<() => Promise<void>> {
  const { a, b } = await parleyPair();
  let turn = 0;
  return async () => {
    const [from, to] = turn++ % 2 === 0 ? [a, b] : [b, a];
    const m = await P.signalEncrypt(payload, to.address, from.store, from.store);
    await P.signalDecrypt(P.SignalMessage.deserialize(m.serialize()), from.address, to.store, to.store);
  };
}

async function parleyBurstRow(): Promise<() => Promise<void>> {
  const { a, b } = await parleyPair();
  return async () => {
    const m = await P.signalEncrypt(payload, b.address, a.store, a.store);
    await P.signalDecrypt(P.SignalMessage.deserialize(m.serialize()), a.address, b.store, b.store);
  };
}

// ---- libsignal workloads -------------------------------------------------

type Lib = typeof SC;

/** libsignal stores kept as record objects (no serialization), like Parley's in-memory stores. */
function fastSessionsClass(lib: Lib) {
  return class FastSessions extends lib.SessionStore {
    m = new Map<string, SC.SessionRecord>();
    async saveSession(a: SC.ProtocolAddress, r: SC.SessionRecord) {
      this.m.set(a.toString(), r);
    }
    async getSession(a: SC.ProtocolAddress) {
      return this.m.get(a.toString()) ?? null;
    }
    async getExistingSessions(as: SC.ProtocolAddress[]) {
      return as.map((a) => this.m.get(a.toString())).filter((x): x is SC.SessionRecord => !!x);
    }
  };
}
const fastSessions = new Map<Lib, ReturnType<typeof fastSessionsClass>>();

function fastPeer(name: string, lib: Lib = SC): LibsignalPeer {
  const p = new LibsignalPeer(name, 1, undefined, lib);
  let C = fastSessions.get(lib);
  if (!C) fastSessions.set(lib, (C = fastSessionsClass(lib)));
  (p as unknown as { sessions: unknown }).sessions = new C();
  return p;
}

function scBundle(p: LibsignalPeer): SC.PreKeyBundle {
  return p.bundle();
}

async function libsignalPair(lib: Lib = SC) {
  const a = fastPeer('a', lib);
  const b = fastPeer('b', lib);
  await a.processBundle(scBundle(b), b.address);
  await b.decrypt(a.address, await a.encrypt(payload, b.address));
  await a.decrypt(b.address, await b.encrypt(payload, a.address));
  return { a, b };
}

function scBundleFromBytes(b: BundleBytes, lib: Lib): SC.PreKeyBundle {
  return lib.PreKeyBundle.new(
    b.registrationId,
    b.deviceId,
    b.preKeyId ?? null,
    b.preKey ? lib.PublicKey.deserialize(ab(b.preKey)) : null,
    b.signedPreKeyId,
    lib.PublicKey.deserialize(ab(b.signedPreKey)),
    ab(b.signedPreKeySignature),
    lib.PublicKey.deserialize(ab(b.identityKey)),
    b.kyberPreKeyId,
    lib.KEMPublicKey.deserialize(ab(b.kyberPreKey)),
    ab(b.kyberPreKeySignature),
  );
}

async function libsignalSetupRow(lib: Lib = SC): Promise<() => Promise<void>> {
  const b = fastPeer('b', lib);
  const bundles: BundleBytes[] = [];
  for (let i = 0; i < 50; i++) {
    const x = b.bundleParts();
    bundles.push({
      ...x,
      preKey: x.preKey?.serialize(),
      signedPreKey: x.signedPreKey.serialize(),
      signedPreKeySignature: x.signedPreKeySignature,
      kyberPreKey: x.kyberPreKey.serialize(),
      identityKey: x.identityKey.serialize(),
    });
  }
  let i = 0;
  return async () => {
    const a = fastPeer(`a${i}`, lib);
    const bundle = scBundleFromBytes(bundles[i++ % bundles.length]!, lib);
    await a.processBundle(bundle, b.address);
    const m = await a.encrypt(payload, b.address);
    const id = bundle.preKeyId();
    const opk = id !== null ? b.preKeys.m.get(id) : undefined;
    await b.decrypt(a.address, m);
    if (opk && id !== null) b.preKeys.m.set(id, opk);
  };
}

async function libsignalPingPongRow(lib: Lib = SC): Promise<() => Promise<void>> {
  const { a, b } = await libsignalPair(lib);
  let turn = 0;
  return async () => {
    const [from, to] = turn++ % 2 === 0 ? [a, b] : [b, a];
    const m = await from.encrypt(payload, to.address);
    await to.decrypt(from.address, m);
  };
}

async function libsignalBurstRow(lib: Lib = SC): Promise<() => Promise<void>> {
  const { a, b } = await libsignalPair(lib);
  return async () => {
    await b.decrypt(a.address, await a.encrypt(payload, b.address));
  };
}

// ---- group rows (sender keys), enabled when the protocol exports them ----

type GroupApi = {
  createSenderKeyDistributionMessage: (...a: unknown[]) => Promise<{ serialize(): Uint8Array }>;
  processSenderKeyDistributionMessage: (...a: unknown[]) => Promise<void>;
  groupEncrypt: (...a: unknown[]) => Promise<{ serialize(): Uint8Array }>;
  groupDecrypt: (...a: unknown[]) => Promise<Uint8Array>;
  SenderKeyDistributionMessage: { deserialize(b: Uint8Array): unknown };
  InMemorySenderKeyStore: new () => unknown;
};

async function parleyGroupRow(api: GroupApi): Promise<() => Promise<void>> {
  const sender = new ProtocolAddress('s', 1);
  const distributionId = '0b1c6a0e-6f7e-4b59-9a33-0a8b2f9d4c11';
  const sStore = new api.InMemorySenderKeyStore();
  const rStore = new api.InMemorySenderKeyStore();
  const skdm = await api.createSenderKeyDistributionMessage(sender, distributionId, sStore);
  await api.processSenderKeyDistributionMessage(sender, api.SenderKeyDistributionMessage.deserialize(skdm.serialize()), rStore);
  return async () => {
    const m = await api.groupEncrypt(sender, distributionId, sStore, payload);
    await api.groupDecrypt(sender, rStore, m.serialize());
  };
}

class FastSenderKeys extends SC.SenderKeyStore {
  m = new Map<string, SC.SenderKeyRecord>();
  async saveSenderKey(s: SC.ProtocolAddress, d: string, r: SC.SenderKeyRecord) {
    this.m.set(`${s.toString()}:${d}`, r);
  }
  async getSenderKey(s: SC.ProtocolAddress, d: string) {
    return this.m.get(`${s.toString()}:${d}`) ?? null;
  }
}

async function libsignalGroupRow(): Promise<() => Promise<void>> {
  const sender = SC.ProtocolAddress.new('s', 1);
  const distributionId = '0b1c6a0e-6f7e-4b59-9a33-0a8b2f9d4c11';
  const sStore = new FastSenderKeys();
  const rStore = new FastSenderKeys();
  const skdm = await SC.SenderKeyDistributionMessage.create(sender, distributionId, sStore);
  await SC.processSenderKeyDistributionMessage(sender, SC.SenderKeyDistributionMessage.deserialize(skdm.serialize()), rStore);
  return async () => {
    const m = await SC.groupEncrypt(sender, distributionId, sStore, ab(payload));
    await SC.groupDecrypt(sender, rStore, m.serialize());
  };
}

// ---- sealed sender v2 (multi-recipient) rows, against libsignal 0.103 ----

const SSV2_SENDER = '3f0c9a55-2b1e-4c7d-8e9f-a0b1c2d3e4f5';
/** `devices` recipient devices, two per account (as a group of people with a phone and a desktop). */
function ssv2Accounts(devices: number) {
  return Array.from({ length: devices / 2 }, (_, i) => `${String(i).padStart(8, '0')}-1111-4222-8333-444455556666`);
}

/** The same content bytes for both sides: a real sender-key message in a libsignal USMC. */
async function ssv2Content() {
  const lib = LIB_0103;
  const sender = fastPeer(SSV2_SENDER, lib);
  const keys = new (class extends lib.SenderKeyStore {
    m = new Map<string, SC.SenderKeyRecord>();
    async saveSenderKey(_s: SC.ProtocolAddress, d: string, r: SC.SenderKeyRecord) {
      this.m.set(d, r);
    }
    async getSenderKey(_s: SC.ProtocolAddress, d: string) {
      return this.m.get(d) ?? null;
    }
  })();
  const dist = '0b1c6a0e-6f7e-4b59-9a33-0a8b2f9d4c11';
  await lib.SenderKeyDistributionMessage.create(sender.address, dist, keys);
  const inner = await lib.groupEncrypt(sender.address, dist, keys, ab(payload));
  const root = lib.PrivateKey.generate();
  const server = lib.PrivateKey.generate();
  const cert = lib.SenderCertificate.new(SSV2_SENDER, null, 1, sender.identityKey.getPublicKey(), Date.now() + 86_400_000, lib.ServerCertificate.new(1, server.getPublicKey(), root), server);
  const usmc = lib.UnidentifiedSenderMessageContent.new(inner, cert, 2, ab(new Uint8Array(16).fill(7)));
  return { sender, usmc, parleyUsmc: P.UnidentifiedSenderMessageContent.deserialize(usmc.serialize()) };
}

async function parleySsv2Sender(devices: number) {
  const { parleyUsmc } = await ssv2Content();
  const sender = new ParleyDevice(SSV2_SENDER);
  const recipients: ProtocolAddress[] = [];
  for (const account of ssv2Accounts(devices)) {
    const keyPair = P.IdentityKeyPair.generate();
    for (const deviceId of [1, 2]) {
      const d = new ParleyDevice(account, deviceId, { keyPair, registrationId: 1000 + deviceId });
      await P.processPreKeyBundle(await d.bundle(), d.address, sender.store, sender.store);
      recipients.push(d.address);
    }
  }
  const encrypt = () => P.sealedSenderMultiRecipientEncrypt({ content: parleyUsmc, recipients, identityStore: sender.store, sessionStore: sender.store });
  return { encrypt, sent: await encrypt() };
}

async function libsignalSsv2Sender(devices: number) {
  const lib = LIB_0103;
  const { sender, usmc } = await ssv2Content();
  const recipients: SC.ProtocolAddress[] = [];
  for (const account of ssv2Accounts(devices)) {
    const privateKey = lib.PrivateKey.generate();
    for (const deviceId of [1, 2]) {
      const peer = new LibsignalPeer(account, deviceId, { privateKey, registrationId: 1000 + deviceId }, lib);
      await sender.processBundle(scBundle(peer), peer.address);
      recipients.push(peer.address);
    }
  }
  const encrypt = () => lib.sealedSenderMultiRecipientEncrypt({ content: usmc, recipients, identityStore: sender.identities, sessionStore: sender.sessions });
  return { encrypt, sent: await encrypt() };
}

async function ssv2EncryptRows(devices: number): Promise<[() => Promise<() => Promise<void>>, () => Promise<() => Promise<void>>]> {
  return [
    async () => {
      const { encrypt } = await parleySsv2Sender(devices);
      return async () => void (await encrypt());
    },
    async () => {
      const { encrypt } = await libsignalSsv2Sender(devices);
      return async () => void (await encrypt());
    },
  ];
}

/** The server's work: parse the sent message and build every recipient's part. */
async function ssv2SplitRows(devices: number): Promise<[() => Promise<() => Promise<void>>, () => Promise<() => Promise<void>>]> {
  const { sent } = await libsignalSsv2Sender(devices);
  const bytes = new Uint8Array(sent);
  const Split = (await import('@signalapp/libsignal-client-0103/dist/SealedSenderMultiRecipientMessage.js')).default;
  return [
    async () => async () => {
      const m = P.SealedSenderMultiRecipientMessage.parse(bytes);
      for (const id of m.recipients().keys()) m.messageForRecipient(id);
    },
    async () => async () => {
      const m = new Split(sent);
      for (const r of Object.values(m.recipientsByServiceIdString())) m.messageForRecipient(r);
    },
  ];
}

/** A recipient device opening its part (to the USMC, certificate not yet checked). */
async function ssv2OpenRows(): Promise<[() => Promise<() => Promise<void>>, () => Promise<() => Promise<void>>]> {
  const lib = LIB_0103;
  const { sender, usmc } = await ssv2Content();
  const peer = new LibsignalPeer(ssv2Accounts(2)[0]!, 1, undefined, lib);
  await sender.processBundle(scBundle(peer), peer.address);
  const sent = await lib.sealedSenderMultiRecipientEncrypt({ content: usmc, recipients: [peer.address], identityStore: sender.identities, sessionStore: sender.sessions });
  const mine = lib.sealedSenderMultiRecipientMessageForSingleRecipient(sent);
  const ours = new P.IdentityKeyPair(P.PublicKey.deserialize(peer.identityKey.getPublicKey().serialize()), P.PrivateKey.deserialize(peer.identityKey.serialize()));
  const parleyBytes = new Uint8Array(mine);
  return [async () => async () => void P.sealedSenderDecryptToUsmc(parleyBytes, ours), async () => async () => void (await lib.sealedSenderDecryptToUsmc(mine, peer.identities))];
}

async function main() {
  console.log(`bench:protocol  (${SECONDS}s per implementation per row; 100-byte payloads; Node ${process.version})`);
  // Sanity: both sides really interoperate on the keys used here.
  PublicKey.deserialize(SC.PrivateKey.generate().getPublicKey().serialize());
  KemPublicKey.deserialize(SC.KEMKeyPair.generate().getPublicKey().serialize());

  // Parley's sessions run SPQR V1 by default; libsignal 0.90 negotiates V1 with itself too,
  // so every 1:1 row is the triple ratchet. The "vs 0.103" rows compare against the
  // libsignal that requires SPQR (spqr 1.5.3), in the same run.
  const rows: Array<[string, () => Promise<() => Promise<void>>, () => Promise<() => Promise<void>>]> = [
    ['PQXDH session setups/s', parleySetupRow, () => libsignalSetupRow()],
    ['1:1 messages/s ping-pong', parleyPingPongRow, () => libsignalPingPongRow()],
    ['1:1 messages/s one-way burst', parleyBurstRow, () => libsignalBurstRow()],
    ['SPQR: PQXDH session setups/s vs 0.103', parleySetupRow, () => libsignalSetupRow(LIB_0103)],
    ['SPQR: 1:1 messages/s ping-pong vs 0.103', parleyPingPongRow, () => libsignalPingPongRow(LIB_0103)],
    ['SPQR: 1:1 messages/s one-way burst vs 0.103', parleyBurstRow, () => libsignalBurstRow(LIB_0103)],
  ];
  const api = P as unknown as Partial<GroupApi>;
  if (api.groupEncrypt && api.groupDecrypt && api.InMemorySenderKeyStore) {
    rows.push(['sender-key group messages/s', () => parleyGroupRow(api as GroupApi), libsignalGroupRow]);
  } else {
    console.log('sender-key group messages/s: skipped (sender keys not exported by @parley/protocol yet)');
  }
  /** A row whose two sides share one (lazy) set-up. */
  const paired = (name: string, setup: () => Promise<[() => Promise<() => Promise<void>>, () => Promise<() => Promise<void>>]>) => {
    let made: ReturnType<typeof setup> | undefined;
    const get = () => (made ??= setup());
    rows.push([name, async () => (await get())[0](), async () => (await get())[1]()]);
  };
  for (const devices of [10, 100]) paired(`sealed sender v2: multi-recipient encrypts/s, ${devices} devices, vs 0.103`, () => ssv2EncryptRows(devices));
  paired('sealed sender v2: server splits/s, 100 devices, vs 0.103', () => ssv2SplitRows(100));
  paired('sealed sender v2: recipient opens/s (to USMC), vs 0.103', ssv2OpenRows);
  const only = process.env.BENCH_ROWS;
  const lines: string[] = [];
  for (const [row, makeParley, makeLibsignal] of rows.filter(([name]) => !only || name.includes(only))) {
    process.stderr.write(`${row}\n`);
    const [parley, libsignal] = await compare(await makeParley(), await makeLibsignal());
    const line = `${row}: parley ${parley.toFixed(0)}/s, libsignal ${libsignal.toFixed(0)}/s, ratio ${(parley / libsignal).toFixed(2)}`;
    console.log(line);
    lines.push(line);
  }
}

await main();
