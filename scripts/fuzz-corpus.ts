/**
 * Writes fuzz/corpus/: valid inputs for every fuzz target, made by the real
 * encoders, once (`npx tsx scripts/fuzz-corpus.ts`; the files are kept in the repo
 * so runs are reproducible and crash inputs stay meaningful).
 *
 * - Wire JSON: three people, a linked device, a group and a file on a real server
 *   in this process; every HTTP body and answer and every WebSocket frame the SDK
 *   sends or receives is recorded, then filed under each wire target whose decoder
 *   accepts it (the decoders refuse unknown fields, so the filing is exact).
 * - Protocol messages: the envelopes of that run, and one valid sample of every
 *   kind the protocol decodes (src/test-support/wire-kinds.ts).
 * - Stateful targets and sealed inputs: a receiving device's state (`state.json`)
 *   and messages made for it, built here with the protocol package.
 * - Content: encodeContent of every kind.
 * Replaces the corpus of every target it writes; leaves other files alone. With
 * target names as arguments it writes only those (`npx tsx scripts/fuzz-corpus.ts
 * protocol.spqr-state`), so a new target does not churn the others' random inputs.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createSenderKeyDistributionMessage,
  groupEncrypt,
  IdentityKeyPair,
  InMemorySenderKeyStore,
  KemKeyPair,
  PrivateKey,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  ProtocolAddress,
  SenderCertificate,
  SenderKeyDistributionMessage,
  sealedSenderEncrypt,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  sealedSenderMultiRecipientSeal,
  SealedSenderMultiRecipientMessage,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  signalDecryptPreKey,
  signalEncrypt,
  PreKeySignalMessage,
} from '@parley/protocol';
import { base64Decode, base64Encode } from '@parley/wire';
import { bytesSource, type Content } from '@parley/client';
import { encodeContent } from '../packages/client/src/content/codec.ts';
import { AttachmentEncryptor } from '../packages/client/src/attachments/cipher.ts';
import { encryptProvisioning, formatLinkCode, linkQrPayload } from '../packages/client/src/devices/provisioning.ts';
import { pad } from '../packages/client/src/internal/seal.ts';
import { encryptAvatar } from '../packages/client/src/profiles/cipher.ts';
import { ParleyDevice, seededRandom } from '../packages/protocol/src/test-support/parley-device.ts';
import { initialState, recv as spqrRecv, send as spqrSend } from '../packages/protocol/src/spqr/ratchet.ts';
import { decodeState } from '../packages/protocol/src/spqr/state-codec.ts';
import { buildKinds } from '../packages/protocol/src/test-support/wire-kinds.ts';
import { linkedDevice, registered, startServer, stopAll } from '../packages/client/test/harness.ts';
import { TARGETS } from '../fuzz/targets/index.ts';
import { UNIDENTIFIED_FUZZ_ACCESS_KEY } from '../fuzz/targets/server.ts';
import { CORPUS_DIR, judge } from '../fuzz/lib/target.ts';
import { saveStores, toHex, writeState, type SavedState } from '../fuzz/lib/state.ts';

const enc = new TextEncoder();
/** Inputs kept per target: enough variety to splice from, small enough to keep in git. */
const MAX_PER_TARGET = 12;

const corpus = new Map<string, Uint8Array[]>();
const states = new Map<string, SavedState>();

function add(target: string, b: Uint8Array): void {
  const list = corpus.get(target) ?? [];
  const h = toHex(b);
  if (list.length < MAX_PER_TARGET && !list.some((x) => toHex(x) === h)) list.push(b);
  corpus.set(target, list);
}

// ---------------------------------------------------------------------------
// A real run: every JSON text on the wire.

const jsonTexts: string[] = [];
const envelopes: Array<{ type: string; content: Uint8Array }> = [];
/** Sealed envelope frames of the run, filed first so the frame target's corpus always has some. */
const sealedFrames: string[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  if (typeof init?.body === 'string') jsonTexts.push(init.body);
  const res = await fetch(input, init);
  const text = await res.clone().text();
  if (text && (res.headers.get('content-type') ?? '').includes('json')) jsonTexts.push(text);
  const range = res.headers.get('content-range');
  if (range) add('client.content-range-header', enc.encode(range));
  return res;
};

function recordFrame(text: string): void {
  jsonTexts.push(text);
  try {
    const f = JSON.parse(text) as { type?: string; messageType?: string; content?: string; request?: unknown; serverTimestamp?: number };
    // Sends over the sockets carry the HTTP send bodies (sealed ones over the unidentified socket); `sent` answers what the HTTP send answers.
    if ((f.type === 'send' || f.type === 'group-send' || f.type === 'sealed-send') && f.request) jsonTexts.push(JSON.stringify(f.request));
    if (f.type === 'sent') jsonTexts.push(JSON.stringify({ serverTimestamp: f.serverTimestamp }));
    if (f.type === 'envelope' && f.content && f.messageType) {
      envelopes.push({ type: f.messageType, content: base64Decode(f.content) });
      if (f.messageType === 'sealed') sealedFrames.push(text);
      if (f.messageType === 'group-update') jsonTexts.push(new TextDecoder().decode(base64Decode(f.content)));
    }
  } catch {
    // not JSON: nothing to record
  }
}

