/**
 * The Parley SDK: account creation (keys generated here; private keys never leave
 * the store), sending (per-device encryption, device-list repair, identity-change
 * detection), receiving (decrypt, store and dedupe in one transaction, then
 * acknowledge), delivery receipts and events for apps. `createClient` is the
 * composition root; storage, transport and clock are injected.
 */
import {
  createFingerprint,
  DuplicateMessage,
  IdentityKeyPair,
  KemPublicKey,
  KyberPreKeyRecord,
  PreKeyRecord,
  PreKeySignalMessage,
  processPreKeyBundle,
  ProtocolAddress,
  ProtocolError,
  PublicKey,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  SignedPreKeyRecord,
  UntrustedIdentity,
  type PreKeyBundle,
} from '@parley/protocol';
import { base64Decode, WireError, type BundleResponseJson, type EnvelopeFrame } from '@parley/wire';
import { decodeContent, encodeContent, MAX_TEXT_LENGTH, type CallMessage, type Content } from './content.ts';
import { ClientError } from './errors.ts';
import type { AccountInfo, CallLogEntry, ClientStore, StoredMessage } from './store.ts';
import { HttpTransport, sendBody, type OutgoingMessages } from './transport/http.ts';
import { ServerConnection, type ConnectionState, type WebSocketFactory } from './transport/socket.ts';

export const ONE_TIME_PREKEY_BATCH = 100;
export const PQ_PREKEY_BATCH = 20;
/** Top up when the server holds fewer than this many one-time keys. */
export const PREKEY_LOW_WATER = 20;
/** An unanswered call stops ringing after this long on both sides (the server drops call messages after a minute too). */
export const RING_TIMEOUT_MS = 60_000;

export type ClientEvent =
  | { type: 'message'; message: StoredMessage }
  | { type: 'receipt'; from: string; receipt: 'delivered' | 'read'; ids: readonly string[] }
  | { type: 'typing'; from: string; typing: boolean }
  | {
      type: 'call';
      event: 'incoming' | 'accepted' | 'declined' | 'busy' | 'ended' | 'offer' | 'answer' | 'ice';
      callId: string;
      peer: string;
      media: 'audio' | 'video';
      sdp?: string;
      candidate?: string;
      /** For `ended`: 'no-answer' when nobody answered before the ring timed out. */
      reason?: 'no-answer';
    }
  | { type: 'identity-changed'; username: string; safetyNumber: string }
  | { type: 'connection'; state: ConnectionState; error?: WireError }
  | { type: 'decrypt-error'; from: string; error: string };

export interface ClientOptions {
  readonly serverUrl: string;
  readonly store: ClientStore;
  readonly createWebSocket: WebSocketFactory;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  readonly randomId?: () => string;
  readonly version?: string;
  /** How long a call rings before it counts as unanswered (default RING_TIMEOUT_MS). */
  readonly ringTimeoutMs?: number;
  /** Reconnect after this long without a frame from the server (default LIMITS.clientIdleTimeoutMs). */
  readonly idleTimeoutMs?: number;
}

function uuid(): string {
  return globalThis.crypto.randomUUID();
}