async function realRun(): Promise<void> {
  const server = await startServer();
  const factory = recordingSocketSync;
  const opts = { fetch: recordingFetch };
  const alice = await registered(server, 'alice', undefined, factory, opts);
  const bob = await registered(server, 'bob', undefined, factory, opts);
  const carol = await registered(server, 'carol', undefined, factory, opts);
  await alice.client.sendText('bob', 'hi Bob');
  await bob.receives('hi Bob');
  await bob.client.acceptRequest('alice');
  await bob.client.sendText('alice', 'hi Alice');
  await alice.receives('hi Alice');
  await bob.client.sendTyping('alice', true);
  await alice.client.markRead('bob').catch(() => undefined);
  const g = await alice.client.groups.create('Climbing', ['bob', 'carol']);
  await alice.client.groups.send(g.groupId, 'Saturday?');
  await bob.receives('Saturday?');
  await alice.client.groups.rename(g.groupId, 'Climbing club');
  await alice.client.groups.setAdmin(g.groupId, 'bob', true);
  await alice.client.groups.remove(g.groupId, ['carol']);
  await alice.client.groups.add(g.groupId, ['carol']);
  await carol.client.groups.leave(g.groupId).catch(() => undefined);
  await alice.client.attachments.send('bob', bytesSource(enc.encode('a small file for the corpus '.repeat(40))), { fileName: 'notes.txt', contentType: 'text/plain' });
  await sleep(500);
  const laptop = await linkedDevice(server, alice, 'alice-laptop', undefined, factory, opts);
  await laptop.client.devices.list().catch(() => undefined);
  await laptop.client.devices.sessions().catch(() => undefined);
  await laptop.client.devices.rotateCredentials().catch(() => undefined);
  await alice.client.lookup('carol');
  await alice.client.setProfile({ name: 'Alice Smith', avatar: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]) });
  await bob.waitFor((e) => e.type === 'profile-changed' && e.username === 'alice' && bob.store.contacts.byUsername('alice')?.profileName === 'Alice Smith', "alice's profile");
  await bob.client.profileOf('alice').catch(() => undefined);
  await alice.client.startCall('bob', 'audio').catch(() => undefined);
  await sleep(500);
  await stopAll();
}

/** A synchronous recording socket over `ws` (imported at the top of main). */
let WsClass: typeof import('ws').default;
function recordingSocketSync(url: string) {
  const ws = new WsClass(url, { maxPayload: 4 * 1024 * 1024 });
  const send = ws.send.bind(ws);
  const wrapper = {
    get readyState() {
      return ws.readyState;
    },
    send(data: string) {
      recordFrame(data);
      send(data);
    },
    close: (code?: number, reason?: string) => ws.close(code, reason),
    onopen: null as ((ev: unknown) => void) | null,
    onmessage: null as ((ev: { data: unknown }) => void) | null,
    onclose: null as ((ev: { code: number; reason: string }) => void) | null,
    onerror: null as ((ev: unknown) => void) | null,
  };
  ws.on('open', () => wrapper.onopen?.({}));
  ws.on('message', (d) => {
    const text = String(d);
    recordFrame(text);
    wrapper.onmessage?.({ data: text });
  });
  ws.on('close', (code, reason) => wrapper.onclose?.({ code, reason: String(reason) }));
  ws.on('error', (e) => wrapper.onerror?.(e));
  return wrapper;
}

// ---------------------------------------------------------------------------
// Content, built with the real encoder.

function contents(): void {
  const id = () => crypto.randomUUID();
  const ts = 1_760_000_000_000;
  const gid = '0123456789abcdef0123456789abcdef';
  const acct = '9d0652a3-dcc3-4d11-975f-74d61598733f';
  const pointer = {
    id: 'AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    key: new Uint8Array(64).fill(7),
    digest: new Uint8Array(32).fill(9),
    size: 1234,
    contentType: 'image/jpeg',
    fileName: 'photo.jpg',
    width: 640,
    height: 480,
    thumbnail: new Uint8Array(40).fill(3),
  };
  const c = (kind: string, x: Content) => add(`client.content-${kind}`, encodeContent(x));
  c('text', { v: 1, id: id(), ts, kind: 'text', text: 'hello there' });
  c('text', { v: 1, id: id(), ts, kind: 'text', text: 'in the group', group: gid });
  c('attachment', { v: 1, id: id(), ts, kind: 'text', text: 'the view', attachment: pointer });
  c('attachment', { v: 1, id: id(), ts, kind: 'text', text: '', attachment: { id: pointer.id, key: pointer.key, digest: pointer.digest, size: 5000, contentType: 'audio/ogg', durationMs: 4200, voiceNote: true }, group: gid });
  c('typing', { v: 1, id: id(), ts, kind: 'typing', typing: 'started' });
  c('typing', { v: 1, id: id(), ts, kind: 'typing', typing: 'stopped', group: gid });
  const callId = '0123456789abcdef0123456789abcdef';
  c('call', { v: 1, id: id(), ts, kind: 'call', call: { type: 'ring', callId, media: 'video' } });
  c('call', { v: 1, id: id(), ts, kind: 'call', call: { type: 'accept', callId } });
  c('call', { v: 1, id: id(), ts, kind: 'call', call: { type: 'offer', callId, sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n' } });
  c('call', { v: 1, id: id(), ts, kind: 'call', call: { type: 'ice', callId, candidate: '{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host","sdpMid":"0","sdpMLineIndex":0}' } });
  c('call', { v: 1, id: id(), ts, kind: 'call', call: { type: 'hangup', callId } });
  c('receipt', { v: 1, id: id(), ts, kind: 'receipt', receipt: 'delivered', ids: [id(), id()] });
  c('receipt', { v: 1, id: id(), ts, kind: 'receipt', receipt: 'read', ids: [id()] });
  c('group-keys', { v: 1, id: id(), ts, kind: 'group-keys', group: gid, masterKey: new Uint8Array(32).fill(5), distributionId: 'b1f0a6d2-8c1e-4e39-9a47-0e7d5c3b2a19', distribution: skdmSample });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'sent', to: `direct:${acct}`, text: 'sent elsewhere', username: 'bob' } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'sent', to: `group:${gid}`, text: 'file', attachment: pointer } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'read', read: [{ sender: acct, id: id() }] } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'delete-for-me', messages: [{ sender: acct, id: id() }, { sender: acct, id: id() }] } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'contacts', contacts: [{ accountId: acct, username: 'bob', accepted: true, blocked: false }] } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'groups', groups: [{ groupId: gid, masterKey: new Uint8Array(32).fill(1) }] } });
  c('profile-key', { v: 1, id: id(), ts, kind: 'profile-key', key: new Uint8Array(32).fill(6) });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'profile-key', key: new Uint8Array(32).fill(6), createdAt: ts } });
  c('sync', { v: 1, id: id(), ts, kind: 'sync', sync: { type: 'contacts', contacts: [{ accountId: acct, username: 'bob', accepted: true, blocked: false, profileKey: new Uint8Array(32).fill(2) }] } });
  c('retry', { v: 1, id: id(), ts, kind: 'retry', timestamp: ts - 5000 });
  c('retry', { v: 1, id: id(), ts, kind: 'retry', timestamp: ts - 5000, group: gid });
  c('reaction', { v: 1, id: id(), ts, kind: 'reaction', target: { author: acct, id: id() }, emoji: '👍' });
  c('reaction', { v: 1, id: id(), ts, kind: 'reaction', target: { author: acct, id: id() }, emoji: '❤️', remove: true, group: gid });
  c('edit', { v: 1, id: id(), ts, kind: 'edit', target: id(), text: 'what I meant' });
  c('edit', { v: 1, id: id(), ts, kind: 'edit', target: id(), text: 'fixed', group: gid });
  c('delete', { v: 1, id: id(), ts, kind: 'delete', target: id() });
  c('delete', { v: 1, id: id(), ts, kind: 'delete', target: id(), to: `direct:${acct}` });
  c('timer', { v: 1, id: id(), ts, kind: 'timer', seconds: 3600 });
  c('timer', { v: 1, id: id(), ts, kind: 'timer', seconds: 0, group: gid });
  const json = (x: unknown) => enc.encode(JSON.stringify(x, (_k, v) => (v instanceof Uint8Array ? base64Encode(v) : v)));
  add('client.attachment-pointer', json({ attachment: pointer }));
  add('client.attachment-pointer', json({ attachment: { id: pointer.id, key: pointer.key, digest: pointer.digest, size: 0, contentType: 'application/octet-stream' } }));
}

let skdmSample: Uint8Array = new Uint8Array(0);

// ---------------------------------------------------------------------------
// Protocol: samples and stateful states.