/** A small mutex: every store-mutating operation runs alone (sends and receives interleave safely). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

interface ActiveCall {
  readonly callId: string;
  readonly peer: string;
  readonly direction: 'in' | 'out';
  readonly media: 'audio' | 'video';
  state: 'ringing' | 'accepted' | 'ended';
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class ParleyClient {
  readonly http: HttpTransport;
  private readonly calls = new Map<string, ActiveCall>();
  private connection: ServerConnection | undefined;
  private readonly listeners = new Set<(e: ClientEvent) => void>();
  private readonly lock = new Mutex();
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly ringTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: ClientOptions) {
    this.now = opts.now ?? Date.now;
    this.newId = opts.randomId ?? uuid;
    this.http = new HttpTransport({ baseUrl: opts.serverUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.version ? { version: opts.version } : {}) });
    const a = opts.store.getAccount();
    if (a) this.http.credentials = { accountId: a.accountId, deviceId: a.deviceId, password: a.password };
  }

  on(listener: (e: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: ClientEvent): void {
    for (const l of this.listeners) l(e);
  }

  get account(): AccountInfo | undefined {
    return this.opts.store.getAccount();
  }

  private requireAccount(): AccountInfo {
    const a = this.account;
    if (!a) throw new ClientError('NOT_REGISTERED', 'this profile has no account; run `parley register <username>` first');
    return a;
  }

  /** Creates the account: identity, prekeys and credentials are generated on this device. */
  async register(username: string, onProgress?: (step: string) => void): Promise<AccountInfo> {
    if (this.account) throw new ClientError('ALREADY_REGISTERED', `this profile is already registered as ${this.account.username}; use another --profile`);
    const store = this.opts.store;
    onProgress?.('generating identity and prekeys');
    const identity = IdentityKeyPair.generate();
    const registrationId = 1 + (globalThis.crypto.getRandomValues(new Uint16Array(1))[0]! % 16380);
    const password = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const signed = SignedPreKeyRecord.generate(1, identity, this.now());
    const lastResort = KyberPreKeyRecord.generate(1, identity, this.now());
    onProgress?.('registering with the server');
    const res = await this.http.register({
      username: username.toLowerCase(),
      password,
      registrationId,
      identityKey: identity.publicKey.serialize(),
      signedPreKey: { keyId: signed.id, publicKey: signed.publicKey.serialize(), signature: signed.signature },
      pqLastResortPreKey: { keyId: lastResort.id, publicKey: lastResort.publicKey.serialize(), signature: lastResort.signature },
    });
    const account: AccountInfo = { serverUrl: this.http.baseUrl, accountId: res.accountId, deviceId: res.deviceId, username: res.username, password, registrationId };
    await store.transaction(async () => {
      store.saveAccount(account, identity);
      await store.saveSignedPreKey(signed.id, signed);
      await store.saveKyberPreKey(lastResort.id, lastResort, false);
      store.nextPreKeyId('kem', 1);
    });
    this.http.credentials = { accountId: account.accountId, deviceId: account.deviceId, password };
    onProgress?.('uploading one-time prekeys');
    await this.topUpPreKeys(true);
    return account;
  }

  /** Uploads fresh one-time prekeys when the server is running low (or `force`). */
  async topUpPreKeys(force = false): Promise<void> {
    const counts = force ? { preKeys: 0, pqPreKeys: 0 } : await this.http.preKeyCount();
    if (counts.preKeys >= PREKEY_LOW_WATER && counts.pqPreKeys >= PREKEY_LOW_WATER / 4) return;
    const store = this.opts.store;
    const identity = await store.getIdentityKeyPair();
    const ec: PreKeyRecord[] = [];
    const kem: KyberPreKeyRecord[] = [];
    await this.lock.run(() =>
      store.transaction(async () => {
        const ecStart = store.nextPreKeyId('ec', ONE_TIME_PREKEY_BATCH);
        for (let i = 0; i < ONE_TIME_PREKEY_BATCH; i++) {
          const r = PreKeyRecord.generate(ecStart + i);
          await store.savePreKey(r.id, r);
          ec.push(r);
        }
        const kemStart = store.nextPreKeyId('kem', PQ_PREKEY_BATCH);
        for (let i = 0; i < PQ_PREKEY_BATCH; i++) {
          const r = KyberPreKeyRecord.generate(kemStart + i, identity, this.now());
          await store.saveKyberPreKey(r.id, r, true);
          kem.push(r);
        }
      }),
    );
    await this.http.uploadKeys({
      preKeys: ec.map((r) => ({ keyId: r.id, publicKey: r.publicKey.serialize() })),
      pqPreKeys: kem.map((r) => ({ keyId: r.id, publicKey: r.publicKey.serialize(), signature: r.signature })),
    });
  }

  private parseBundles(b: BundleResponseJson): PreKeyBundle[] {
    const identityKey = PublicKey.deserialize(base64Decode(b.identityKey));
    return b.devices.map((d) => ({
      registrationId: d.registrationId,
      deviceId: d.deviceId,
      preKeyId: d.preKey?.keyId,
      preKey: d.preKey ? PublicKey.deserialize(base64Decode(d.preKey.publicKey)) : undefined,
      signedPreKeyId: d.signedPreKey.keyId,
      signedPreKey: PublicKey.deserialize(base64Decode(d.signedPreKey.publicKey)),
      signedPreKeySignature: base64Decode(d.signedPreKey.signature),
      kyberPreKeyId: d.pqPreKey.keyId,
      kyberPreKey: KemPublicKey.deserialize(base64Decode(d.pqPreKey.publicKey)),
      kyberPreKeySignature: base64Decode(d.pqPreKey.signature),
      identityKey,
    }));
  }

  /** Fetches bundles for `username` and starts sessions with the given (or all) devices. */
  private async establish(username: string, onlyDevices?: readonly number[]): Promise<void> {
    const store = this.opts.store;
    let res: BundleResponseJson;
    try {
      res = await this.http.fetchBundles(username);
    } catch (e) {
      if (e instanceof WireError && e.code === 'UNKNOWN_USER') throw new ClientError('UNKNOWN_USER', `there is no Parley user named ${username}; check the spelling`);
      throw e;
    }
    const bundles = this.parseBundles(res);
    for (const b of bundles) {
      if (onlyDevices && !onlyDevices.includes(b.deviceId)) continue;
      const address = new ProtocolAddress(res.accountId, b.deviceId);
      try {
        await processPreKeyBundle(b, address, store, store, this.now());
      } catch (e) {
        if (e instanceof UntrustedIdentity) throw await this.identityChanged(res.username, res.accountId, b.identityKey);
        throw e;
      }
    }
    const prev = store.contactByUsername(res.username);
    const ids = new Set([...(onlyDevices ? (prev?.deviceIds ?? []) : []), ...bundles.map((b) => b.deviceId)]);
    store.saveContact({ ...(prev ?? {}), accountId: res.accountId, username: res.username, deviceIds: [...ids].sort((x, y) => x - y) });
  }

  private async identityChanged(username: string, accountId: string, newKey: PublicKey): Promise<ClientError> {
    const safetyNumber = await this.safetyNumberFor(accountId, newKey);
    this.emit({ type: 'identity-changed', username, safetyNumber });
    return new ClientError(
      'IDENTITY_CHANGED',
      `the safety number with ${username} changed (new number ${safetyNumber}). They may have reinstalled Parley, or someone may be intercepting. Compare the number with ${username} in person or by a call, then run \`parley trust ${username}\`.`,
      { username, safetyNumber },
    );
  }

  private async safetyNumberFor(accountId: string, theirKey: PublicKey): Promise<string> {
    const me = this.requireAccount();
    const ours = await this.opts.store.getIdentityKeyPair();
    const enc = new TextEncoder();
    return createFingerprint({ localIdentifier: enc.encode(me.accountId), localKey: ours.publicKey, remoteIdentifier: enc.encode(accountId), remoteKey: theirKey }).displayable;
  }

  /** The 60-digit safety number and QR payload with `username` (fetches their key if unknown). */
  async safetyNumber(username: string): Promise<{ displayable: string; scannable: Uint8Array }> {
    const me = this.requireAccount();
    const store = this.opts.store;
    let contact = store.contactByUsername(username.toLowerCase());
    if (!contact) {
      await this.lock.run(() => this.establish(username.toLowerCase()));
      contact = store.contactByUsername(username.toLowerCase())!;
    }
    const key = await store.getIdentity(new ProtocolAddress(contact.accountId, contact.deviceIds[0] ?? 1));
    if (!key) throw new ClientError('UNKNOWN_USER', `no identity key known for ${username}`);
    const ours = await store.getIdentityKeyPair();
    const enc = new TextEncoder();
    const f = createFingerprint({ localIdentifier: enc.encode(me.accountId), localKey: ours.publicKey, remoteIdentifier: enc.encode(contact.accountId), remoteKey: key });
    return { displayable: f.displayable, scannable: f.scannable.serialize() };
  }

  /** Accepts `username`'s current identity key after the user verified the safety number. */
  async trust(username: string): Promise<string> {
    this.requireAccount();
    const res = await this.http.fetchBundles(username.toLowerCase());
    const key = PublicKey.deserialize(base64Decode(res.identityKey));
    for (const d of res.devices) await this.opts.store.approveIdentity(new ProtocolAddress(res.accountId, d.deviceId), key);
    // Bundles were consumed by the fetch; start fresh sessions now.
    await this.lock.run(() => this.establish(res.username));
    return this.safetyNumberFor(res.accountId, key);
  }

  private async sendContent(username: string, content: Content, ephemeral = false): Promise<void> {
    const store = this.opts.store;
    const user = username.toLowerCase();
    if (!store.contactByUsername(user)) await this.establish(user);
    for (let attempt = 0; attempt < 3; attempt++) {
      const contact = store.contactByUsername(user)!;
      const plaintext = encodeContent(content);
      const messages = [];
      for (const deviceId of contact.deviceIds) {
        const address = new ProtocolAddress(contact.accountId, deviceId);
        if (!(await store.loadSession(address))?.hasUsableSenderChain(Math.floor(this.now() / 1000))) await this.establish(user, [deviceId]);
        let m;
        try {
          m = await signalEncrypt(plaintext, address, store, store, this.now());
        } catch (e) {
          if (e instanceof UntrustedIdentity) throw await this.identityChanged(user, contact.accountId, (await store.getIdentity(address))!);
          throw e;
        }
        const session = await store.loadSession(address);
        messages.push({ deviceId, registrationId: session!.remoteRegistrationId() ?? 0, type: m.type, content: m.serialize() });
      }
      try {
        await this.deliver(user, { timestamp: content.ts, ephemeral, messages });
        return;
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        if (e.code === 'MISMATCHED_DEVICES') {
          const missing = (e.details.missingDevices as number[] | undefined) ?? [];
          const extra = (e.details.extraDevices as number[] | undefined) ?? [];
          store.saveContact({ ...contact, deviceIds: contact.deviceIds.filter((d) => !extra.includes(d)) });
          if (missing.length) await this.establish(user, missing);
          continue;
        }
        if (e.code === 'STALE_DEVICES') {
          await this.establish(user, (e.details.staleDevices as number[] | undefined) ?? []);
          continue;
        }
        if (e.code === 'UNKNOWN_USER') throw new ClientError('UNKNOWN_USER', `there is no Parley user named ${user}; check the spelling`);
        throw e;
      }
    }
    throw new ClientError('SEND_FAILED', `could not send to ${user}: their device list keeps changing; try again`);
  }

  /**
   * Hands encrypted copies to the server: over the live socket when it is up (one frame,
   * no HTTP exchange), else, or when the socket drops before answering, over HTTP. A
   * retry after a lost answer may store a copy twice; recipients drop it by message id.
   */
  private async deliver(user: string, req: OutgoingMessages): Promise<void> {
    const conn = this.connection;
    if (conn?.ready) {
      try {
        await conn.send(user, sendBody(req));
        return;
      } catch (e) {
        if (!(e instanceof WireError) || (e.code !== 'SERVER_UNREACHABLE' && e.code !== 'TIMEOUT')) throw e;
      }
    }
    await this.http.sendMessages(user, req);
  }

  /** Sends a text message; resolves when the server has stored it for every device. */
  async sendText(username: string, text: string): Promise<StoredMessage> {
    const me = this.requireAccount();
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) throw new ClientError('SEND_FAILED', `a message must be 1..${MAX_TEXT_LENGTH} characters`);
    const content: Content = { v: 1, kind: 'text', id: this.newId(), ts: this.now(), text };
    const user = username.toLowerCase();
    return this.lock.run(async () => {
      await this.sendContent(user, content);
      const store = this.opts.store;
      const contact = store.contactByUsername(user);
      // Writing to someone is consent: they are a contact from now on.
      if (contact && !contact.accepted) store.saveContact({ ...contact, accepted: true, blocked: false });
      store.addMessage({ conversation: user, direction: 'out', clientId: content.id, senderAccountId: me.accountId, timestamp: content.ts, body: text, status: 'sent' });
      return store.messages(user).find((m) => m.clientId === content.id && m.direction === 'out')!;
    });
  }

  /** Opens the live connection; envelopes are processed as they arrive. */
  async connect(options: { reconnect?: boolean } = {}): Promise<void> {
    const a = this.requireAccount();
    let drained: () => void = () => undefined;
    let lost: (e: WireError) => void = () => undefined;
    this.drained = new Promise((resolve, reject) => {
      drained = resolve;
      lost = reject;
    });
    // Why: a caller that never awaits `drained` must not see an unhandled rejection.
    this.drained.catch(() => undefined);
    this.connection = new ServerConnection({
      baseUrl: this.http.baseUrl,
      credentials: { accountId: a.accountId, deviceId: a.deviceId, password: a.password },
      createWebSocket: this.opts.createWebSocket,
      reconnect: options.reconnect ?? true,
      ...(this.opts.version ? { version: this.opts.version } : {}),
      ...(this.opts.idleTimeoutMs ? { idleTimeoutMs: this.opts.idleTimeoutMs } : {}),
      onEnvelope: (e) => this.lock.run(() => this.handleEnvelope(e)),
      onQueueEmpty: () => drained(),
      onState: (state, error) => {
        // A connection that failed for good will never say the queue is empty.
        if (state === 'closed' && error) lost(error);
        this.emit({ type: 'connection', state, ...(error ? { error } : {}) });
      },
    });
    await this.connection.open();
    void this.topUpPreKeys().catch(() => undefined);
  }

  /**
   * Resolves when the server has sent everything that was queued at connect time; rejects
   * if the connection fails for good first (what arrived until then is stored).
   */
  drained: Promise<void> = Promise.resolve();

  disconnect(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  private async handleEnvelope(e: EnvelopeFrame): Promise<void> {
    const store = this.opts.store;
    const from = new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId);
    let content: Content | undefined;
    let stored: StoredMessage | undefined;
    try {
      // Why one transaction: the ratchet step and the stored message commit together, so a
      // crash can neither lose a message nor make its redelivery look like a replay.
      await store.transaction(async () => {
        const bytes = base64Decode(e.content);
        const plaintext =
          e.messageType === 'prekey'
            ? await signalDecryptPreKey(PreKeySignalMessage.deserialize(bytes), from, store, store, store, store, store)
            : await signalDecrypt(SignalMessage.deserialize(bytes), from, store, store);
        const c = decodeContent(plaintext);
        content = c;
        const known = store.contactById(e.sourceAccountId);
        const devs = new Set([...(known?.deviceIds ?? []), e.sourceDeviceId]);
        store.saveContact({ ...(known ?? {}), accountId: e.sourceAccountId, username: e.sourceUsername, deviceIds: [...devs].sort((x, y) => x - y) });
        if (c.kind === 'call' && c.call.type === 'ring') {
          // Why first: every call attempt is on the local log before anything else happens with it.
          const media = c.call.media;
          const event: CallLogEntry['event'] = known?.blocked ? 'blocked' : known?.accepted ? 'ring' : 'stranger';
          store.addCallLogEntry({ callId: c.call.callId, peer: e.sourceUsername, direction: 'in', media, event, timestamp: this.now() });
          if (event === 'stranger') {
            // Strangers' calls do not ring: they land as a missed call in the message request.
            store.addMessage({ conversation: e.sourceUsername, direction: 'in', clientId: c.id, senderAccountId: e.sourceAccountId, timestamp: c.ts, body: `Missed ${media === 'video' ? 'video' : 'voice'} call`, status: 'received' });
            stored = store.messages(e.sourceUsername).find((m) => m.clientId === c.id && m.direction === 'in');
          }
          if (event !== 'ring') content = undefined;
        } else if (known?.blocked) {
          // Why: a blocked sender's messages are decrypted (to keep the session in step) and dropped.
          content = undefined;
        } else if (c.kind === 'typing') {
          // Typing from strangers is not shown.
          if (!known?.accepted) content = undefined;
        } else if (c.kind === 'call') {
          // Call signaling from strangers is never acted on.
          if (!known?.accepted) content = undefined;
        } else if (c.kind === 'text') {
          const isNew = store.addMessage({
            conversation: e.sourceUsername,
            direction: 'in',
            clientId: c.id,
            senderAccountId: e.sourceAccountId,
            timestamp: c.ts,
            body: c.text,
            status: 'received',
          });
          if (isNew) stored = store.messages(e.sourceUsername).find((m) => m.clientId === c.id && m.direction === 'in');
        } else {
          // A receipt. Ticks only move forward: a late "delivered" never undoes "read".
          const rank: Record<string, number> = { sending: 0, sent: 1, delivered: 2, read: 3, received: 0 };
          const me = this.requireAccount().accountId;
          const ids = store
            .messages(e.sourceUsername)
            .filter((m) => m.direction === 'out' && c.ids.includes(m.clientId) && rank[m.status]! < rank[c.receipt]!)
            .map((m) => m.clientId);
          store.setStatus(me, ids, c.receipt);
        }
        if ((await store.getTrustLevel(from)) === 'changed') {
          this.emit({ type: 'identity-changed', username: e.sourceUsername, safetyNumber: await this.safetyNumberFor(e.sourceAccountId, (await store.getIdentity(from))!) });
        }
      });
    } catch (err) {
      if (!(err instanceof DuplicateMessage)) {
        // Undecryptable forever: acknowledge so it does not block the queue, and tell the app.
        this.emit({ type: 'decrypt-error', from: e.sourceUsername, error: err instanceof ProtocolError || err instanceof Error ? err.message : String(err) });
      }
    }
    this.connection?.ack(e.id);
    if (stored) {
      this.emit({ type: 'message', message: stored });
      // A missed-call note from a stranger is ours alone: no receipt goes back.
      if (content?.kind === 'text') void this.sendReceipt(e.sourceUsername, [stored.clientId]);
    } else if (content?.kind === 'receipt') {
      this.emit({ type: 'receipt', from: e.sourceUsername, receipt: content.receipt, ids: content.ids });
    } else if (content?.kind === 'typing') {
      this.emit({ type: 'typing', from: e.sourceUsername, typing: content.typing === 'started' });
    } else if (content?.kind === 'call') {
      await this.onCallMessage(e.sourceUsername, content.call);
    }
    if (e.messageType === 'prekey') void this.topUpPreKeys().catch(() => undefined);
  }

  /** Handles a call message from an accepted contact (runs inside the store lock). */
  private async onCallMessage(peer: string, c: CallMessage): Promise<void> {
    const call = this.calls.get(c.callId);
    const log = (a: ActiveCall, event: CallLogEntry['event']) =>
      this.opts.store.addCallLogEntry({ callId: a.callId, peer: a.peer, direction: a.direction, media: a.media, event, timestamp: this.now() });
    if (c.type === 'ring') {
      if (call) return; // a repeated ring
      const busy = [...this.calls.values()].some((x) => x.state !== 'ended');
      const a: ActiveCall = { callId: c.callId, peer, direction: 'in', media: c.media, state: busy ? 'ended' : 'ringing' };
      this.calls.set(c.callId, a);
      if (busy) {
        log(a, 'busy');
        await this.sendCall(peer, { type: 'busy', callId: c.callId }).catch(() => undefined);
        return;
      }
      this.emit({ type: 'call', event: 'incoming', callId: c.callId, peer, media: c.media });
      // If the caller's hang-up never arrives (they went offline), stop ringing anyway.
      // Under the store lock: the log entry must not land inside another operation's transaction.
      this.afterRingTimeout(() =>
        void this.lock.run(async () => {
          if (a.state !== 'ringing') return;
          a.state = 'ended';
          log(a, 'missed');
          this.addCallNote(a, `Missed ${a.media === 'video' ? 'video' : 'voice'} call`);
          this.emit({ type: 'call', event: 'ended', callId: a.callId, peer, media: a.media, reason: 'no-answer' });
        }).catch(() => undefined),
      );
      return;
    }
    // Why: anything but a ring for an unknown call, from someone else, or (for the
    // callee) before the local user accepted, is dropped unseen: no SDP or candidate
    // reaches the app before the answer.
    if (!call || call.peer !== peer || call.state === 'ended') return;
    const base = { callId: call.callId, peer, media: call.media };
    switch (c.type) {
      case 'accept':
        if (call.direction !== 'out' || call.state !== 'ringing') return;
        call.state = 'accepted';
        log(call, 'answered');
        this.emit({ type: 'call', event: 'accepted', ...base });
        return;
      case 'decline':
      case 'busy':
        if (call.direction !== 'out') return;
        call.state = 'ended';
        log(call, c.type === 'decline' ? 'declined' : 'busy');
        this.emit({ type: 'call', event: c.type === 'decline' ? 'declined' : 'busy', ...base });
        return;
      case 'hangup': {
        const missed = call.direction === 'in' && call.state === 'ringing';
        call.state = 'ended';
        log(call, missed ? 'missed' : 'ended');
        if (missed) this.addCallNote(call, `Missed ${call.media === 'video' ? 'video' : 'voice'} call`);
        this.emit({ type: 'call', event: 'ended', ...base });
        return;
      }
      case 'offer':
      case 'answer':
      case 'ice':
        if (call.state !== 'accepted') return;
        if (c.type === 'offer' && call.direction !== 'in') return;
        if (c.type === 'answer' && call.direction !== 'out') return;
        this.emit({ type: 'call', event: c.type, ...base, ...(c.type === 'ice' ? { candidate: c.candidate } : { sdp: c.sdp }) });
        return;
    }
  }

  private addCallNote(call: ActiveCall, body: string): void {
    const me = this.requireAccount();
    const sender = call.direction === 'in' ? (this.opts.store.contactByUsername(call.peer)?.accountId ?? call.peer) : me.accountId;
    this.opts.store.addMessage({ conversation: call.peer, direction: call.direction, clientId: `call-${call.callId}`, senderAccountId: sender, timestamp: this.now(), body, status: call.direction === 'in' ? 'received' : 'sent' });
  }

  private sendCall(username: string, call: CallMessage): Promise<void> {
    const content: Content = { v: 1, kind: 'call', id: this.newId(), ts: this.now(), call };
    // Ephemeral: the server keeps call messages for a minute at most.
    return this.sendContent(username, content, true);
  }

  /** Rings `username`. Only a `ring` is sent; the offer follows after they accept. */
  async startCall(username: string, media: 'audio' | 'video'): Promise<string> {
    this.requireAccount();
    const peer = username.toLowerCase();
    const callId = hex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
    const call: ActiveCall = { callId, peer, direction: 'out', media, state: 'ringing' };
    await this.lock.run(async () => {
      this.opts.store.addCallLogEntry({ callId, peer, direction: 'out', media, event: 'ring', timestamp: this.now() });
      await this.sendCall(peer, { type: 'ring', callId, media });
      const contact = this.opts.store.contactByUsername(peer);
      if (contact && !contact.accepted) this.opts.store.saveContact({ ...contact, accepted: true, blocked: false });
      this.calls.set(callId, call);
    });
    this.afterRingTimeout(() => {
      if (call.state !== 'ringing') return;
      void this.hangupCall(callId, 'Unanswered').then(
        () => this.emit({ type: 'call', event: 'ended', callId, peer, media, reason: 'no-answer' }),
        () => undefined,
      );
    });
    return callId;
  }

  /** Runs `fn` once the ring timeout has passed; never keeps a Node process alive by itself. */
  private afterRingTimeout(fn: () => void): void {
    const t = setTimeout(() => {
      this.ringTimers.delete(t);
      fn();
    }, this.opts.ringTimeoutMs ?? RING_TIMEOUT_MS);
    (t as { unref?: () => void }).unref?.();
    this.ringTimers.add(t);
  }

  private ringing(callId: string, direction: 'in' | 'out'): ActiveCall {
    const call = this.calls.get(callId);
    if (!call || call.direction !== direction || call.state === 'ended') throw new ClientError('SEND_FAILED', 'no such call in progress');
    return call;
  }

  /** The local user accepts an incoming call; only now may the caller's offer come through. */
  async acceptCall(callId: string): Promise<void> {
    const call = this.ringing(callId, 'in');
    if (call.state !== 'ringing') return;
    call.state = 'accepted';
    await this.lock.run(async () => {
      this.opts.store.addCallLogEntry({ callId, peer: call.peer, direction: 'in', media: call.media, event: 'answered', timestamp: this.now() });
      await this.sendCall(call.peer, { type: 'accept', callId });
    });
  }

  async declineCall(callId: string): Promise<void> {
    const call = this.ringing(callId, 'in');
    call.state = 'ended';
    await this.lock.run(async () => {
      this.opts.store.addCallLogEntry({ callId, peer: call.peer, direction: 'in', media: call.media, event: 'declined', timestamp: this.now() });
      await this.sendCall(call.peer, { type: 'decline', callId });
    });
  }

  /** Ends a call (or cancels an outgoing one that was not answered; `unansweredNote` is how the conversation shows that). */
  async hangupCall(callId: string, unansweredNote: 'Cancelled' | 'Unanswered' = 'Cancelled'): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.state === 'ended') return;
    const unanswered = call.direction === 'out' && call.state === 'ringing';
    call.state = 'ended';
    await this.lock.run(async () => {
      this.opts.store.addCallLogEntry({ callId, peer: call.peer, direction: call.direction, media: call.media, event: unanswered ? 'missed' : 'ended', timestamp: this.now() });
      if (unanswered) this.addCallNote(call, `${unansweredNote} ${call.media === 'video' ? 'video' : 'voice'} call`);
      await this.sendCall(call.peer, { type: 'hangup', callId });
    });
  }

  /** Sends SDP or an ICE candidate; only for a call both sides accepted. */
  async sendCallSignal(callId: string, signal: { type: 'offer' | 'answer'; sdp: string } | { type: 'ice'; candidate: string }): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.state !== 'accepted') throw new ClientError('SEND_FAILED', 'the call is not accepted; signaling waits for the answer');
    await this.lock.run(() => this.sendCall(call.peer, { ...signal, callId }));
  }

  /** The append-only call log. */
  callLog(): CallLogEntry[] {
    return this.opts.store.callLog();
  }

  private async sendReceipt(username: string, ids: string[]): Promise<void> {
    const content: Content = { v: 1, kind: 'receipt', id: this.newId(), ts: this.now(), receipt: 'delivered', ids };
    await this.lock.run(() => this.sendContent(username, content)).catch(() => undefined);
  }

  /**
   * The user has seen `conversation`: marks its incoming messages seen and tells the
   * sender with a read receipt.
   */
  async markRead(conversation: string): Promise<void> {
    const user = conversation.toLowerCase();
    const unseen = this.opts.store.messages(user, true);
    if (unseen.length === 0) return;
    this.opts.store.markSeen(unseen.map((m) => m.rowId));
    // Why: until a message request is accepted, the stranger learns nothing about reading.
    if (this.isRequest(user)) return;
    const content: Content = { v: 1, kind: 'receipt', id: this.newId(), ts: this.now(), receipt: 'read', ids: unseen.map((m) => m.clientId).slice(-100) };
    await this.lock.run(() => this.sendContent(user, content)).catch(() => undefined);
  }

  /** True when `username` wrote to us first and we have not accepted them (a message request). */
  isRequest(username: string): boolean {
    const c = this.opts.store.contactByUsername(username.toLowerCase());
    return !!c && !c.accepted && !c.blocked;
  }

  /** Accepts a message request: read receipts and typing now flow both ways. */
  async acceptRequest(username: string): Promise<void> {
    const user = username.toLowerCase();
    const c = this.opts.store.contactByUsername(user);
    if (!c) throw new ClientError('UNKNOWN_USER', `no conversation with ${user}`);
    this.opts.store.saveContact({ ...c, accepted: true, blocked: false });
    // Their messages were read while the request was pending; say so now.
    const incoming = this.opts.store.messages(user).filter((m) => m.direction === 'in');
    this.opts.store.markSeen(incoming.filter((m) => !m.seen).map((m) => m.rowId));
    if (incoming.length === 0) return;
    const content: Content = { v: 1, kind: 'receipt', id: this.newId(), ts: this.now(), receipt: 'read', ids: incoming.map((m) => m.clientId).slice(-100) };
    await this.lock.run(() => this.sendContent(user, content)).catch(() => undefined);
  }

  /** Blocks `username`: their messages are dropped from now on and the conversation is removed. */
  blockContact(username: string): void {
    const user = username.toLowerCase();
    const c = this.opts.store.contactByUsername(user);
    if (c) this.opts.store.saveContact({ ...c, accepted: false, blocked: true });
    this.opts.store.deleteConversation(user);
  }

  /** Deletes a conversation (a declined request stays a request if they write again). */
  deleteConversation(username: string): void {
    this.opts.store.deleteConversation(username.toLowerCase());
  }

  /** Tells an accepted contact that we started or stopped typing (never sent to strangers). */
  async sendTyping(username: string, started: boolean): Promise<void> {
    const user = username.toLowerCase();
    if (!this.opts.store.contactByUsername(user)?.accepted) return;
    const content: Content = { v: 1, kind: 'typing', id: this.newId(), ts: this.now(), typing: started ? 'started' : 'stopped' };
    // Ephemeral: a typing notice is worthless minutes later.
    await this.lock.run(() => this.sendContent(user, content, true)).catch(() => undefined);
  }

  /** Conversations (by username), newest activity first, with unread counts and request state. */
  conversations(): Array<{ username: string; last: StoredMessage; unread: number; request: boolean }> {
    const by = new Map<string, { username: string; last: StoredMessage; unread: number; request: boolean }>();
    for (const m of this.opts.store.messages()) {
      const c = by.get(m.conversation) ?? { username: m.conversation, last: m, unread: 0, request: this.isRequest(m.conversation) };
      c.last = m;
      if (m.direction === 'in' && !m.seen) c.unread++;
      by.set(m.conversation, c);
    }
    return [...by.values()].sort((a, b) => b.last.rowId - a.last.rowId);
  }

  messages(conversation?: string, onlyUnseen = false): StoredMessage[] {
    return this.opts.store.messages(conversation?.toLowerCase(), onlyUnseen);
  }

  markSeen(messages: readonly StoredMessage[]): void {
    this.opts.store.markSeen(messages.map((m) => m.rowId));
  }

  close(): void {
    for (const t of this.ringTimers) clearTimeout(t);
    this.ringTimers.clear();
    this.disconnect();
    this.opts.store.close();
  }
}

export function createClient(opts: ClientOptions): ParleyClient {
  return new ParleyClient(opts);
}