async function protocol(): Promise<void> {
  const { kinds, context } = await buildKinds();
  const byKind: Record<string, string> = {
    SignalMessage: 'protocol.signal-message',
    PreKeySignalMessage: 'protocol.prekey-signal-message',
    SenderKeyMessage: 'protocol.sender-key-message',
    SenderKeyDistributionMessage: 'protocol.sender-key-distribution-message',
    UnidentifiedSenderMessageContent: 'protocol.unidentified-sender-message-content',
    SenderCertificate: 'protocol.sender-certificate',
    ServerCertificate: 'protocol.server-certificate',
    'SessionRecord (new session)': 'protocol.session-record',
    'SessionRecord (skipped keys)': 'protocol.session-record',
    'SenderKeyRecord (own)': 'protocol.sender-key-record',
    'SenderKeyRecord (received)': 'protocol.sender-key-record',
    PreKeyRecord: 'protocol.prekey-record',
    SignedPreKeyRecord: 'protocol.signed-prekey-record',
    KyberPreKeyRecord: 'protocol.kyber-prekey-record',
    IdentityKeyPair: 'protocol.identity-key-pair',
  };
  for (const k of kinds) {
    const t = byKind[k.name];
    if (t) add(t, k.bytes);
  }
  skdmSample = kinds.find((k) => k.name === 'SenderKeyDistributionMessage')!.bytes;
  // Sealed sender v1 opened with the recipient's identity.
  const sealedKind = kinds.find((k) => k.name === 'sealed sender v1')!;
  add('protocol.sealed-sender-v1', sealedKind.bytes);
  states.set('protocol.sealed-sender-v1', await saveStores(context.recipient, 1, {}));
  // Safety numbers: the other side's QR code, compared from our side.
  const fp = kinds.find((k) => k.name === 'ScannableFingerprint')!;
  add('protocol.scannable-fingerprint', fp.bytes);
  const f = context.fingerprint;
  states.set(
    'protocol.scannable-fingerprint',
    await saveStores(context.recipient, 1, {
      extra: { localIdentifier: toHex(f.localIdentifier), localKey: toHex(f.localKey.serialize()), remoteIdentifier: toHex(f.remoteIdentifier), remoteKey: toHex(f.remoteKey.serialize()) },
    }),
  );
  // Keys.
  for (let i = 0; i < 4; i++) add('protocol.public-key', PrivateKey.generate().publicKey().serialize());
  add('protocol.kem-public-key', KemKeyPair.generate().publicKey.serialize());
  for (const e of envelopes) {
    if (e.type === 'whisper') add('protocol.signal-message', e.content);
    if (e.type === 'prekey') add('protocol.prekey-signal-message', e.content);
    if (e.type === 'senderkey') add('protocol.sender-key-message', e.content);
  }

  // session-decrypt-prekey: Bob with prekeys and no session; Alice's first messages (two bundles: with and without a one-time prekey).
  {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    const withOneTime = await bob.bundle(true);
    const without = await bob.bundle(false);
    const state = await snapshotDevice(bob, { sender: 'alice.1' });
    await processPreKeyBundle(withOneTime, bob.address, alice.store, alice.store);
    for (let i = 0; i < 2; i++) add('protocol.session-decrypt-prekey', (await signalEncrypt(enc.encode(`first ${i}`), bob.address, alice.store, alice.store)).serialize());
    // A new session from the same sender over the bundle without a one-time prekey (each input starts from the saved state).
    await processPreKeyBundle(without, bob.address, alice.store, alice.store);
    for (let i = 0; i < 2; i++) add('protocol.session-decrypt-prekey', (await signalEncrypt(enc.encode(`again ${i}`), bob.address, alice.store, alice.store)).serialize());
    states.set('protocol.session-decrypt-prekey', state);
  }
  // session-decrypt: an established session; Alice's next messages (in order, and one skipped ahead).
  {
    const alice = new ParleyDevice('alice');
    const bob = new ParleyDevice('bob');
    await processPreKeyBundle(await bob.bundle(), bob.address, alice.store, alice.store);
    const first = await signalEncrypt(enc.encode('hello'), bob.address, alice.store, alice.store);
    await signalDecryptPreKey(PreKeySignalMessage.deserialize(first.serialize()), alice.address, bob.store, bob.store, bob.store, bob.store, bob.store);
    const reply = await signalEncrypt(enc.encode('hi'), alice.address, bob.store, bob.store);
    const { signalDecrypt, SignalMessage } = await import('@parley/protocol');
    await signalDecrypt(SignalMessage.deserialize(reply.serialize()), bob.address, alice.store, alice.store);
    const state = await snapshotDevice(bob, { sender: 'alice.1' });
    for (let i = 0; i < 4; i++) add('protocol.session-decrypt', (await signalEncrypt(enc.encode(`msg ${i}`), bob.address, alice.store, alice.store)).serialize());
    states.set('protocol.session-decrypt', state);

    // sealed-sender-decrypt: the same session, messages sealed with a certificate from a trust root.
    const root = PrivateKey.generate();
    const serverKey = PrivateKey.generate();
    const serverCert = ServerCertificate.create(7, serverKey.publicKey(), root);
    const now = 1_800_000_000_000;
    const cert = SenderCertificate.create({
      senderUuid: 'alice',
      senderDeviceId: 1,
      identityKey: alice.identity.publicKey,
      expiration: now + 86_400_000,
      signer: serverCert,
      signerKey: serverKey,
    });
    for (let i = 0; i < 3; i++) add('protocol.sealed-sender-decrypt', await sealedSenderEncryptMessage(enc.encode(`sealed ${i}`), bob.address, cert, alice.store, alice.store, now));
    states.set('protocol.sealed-sender-decrypt', { ...state, extra: { sender: 'alice.1', trustRoot: toHex(root.publicKey().serialize()), now: String(now), localUuid: 'bob' } });
  }
  // Sealed sender v2: multi-recipient sent messages (the server's split), and Bob's parts of them (v2 decrypt over a session).
  {
    const A = '3f0c9a55-2b1e-4c7d-8e9f-a0b1c2d3e4f5';
    const B = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const C = 'b5c6d7e8-f9a0-4b1c-9d2e-3f4a5b6c7d8e';
    const X = 'd3e4f5a6-b7c8-4d9e-8f0a-1b2c3d4e5f6a';
    const alice = new ParleyDevice(A);
    const bob = new ParleyDevice(B, 1);
    const carolKeys = { keyPair: IdentityKeyPair.generate(), registrationId: 4242 };
    const carol = [new ParleyDevice(C, 1, carolKeys), new ParleyDevice(C, 2, { ...carolKeys, registrationId: 4243 })];
    for (const d of [bob, ...carol]) await processPreKeyBundle(await d.bundle(), d.address, alice.store, alice.store);
    const first = await signalEncrypt(enc.encode('hello'), bob.address, alice.store, alice.store);
    await signalDecryptPreKey(PreKeySignalMessage.deserialize(first.serialize()), alice.address, bob.store, bob.store, bob.store, bob.store, bob.store);
    const { signalDecrypt, SignalMessage } = await import('@parley/protocol');
    await signalDecrypt(SignalMessage.deserialize((await signalEncrypt(enc.encode('hi'), alice.address, bob.store, bob.store)).serialize()), bob.address, alice.store, alice.store);
    const state = await snapshotDevice(bob, { sender: `${A}.1` });
    const root = PrivateKey.generate();
    const serverKey = PrivateKey.generate();
    const now = 1_800_000_000_000;
    const cert = SenderCertificate.create({
      senderUuid: A,
      senderDeviceId: 1,
      identityKey: alice.identity.publicKey,
      expiration: now + 86_400_000,
      signer: ServerCertificate.create(7, serverKey.publicKey(), root),
      signerKey: serverKey,
    });
    for (let i = 0; i < 3; i++) {
      const inner = await signalEncrypt(enc.encode(`sealed v2 ${i}`), bob.address, alice.store, alice.store);
      const content = UnidentifiedSenderMessageContent.create(inner.type, cert, inner.serialize(), i, i === 2 ? new Uint8Array([1, 2, 3]) : null);
      const recipients = i === 0 ? [bob.address] : [bob.address, ...carol.map((d) => d.address)];
      const sent = await sealedSenderMultiRecipientEncrypt({ content, recipients, excludedRecipients: i === 1 ? [X] : [], identityStore: alice.store, sessionStore: alice.store });
      add('protocol.sealed-sender-v2-sent', sent);
      add('protocol.sealed-sender-v2-decrypt', SealedSenderMultiRecipientMessage.parse(sent).messageForRecipient(B));
    }
    states.set('protocol.sealed-sender-v2-decrypt', { ...state, extra: { sender: `${A}.1`, trustRoot: toHex(root.publicKey().serialize()), now: String(now), localUuid: B } });
    // Group-shaped sent messages: many accounts and devices, PNIs, exclusions; and the original ACI-only 0x22 form.
    const usmc = UnidentifiedSenderMessageContent.create('sender-key', cert, new Uint8Array(120).fill(0x5a), 2, new Uint8Array(16).fill(7));
    const accounts = Array.from({ length: 8 }, (_, i) => ({
      serviceId: `${i % 3 === 2 ? 'PNI:' : ''}0000000${i}-1111-4222-8333-44445555666${i}`,
      identityKey: IdentityKeyPair.generate().publicKey,
      devices: Array.from({ length: 1 + (i % 4) }, (_, d) => ({ deviceId: 1 + d * 3, registrationId: (i * 1000 + d) & 0x3fff })),
    }));
    add('protocol.sealed-sender-v2-sent', sealedSenderMultiRecipientSeal(usmc, accounts, [X, 'PNI:' + X], alice.identity));
    const acis = accounts.filter((a) => !a.serviceId.startsWith('PNI:')).slice(0, 3);
    const v23 = sealedSenderMultiRecipientSeal(usmc, acis, [], alice.identity);
    add('protocol.sealed-sender-v2-sent', uuidOnlyForm(v23, acis.map((a) => a.devices.length)));
  }
  // group-decrypt: Bob holds Alice's sender key; Alice's group messages.
  {
    const alice = new ProtocolAddress('alice', 1);
    const dist = 'b1f0a6d2-8c1e-4e39-9a47-0e7d5c3b2a19';
    const aliceKeys = new InMemorySenderKeyStore();
    const bobKeys = new InMemorySenderKeyStore();
    const skdm = await createSenderKeyDistributionMessage(alice, dist, aliceKeys);
    await processSenderKeyDistributionMessage(alice, SenderKeyDistributionMessage.deserialize(skdm.serialize()), bobKeys);
    const bob = IdentityKeyPair.generate();
    const record = (await bobKeys.loadSenderKey(alice, dist))!;
    for (let i = 0; i < 4; i++) add('protocol.group-decrypt', (await groupEncrypt(alice, dist, aliceKeys, enc.encode(`group ${i}`))).serialize());
    states.set('protocol.group-decrypt', await saveStores(bob, 1, { senderKeys: [{ address: alice, distributionId: dist, record }], extra: { sender: 'alice.1' } }));
  }
}

/** The 0x22 (ACI-only) form of a 0x23 sent message whose recipients are ACIs: the same bytes without the kind bytes. */
function uuidOnlyForm(v23: Uint8Array, deviceCounts: number[]): Uint8Array {
  const out: number[] = [0x22, v23[1]!];
  let pos = 2;
  for (const n of deviceCounts) {
    out.push(...v23.subarray(pos + 1, pos + 17), ...v23.subarray(pos + 17, pos + 17 + 3 * n + 48));
    pos += 17 + 3 * n + 48;
  }
  out.push(...v23.subarray(pos));
  const b = Uint8Array.from(out);
  SealedSenderMultiRecipientMessage.parse(b); // the layout above is right, or the script stops here
  return b;
}

/** Bob's whole store, as the stateful targets restore it. */
async function snapshotDevice(d: ParleyDevice, extra: Record<string, string>): Promise<SavedState> {
  const s = d.store;
  const priv = <V>(o: object, f: string) => (o as Record<string, Map<string | number, V>>)[f]!;
  const sessions = [...priv<import('@parley/protocol').SessionRecord>(s.sessionStore, 'sessions')].map(([k, record]) => {
    const i = String(k).lastIndexOf('.');
    return { address: new ProtocolAddress(String(k).slice(0, i), Number(String(k).slice(i + 1))), record };
  });
  const identities = [...priv<{ key: import('@parley/protocol').PublicKey }>(s.identityStore, 'identities')].map(([k, v]) => {
    const i = String(k).lastIndexOf('.');
    return { address: new ProtocolAddress(String(k).slice(0, i), Number(String(k).slice(i + 1))), key: v.key };
  });
  return saveStores(d.identity, d.registrationId, {
    sessions,
    identities,
    preKeys: [...priv<import('@parley/protocol').PreKeyRecord>(s.preKeyStore, 'keys').values()],
    signedPreKeys: [...priv<import('@parley/protocol').SignedPreKeyRecord>(s.signedPreKeyStore, 'keys').values()],
    kyberPreKeys: [...priv<{ record: import('@parley/protocol').KyberPreKeyRecord; oneTime: boolean }>(s.kyberPreKeyStore, 'keys').values()],
    extra,
  });
}

// ---------------------------------------------------------------------------
// Client: sealed inputs, attachments, codes; wire text inputs.

async function clientSealed(): Promise<void> {
  const identity = IdentityKeyPair.generate();
  // Group attributes: the padded JSON a member seals.
  const masterKey = crypto.getRandomValues(new Uint8Array(32));
  for (const name of ['Climbing', 'Family 🏔', '']) add('client.group-attributes', pad(enc.encode(JSON.stringify({ name })), 64));
  states.set('client.group-attributes', await saveStores(identity, 1, { extra: { masterKey: toHex(masterKey), groupId: '0123456789abcdef0123456789abcdef' } }));
  // Profile names as a contact seals them (padded to 53 or 257 bytes), and sealed pictures.
  const profileKey = crypto.getRandomValues(new Uint8Array(32));
  for (const [name, size] of [['Alice Smith', 53], ['', 53], ['Zoë 🏔 '.repeat(15).trim(), 257]] as const) {
    const padded = new Uint8Array(size);
    padded.set(enc.encode(name));
    add('client.profile-name', padded);
  }
  states.set('client.profile-name', await saveStores(identity, 1, { extra: { profileKey: toHex(profileKey) } }));
  for (const picture of [enc.encode('GIF89a, a picture'), Uint8Array.from({ length: 2000 }, (_, i) => (i === 1 ? 0xd8 : 0xff))]) add('client.profile-avatar', encryptAvatar(profileKey, picture));
  states.set('client.profile-avatar', await saveStores(identity, 1, { extra: { profileKey: toHex(profileKey) } }));
  for (const name of ['Firefox on Linux', 'CLI on laptop']) add('client.device-name', pad(enc.encode(name), 32));
  states.set('client.device-name', await saveStores(identity, 1, {}));
  // Provisioning: what an existing device sends the new one.
  const eph = PrivateKey.generate();
  const code = { channelId: 'abcdefghjk', secret: 'mnpqrstuvwxyz234' };
  const plaintext = enc.encode(
    JSON.stringify({ v: 1, accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f', username: 'alice', identity: base64Encode(identity.serialize()), linkToken: base64Encode(new Uint8Array(32).fill(4)), from: 1 }),
  );
  add('client.provisioning-plaintext', plaintext);
  add('client.provisioning-message', encryptProvisioning(eph.publicKey(), code, plaintext));
  const extra = { ephemeral: toHex(eph.serialize()), ephemeralPublic: toHex(eph.publicKey().serialize()), channelId: code.channelId, secret: code.secret };
  states.set('client.provisioning-plaintext', await saveStores(identity, 1, { extra }));
  states.set('client.provisioning-message', await saveStores(identity, 1, { extra }));
  add('client.link-code', enc.encode(formatLinkCode(code)));
  add('client.link-code', enc.encode(linkQrPayload(code)));
  add('client.link-code', enc.encode(`  ${formatLinkCode(code).toUpperCase()} `));
  // Sealed envelopes as a contact seals them for us (sealed sender v1), and the state to open them.
  {
    const root = PrivateKey.generate();
    const serverKey = PrivateKey.generate();
    const signer = ServerCertificate.create(11, serverKey.publicKey(), root);
    const sender = IdentityKeyPair.generate();
    const now = 1_800_000_000_000;
    const cert = SenderCertificate.create({
      senderUuid: '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
      senderE164: 'alice',
      senderDeviceId: 1,
      identityKey: sender.publicKey,
      expiration: now + 86_400_000,
      signer,
      signerKey: serverKey,
    });
    for (const [type, n] of [['whisper', 40], ['prekey', 900], ['whisper', 3000]] as const) {
      add('client.sealed-envelope', sealedSenderEncrypt(UnidentifiedSenderMessageContent.create(type, cert, new Uint8Array(n).fill(n & 255)), identity.publicKey, sender));
    }
    states.set('client.sealed-envelope', await saveStores(identity, 1, { extra: { trustRoot: toHex(root.publicKey().serialize()), now: String(now), accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f' } }));
  }
  // A downloaded attachment and its pointer.
  const file = enc.encode('attachment plaintext '.repeat(30));
  const key = crypto.getRandomValues(new Uint8Array(64));
  const e = new AttachmentEncryptor(async (o, n) => file.subarray(o, o + n), file.length, key, crypto.getRandomValues(new Uint8Array(16)));
  const parts: Uint8Array[] = [];
  for await (const p of e.pieces()) parts.push(p);
  add('client.attachment-download', Buffer.concat(parts));
  states.set('client.attachment-download', await saveStores(identity, 1, { extra: { key: toHex(key), digest: toHex(e.digest), size: String(file.length) } }));
  // The web app's ICE candidates (RTCIceCandidate.toJSON()).
  add('web.ice-candidate', enc.encode(JSON.stringify({ candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.1 3478 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sEMT network-cost 999', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'sEMT' })));
  add('web.ice-candidate', enc.encode(JSON.stringify({ candidate: '', sdpMid: null, sdpMLineIndex: null })));
  // No TURN server in the real run: answers as the server's turn plugin writes them.
  for (const urls of [['turn:turn.example.org:3478'], ['turn:192.0.2.1:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp']]) {
    add('client.turn-credentials-response', enc.encode(JSON.stringify({ urls, username: '1760003600:parley', credential: 'mZ0bZ3l1c2Vy0nBhc3N3b3JkCg==', ttl: 3600 })));
  }
  // Wire text inputs (headers and query strings as clients and servers write them).
  for (const q of ['offset=0', 'offset=1048576', 'offset=123']) add('server.chunk-query', enc.encode(q));
  for (const q of ['ts=1700000000000', 'ts=0', 'ts=9007199254740991']) add('server.multi-recipient-query', enc.encode(q));
  for (const r of ['bytes=0-', 'bytes=0-99', 'bytes=-500', 'bytes=1048576-2097151']) add('server.range-header', enc.encode(r));
  for (const v of ['0.1.0', '1.20.3']) add('server.version-header', enc.encode(v));
  // Both forms of an ack (the SDK sends the list only for a backlog, which the real run may not have).
  for (const f of ['{"type":"ack","id":1}', '{"type":"ack","ids":[1,2,3]}']) add('server.websocket-frame', enc.encode(f));
  for (const r of ['bytes 0-99/1000', 'bytes 1048576-1049599/2000000']) add('client.content-range-header', enc.encode(r));
}

/**
 * Stored SPQR states: one of each of the eleven braid states, from a lopsided conversation
 * with seeded randomness (the same files every run), plus a state before any message.
 */
function spqrStates(): void {
  const rng = (seed: number) => {
    const r = seededRandom(seed);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    return { keySeed: () => bytes(64), encapsulationSeed: () => bytes(32) };
  };
  const params = (direction: 'a2b' | 'b2a') => ({ direction, version: 1 as const, minVersion: 1 as const, authKey: new Uint8Array(32).fill(7), chainParams: { maxJump: 25_000, maxOooKeys: 2_000 } });
  let a = initialState(params('a2b'));
  let b = initialState(params('b2a'));
  add('protocol.spqr-state', a);
  const ra = rng(1);
  const rb = rng(2);
  const pick = seededRandom(3);
  const seen = new Set<string>();
  for (let i = 0; i < 1000 && seen.size < 11; i++) {
    const aSends = pick() < [0.5, 0.9, 0.1, 0.7, 0.3][Math.floor(i / 40) % 5]!;
    if (aSends) {
      const s = spqrSend(a, ra);
      a = s.state;
      b = spqrRecv(b, s.msg).state;
    } else {
      const s = spqrSend(b, rb);
      b = s.state;
      a = spqrRecv(a, s.msg).state;
    }
    for (const st of [a, b]) {
      const kind = decodeState(st).inner!.kind;
      if (!seen.has(kind)) {
        seen.add(kind);
        add('protocol.spqr-state', st);
      }
    }
  }
}

/**
 * The unidentified socket's frames: each sealed send body the run made over HTTP, as a
 * `sealed-send` frame (the run's own frames on the socket are filed below with the other
 * recorded texts), and the server's answers, pings and errors on it.
 */
function unidentifiedFrames(): void {
  const accessKey = base64Encode(UNIDENTIFIED_FUZZ_ACCESS_KEY);
  let requestId = 1;
  for (const text of jsonTexts) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      continue;
    }
    const m = (body as { messages?: Array<Record<string, unknown>> }).messages;
    if (!Array.isArray(m) || m.length === 0 || m.some((x) => 'type' in x)) continue;
    add('server.unidentified-frame', enc.encode(JSON.stringify({ type: 'sealed-send', requestId: requestId++, to: 'alice', accessKey, request: body })));
    if (requestId > 4) break;
  }
  for (const f of [
    { type: 'sent', requestId: 1, serverTimestamp: 1_800_000_000_000 },
    { type: 'send-failed', requestId: 2, code: 'ACCESS_KEY_REFUSED', message: 'the unidentified-access key was refused' },
    { type: 'send-failed', requestId: 3, code: 'MISMATCHED_DEVICES', message: 'devices changed', missingDevices: [2], extraDevices: [3] },
    { type: 'ping' },
    { type: 'error', code: 'UPGRADE_REQUIRED', message: 'UPGRADE_REQUIRED: this client is 0.1.0; the server needs 0.5.0 or newer - update Parley', requiredVersion: '0.5.0' },
  ]) {
    add('client.unidentified-server-frame', enc.encode(JSON.stringify(f)));
  }
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  // `npx tsx scripts/fuzz-corpus.ts TARGET...` writes only the targets named (the others keep their files).
  const only = new Set(process.argv.slice(2));
  WsClass = (await import('ws')).default;
  await realRun();
  await protocol();
  spqrStates();
  contents();
  await clientSealed();
  for (const text of sealedFrames.slice(0, 3)) add('client.server-frame', enc.encode(text));
  unidentifiedFrames();
  // File every recorded JSON text under each JSON target that accepts it.
  const jsonTargets = TARGETS.filter((t) => t.format === 'json' && (t.name.startsWith('server.') || t.name.startsWith('client.')) && t.name !== 'client.provisioning-plaintext' && t.name !== 'server.websocket-session' && t.name !== 'server.unidentified-session' && t.name !== 'client.attachment-pointer');
  for (const t of jsonTargets) {
    const run = await t.setup(join(CORPUS_DIR, t.name));
    for (const text of new Set(jsonTexts)) {
      const b = enc.encode(text);
      if ((await judge(t, run, b)).result === 'accepted') add(t.name, b);
    }
  }
  // The live socket target replays the recorded client frames.
  corpus.set('server.websocket-session', corpus.get('server.websocket-frame') ?? []);
  corpus.set('server.unidentified-session', corpus.get('server.unidentified-frame') ?? []);
  // Write, checking that every stored input is accepted by its target.
  let failed = 0;
  for (const t of TARGETS) {
    if (only.size && !only.has(t.name)) continue;
    const dir = join(CORPUS_DIR, t.name);
    const inputs = corpus.get(t.name) ?? [];
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    const state = states.get(t.name);
    if (state) writeState(join(dir, 'state.json'), state);
    for (const b of inputs) writeFileSync(join(dir, `${createHash('sha256').update(b).digest('hex').slice(0, 16)}.bin`), b);
    const run = await t.setup(dir);
    let accepted = 0;
    for (const b of inputs) {
      const { result } = await judge(t, run, b);
      if (t.corpusMayBeRefused ? result !== 'finding' : result === 'accepted') accepted++;
    }
    if (!inputs.length || accepted !== inputs.length) failed++;
    console.log(`${t.name.padEnd(48)} ${String(inputs.length).padStart(3)} inputs, ${accepted} accepted`);
  }
  if (failed) {
    console.error(`${failed} target(s) have no corpus or inputs their decoder refuses`);
    process.exitCode = 1;
  }
}

await main();
// The live socket target's server keeps the event loop alive.
process.exit();
