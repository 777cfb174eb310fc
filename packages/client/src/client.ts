/**
 * The Parley SDK's facade: `createClient(options)` wires the store, transports,
 * clock and event bus once and hands out a `ParleyClient` whose methods delegate
 * to the concept modules (account/, sessions/, contacts/, conversations/, calls/,
 * groups/, devices/, sync/, retry/, receive/). It holds no logic of its own beyond
 * the connection's lifecycle.
 */
import { LIMITS, type EnvelopeFrame, type Feature, type WireError } from '@parley/wire';
import { register } from './account/register.ts';
import { Attachments, type SendAttachmentOptions, type TransferOptions } from './attachments/attachments.ts';
import { MemoryAttachmentFiles, toBlob, type AttachmentFiles, type AttachmentSource } from './attachments/files.ts';
import { topUpPreKeys } from './account/prekeys.ts';
import { Calls, RING_TIMEOUT_MS } from './calls/calls.ts';
import type { CallSuspicion } from './calls/suspicion.ts';
import { MemoryNoticeKeeper, Notices, type NoticeCheck, type NoticeKeeper, type SecurityNotice } from './notices/notices.ts';
import { blockContact, unblockContact, type BlockOptions } from './contacts/blocking.ts';
import { acceptRequest, deleteConversation, isRequest } from './contacts/contacts.ts';
import { deleteForMe } from './conversations/delete-for-me.ts';
import { deleteForEveryone, editMessage, findMessage, onChange, quoteOf, react, removeReaction } from './conversations/changes.ts';
import { findConversation, listConversations, type ConversationSummary } from './conversations/conversations.ts';
import { isConversationId } from './conversations/ids.ts';
import { markRead, markSeen, onReceipt, onText, onTyping, sendMessage, sendText, sendTyping } from './conversations/messages.ts';
import { listDevices, rememberOwnDevices, unlinkDevice, type DeviceInfo } from './devices/devices.ts';
import { linkAsNewDevice, linkOtherDevice, type LinkProgress } from './devices/link.ts';
import { listSessions, rotateCredentials, settlePasswordChange, type SessionInfo } from './devices/credentials.ts';
import { ClientError } from './errors.ts';
import { EventBus, type Listener } from './events.ts';
import { acceptGroup, addMembers, createGroup, leaveGroup, listGroups, removeMembers, renameGroup, resolveGroup, setAdmin } from './groups/groups.ts';
import { onGroupKeys } from './groups/sender-keys.ts';
import { ExpirySweeper, onTimer, setTimer, sweepExpired, timerOf } from './disappearing/disappearing.ts';
import { requireAccount, type ClientContext } from './internal/context.ts';
import { Mutex } from './internal/mutex.ts';
import { uuid } from './internal/random.ts';
import { ensureProfile, Profiles, type Profile, type ProfileChanges } from './profiles/profiles.ts';
import { handleEnvelope, WaitingForKeys, type PipelineDeps } from './receive/pipeline.ts';
import { requestRetry, retryHandler, RetryLimiter } from './retry/retry.ts';
import { SenderCertificates } from './sealed/certificates.ts';
import { safetyNumber, trust } from './sessions/sessions.ts';
import type { AccountInfo, AccountSettings, CallLogEntry, ConversationId, GroupRecord, StoredMessage } from './storage/records.ts';
import type { ClientStore } from './storage/store.ts';
import { onSync, sendSync } from './sync/sync.ts';
import { HttpTransport } from './transport/http.ts';
import { ServerConnection, type WebSocketFactory } from './transport/socket.ts';
import { UnidentifiedConnection } from './transport/unidentified-socket.ts';

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
  /** Where downloaded attachments (and downloads in progress) are kept (default: in memory). */
  readonly attachmentFiles?: AttachmentFiles;
  /**
   * Attachments from contacts (and our own other devices, and accepted groups) up to this
   * size download by themselves as they arrive; 0 turns that off. Default 16 MiB.
   */
  readonly autoDownloadMaxBytes?: number;
  /** Where this device keeps the operator's security notices and pinned key (default: in memory). */
  readonly noticeKeeper?: NoticeKeeper;
  /** The operator's notice key, when the app ships with it; otherwise the first one seen is pinned. */
  readonly noticeKey?: Uint8Array;
  /** The server's sealed-sender trust root (33 bytes), when the app ships with it; otherwise the first one seen is pinned. */
  readonly sealedSenderTrustRoot?: Uint8Array;
}

/** Default for `ClientOptions.autoDownloadMaxBytes`. */
export const AUTO_DOWNLOAD_MAX_BYTES = 16 * 1024 * 1024;


/** Where test-support.ts finds a client's context; not part of the API. */
export const CONTEXT = Symbol('parley.client.context');

export class ParleyClient {
  readonly http: HttpTransport;
  private readonly ctx: ClientContext;
  private readonly bus = new EventBus();
  private readonly calls: Calls;
  private readonly securityNotices: Notices;
  private readonly transfers: Attachments;
  private readonly pipeline: PipelineDeps;
  private readonly sweeper: ExpirySweeper;
  private readonly profiles: Profiles;
  private connection: ServerConnection | undefined;
  /** Opened and closed with `connection`; never reported as a connection (it has no identity). */
  private unidentified: UnidentifiedConnection | undefined;
  private closed = false;

  /**
   * Resolves when the server has sent everything that was queued at connect time; rejects
   * if the connection fails for good first (what arrived until then is stored).
   */
  drained: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ClientOptions) {
    this.http = new HttpTransport({ baseUrl: opts.serverUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.version ? { version: opts.version } : {}) });
    const a = opts.store.account.get();
    if (a) this.http.credentials = { accountId: a.accountId, deviceId: a.deviceId, password: a.password };
    const lock = new Mutex();
    this.ctx = {
      store: opts.store,
      http: this.http,
      events: this.bus,
      lock,
      now: opts.now ?? Date.now,
      newId: opts.randomId ?? uuid,
      connection: () => this.connection,
      unidentified: () => this.unidentified,
      certificates: new SenderCertificates(opts.sealedSenderTrustRoot),
      later: (task, what = 'background work') => {
        if (this.closed) return;
        void lock.run(task).catch((e: unknown) => {
          if (!this.closed) this.bus.emit({ type: 'background-error', task: what, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
        });
      },
    };
    Object.defineProperty(this, CONTEXT, { value: this.ctx, enumerable: false });
    this.securityNotices = new Notices(opts.noticeKeeper ?? new MemoryNoticeKeeper(), opts.noticeKey);
    this.calls = new Calls(this.ctx, opts.ringTimeoutMs ?? RING_TIMEOUT_MS, undefined, (f) => this.securityNotices.isDisabled(f));
    this.transfers = new Attachments(this.ctx, opts.attachmentFiles ?? new MemoryAttachmentFiles(), opts.autoDownloadMaxBytes ?? AUTO_DOWNLOAD_MAX_BYTES);
    // Every message that arrives with an attachment (after its commit) may download by itself.
    this.bus.on((e) => {
      if (e.type === 'message' && e.message.attachment) this.transfers.schedule(e.message);
      // A message deleted for everyone takes its file with it.
      if ((e.type === 'message-changed' && e.change === 'delete') || (e.type === 'messages' && e.removed)) void this.transfers.prune().catch(() => undefined);
    });
    this.profiles = new Profiles(this.ctx);
    const limiter = new RetryLimiter(this.ctx.now);
    this.pipeline = {
      ctx: this.ctx,
      waiting: new WaitingForKeys(),
      handlers: { text: onText, receipt: onReceipt, typing: onTyping, call: this.calls.onCallMessage, 'group-keys': onGroupKeys, sync: onSync, retry: retryHandler(limiter), reaction: onChange, edit: onChange, delete: onChange, timer: onTimer, 'profile-key': this.profiles.onProfileKey },
      onUndecryptable: (e) => requestRetry(this.ctx, limiter, e),
      certificates: this.ctx.certificates,
      ack: (id) => this.connection?.ack(id),
    };
    this.sweeper = new ExpirySweeper(this.ctx, () => void this.transfers.prune().catch(() => undefined));
    this.sweeper.start();
  }

  on(listener: Listener): () => void {
    return this.bus.on(listener);
  }

  get account(): AccountInfo | undefined {
    return this.opts.store.account.get();
  }

  // ---- account and devices

  /** Creates the account: identity, prekeys and credentials are generated on this device. */
  register(username: string, onProgress?: (step: string) => void): Promise<AccountInfo> {
    return register(this.ctx, username, onProgress);
  }

  /** Uploads fresh one-time prekeys when the server is running low (or `force`). */
  topUpPreKeys(force = false): Promise<void> {
    return this.ctx.lock.run(() => topUpPreKeys(this.ctx, force));
  }

  readonly devices = {
    /** New device: shows a code (through `ui`) and waits until a linked device enters it. */
    linkAsNew: (name: string, ui: LinkProgress): Promise<AccountInfo> => linkAsNewDevice(this.ctx, name, ui),
    /** Linked device: sends the account to the device showing `code`; returns the new device id. */
    link: (code: string, onProgress?: (step: string) => void): Promise<number> => linkOtherDevice(this.ctx, code, onProgress),
    list: (): Promise<DeviceInfo[]> => listDevices(this.ctx),
    unlink: (deviceId: number): Promise<void> => unlinkDevice(this.ctx, deviceId),
    /**
     * Changes this device's password: every connection made with the old one (a stolen
     * copy included) is closed on every server node; this client reconnects with the new one.
     */
    rotateCredentials: (): Promise<void> => rotateCredentials(this.ctx),
    /** The open connections of the account's devices (this device's first): more than you have open means a copy is in use. */
    sessions: (): Promise<SessionInfo[]> => listSessions(this.ctx),
  };

  // ---- connection

  /** Opens the live connection; envelopes are processed as they arrive. */
  async connect(options: { reconnect?: boolean } = {}): Promise<void> {
    // A password change whose answer was lost is finished first (unreachable: the connection says so below).
    await settlePasswordChange(this.ctx).catch(() => undefined);
    const a = requireAccount(this.ctx);
    let drained: () => void = () => undefined;
    let lost: (e: WireError) => void = () => undefined;
    this.drained = new Promise((resolve, reject) => {
      drained = resolve;
      lost = reject;
    });
    // Why: a caller that never awaits `drained` must not see an unhandled rejection.
    this.drained.catch(() => undefined);
    // Sealed sends go over it once it is open (HTTP until then); it reconnects by itself.
    const unidentified = new UnidentifiedConnection({
      baseUrl: this.http.baseUrl,
      createWebSocket: this.opts.createWebSocket,
      ...(this.opts.version ? { version: this.opts.version } : {}),
      idleTimeoutMs: this.opts.idleTimeoutMs ?? LIMITS.clientIdleTimeoutMs,
    });
    this.connection = new ServerConnection({
      baseUrl: this.http.baseUrl,
      // Why read each time: a password change (devices.rotateCredentials) must reach the next reconnection.
      credentials: () => this.http.credentials ?? { accountId: a.accountId, deviceId: a.deviceId, password: a.password },
      createWebSocket: this.opts.createWebSocket,
      reconnect: options.reconnect ?? true,
      ...(this.opts.version ? { version: this.opts.version } : {}),
      idleTimeoutMs: this.opts.idleTimeoutMs ?? LIMITS.clientIdleTimeoutMs,
      onEnvelope: (e) => this.ctx.lock.run(() => this.receive(e)),
      onQueueEmpty: () => drained(),
      onState: (state, error) => {
        // A connection that failed for good will never say the queue is empty.
        if (state === 'closed' && error) lost(error);
        // The unidentified connection lives as long as this one.
        if (state === 'closed') unidentified.close();
        this.bus.emit({ type: 'connection', state, ...(error ? { error } : {}) });
      },
    });
    await this.connection.open();
    this.unidentified?.close();
    this.unidentified = unidentified;
    unidentified.open();
    // Our own devices (for sync messages) and prekeys, in the background.
    void this.http
      .devices()
      .then((list) => rememberOwnDevices(this.ctx, list.map((d) => d.deviceId)))
      .catch(() => undefined);
    void this.topUpPreKeys().catch(() => undefined);
    void this.checkNotices().catch(() => undefined);
    void this.transfers.prune().catch(() => undefined);
    // A profile key for accounts made before profiles, and an upload that did not get through.
    void ensureProfile(this.ctx).catch(() => undefined);
  }

  private async receive(e: EnvelopeFrame): Promise<void> {
    await handleEnvelope(this.pipeline, e);
    // Why not this.topUpPreKeys(): `later` already runs under the lock, and the lock is not re-entrant.
    if (e.messageType === 'prekey') this.ctx.later(() => topUpPreKeys(this.ctx), 'prekey top-up');
  }

  disconnect(): void {
    this.connection?.close();
    this.connection = undefined;
    this.unidentified?.close();
    this.unidentified = undefined;
  }

  close(): void {
    this.closed = true;
    this.calls.close();
    this.sweeper.stop();
    this.transfers.close();
    this.disconnect();
    this.opts.store.close();
  }

  // ---- conversations and messages

  /** Sends a text message to a username or a conversation; resolves when the server has stored it for every device. */
  sendText(to: string, text: string): Promise<StoredMessage> {
    return sendText(this.ctx, to, text);
  }

  /** Replies to `message` in its conversation: the reply quotes its id, author and the start of its text. */
  reply(message: StoredMessage, text: string): Promise<StoredMessage> {
    if (text.length === 0) return Promise.reject(new ClientError('SEND_FAILED', 'a reply needs text'));
    return sendMessage(this.ctx, message.conversation, text, undefined, this.ctx.newId(), quoteOf(message));
  }

  /**
   * The chat message that `id` names in `conversation` (an id, username or group name): a full
   * content id or a prefix of at least 4 characters (`shortId(m)` gives 8). UNKNOWN_MESSAGE if none or several.
   */
  findMessage(conversation: string, id: string): StoredMessage {
    return findMessage(this.ctx, conversation, id);
  }

  /** Reacts with one emoji, replacing our earlier reaction to it (INVALID_REACTION if not an emoji). A `message-changed` event follows. */
  react(message: StoredMessage, emoji: string): Promise<StoredMessage> {
    return react(this.ctx, message, emoji);
  }

  /** Takes our reaction to `message` back. */
  removeReaction(message: StoredMessage): Promise<StoredMessage> {
    return removeReaction(this.ctx, message);
  }

  /** Changes the text of our own message for everyone, within 24 hours (NOT_EDITABLE otherwise); `edits` counts the changes. */
  editMessage(message: StoredMessage, text: string): Promise<StoredMessage> {
    return editMessage(this.ctx, message, text);
  }

  /** Deletes our own message for everyone, within 24 hours: every device of every member keeps only a tombstone (`deleted`). */
  deleteMessage(message: StoredMessage): Promise<StoredMessage> {
    return deleteForEveryone(this.ctx, message);
  }

  /**
   * Deletes messages (anyone's, any age) from this device and our other linked devices
   * only; the others in the conversation keep theirs. Their files go too.
   */
  deleteForMe(...messages: StoredMessage[]): Promise<void> {
    return deleteForMe(this.ctx, messages);
  }

  /**
   * Searches the messages on this device: chat messages whose text contains `text`, any case,
   * newest first (at most `limit`, default 100), in one conversation (id, username or group
   * name) or all. Deleted and disappeared messages are never found. Nothing leaves the device.
   */
  search(text: string, options: { conversation?: string; limit?: number } = {}): StoredMessage[] {
    const conversation = options.conversation === undefined ? undefined : findConversation(this.ctx, options.conversation);
    if (options.conversation !== undefined && !conversation) return [];
    const now = this.ctx.now();
    return this.opts.store.messages
      .search(text, { ...(conversation ? { conversation } : {}), ...(options.limit ? { limit: options.limit } : {}) })
      .filter((m) => m.expiresAt === undefined || m.expiresAt > now);
  }

  /** The account's settings (the same on each of its devices). */
  settings(): AccountSettings {
    return this.opts.store.settings.get();
  }

  /**
   * Read receipts on (default) or off. Off: we send none and show nobody's (our messages stop at
   * "delivered"), as Signal does. Synced to our other devices; a `settings` event follows.
   */
  async setReadReceipts(on: boolean): Promise<void> {
    requireAccount(this.ctx);
    await this.ctx.lock.run(async () => {
      await this.ctx.store.transaction(async (tx) => tx.settings.save({ ...tx.settings.get(), readReceipts: on }));
      this.bus.emit({ type: 'settings' });
      await sendSync(this.ctx, { type: 'settings', readReceipts: on }).catch(() => undefined);
    });
  }

  /** Every conversation (direct and group), newest activity first. */
  conversations(): ConversationSummary[] {
    return listConversations(this.ctx);
  }

  /** A person's username by account id: a contact, or a member of one of our groups ("someone" if unknown). */
  displayName(accountId: string): string {
    const c = this.opts.store.contacts.byId(accountId);
    if (c) return c.username;
    for (const g of this.opts.store.groups.all()) {
      const m = g.members.find((x) => x.accountId === accountId);
      if (m) return m.username;
    }
    return 'someone';
  }

  /** The account behind a username (UNKNOWN_USER if none), without starting a session or using a prekey. */
  async lookup(username: string): Promise<{ accountId: string; username: string }> {
    return this.http.lookup(username.toLowerCase());
  }

  /** The conversation a username, group name or id names (undefined for someone we never talked to). */
  conversation(ref: string): ConversationId | undefined {
    return findConversation(this.ctx, ref);
  }

  /** Messages of one conversation (by id, username or group name), or of all (never a disappearing one whose time is up). */
  messages(conversation?: string, onlyUnseen = false): StoredMessage[] {
    const now = this.ctx.now();
    const live = (m: StoredMessage) => m.expiresAt === undefined || m.expiresAt > now;
    if (conversation === undefined) return this.opts.store.messages.list(undefined, onlyUnseen).filter(live);
    const id = findConversation(this.ctx, conversation);
    return id ? this.opts.store.messages.list(id, onlyUnseen).filter(live) : [];
  }

  /**
   * Turns disappearing messages on (`seconds`, 1 s to 4 weeks) or off (0) in a conversation, for
   * everyone in it: they see a system line, and messages sent from then on are deleted on every
   * device `seconds` after they were read there (after sending, on the sender's devices).
   */
  async setDisappearing(conversation: string, seconds: number): Promise<void> {
    const id = findConversation(this.ctx, conversation);
    if (!id) throw new ClientError('UNKNOWN_USER', `no conversation with ${conversation}`);
    await setTimer(this.ctx, id, seconds);
  }

  /** A conversation's disappearing-message timer in seconds (0: off). */
  disappearingTimer(conversation: string): number {
    const id = findConversation(this.ctx, conversation);
    return id ? timerOf(this.ctx, id) : 0;
  }

  /** Deletes the disappearing messages whose time is up now (the client also does this every second by itself). */
  async sweepExpired(): Promise<number> {
    const deleted = await this.ctx.lock.run(() => sweepExpired(this.ctx));
    if (deleted.length) await this.transfers.prune().catch(() => undefined);
    return deleted.length;
  }

  /** The user has seen a conversation: read receipts to its senders (unless a request) and to our other devices. */
  async markRead(conversation: string): Promise<void> {
    const id = findConversation(this.ctx, conversation);
    if (id) await markRead(this.ctx, id);
  }

  /** Marks messages seen on this device only. */
  markSeen(messages: readonly StoredMessage[]): Promise<void> {
    return markSeen(this.ctx, messages);
  }

  sendTyping(to: string, started: boolean): Promise<void> {
    return sendTyping(this.ctx, to, started);
  }

  // ---- profiles

  /**
   * Sets our profile name and/or picture (`name: ''` or `avatar: null` removes one; what is left
   * out stays). Sealed under our profile key before it leaves the device, uploaded, synced to our
   * other devices and announced to our contacts. INVALID_PROFILE (nothing changed) for a name
   * over 128 characters or with control characters, or a picture over 512 KiB.
   */
  setProfile(changes: ProfileChanges): Promise<Profile> {
    return this.profiles.set(changes);
  }

  /** Our own profile (name, picture) as this device knows it. */
  async profile(): Promise<Profile> {
    requireAccount(this.ctx);
    return this.profiles.own();
  }

  /**
   * A contact's profile, decrypted with the profile key they shared with us (fetched, then
   * cached by version): `{}` when they have not shared it (strangers) or we blocked them.
   * PROFILE_UNREADABLE when what the server has does not decrypt.
   */
  profileOf(username: string): Promise<Profile> {
    return this.profiles.of(username);
  }

  /** A contact's profile name as last fetched (no network), if known. */
  profileName(username: string): string | undefined {
    return this.opts.store.contacts.byUsername(username.toLowerCase())?.profileName;
  }

  // ---- contacts

  /** True when `username` wrote to us first and we have not accepted them (a message request). */
  isRequest(username: string): boolean {
    return isRequest(this.ctx, username);
  }

  /** Accepts a message request; what its conversation holds of attachments starts downloading. */
  async acceptRequest(username: string): Promise<void> {
    await acceptRequest(this.ctx, username);
    const id = findConversation(this.ctx, username);
    if (id) this.transfers.scheduleConversation(id);
  }

  /** Blocks `username`; the conversation stays unless `{ deleteChat: true }` (here and on our other devices). */
  async blockContact(username: string, opts: BlockOptions = {}): Promise<void> {
    await blockContact(this.ctx, username, opts);
    await this.transfers.prune();
  }

  /** Whether we blocked `username` (false for someone we never talked to). */
  isBlocked(username: string): boolean {
    return !!this.opts.store.contacts.byUsername(username.toLowerCase())?.blocked;
  }

  unblockContact(username: string): Promise<void> {
    return unblockContact(this.ctx, username);
  }

  async deleteConversation(conversation: string): Promise<void> {
    const id = isConversationId(conversation) ? conversation : findConversation(this.ctx, conversation);
    if (id) await deleteConversation(this.ctx, id);
    await this.transfers.prune();
  }

  safetyNumber(username: string): Promise<{ displayable: string; scannable: Uint8Array }> {
    return safetyNumber(this.ctx, username);
  }

  trust(username: string): Promise<string> {
    return trust(this.ctx, username);
  }

  // ---- groups

  readonly groups = {
    create: (name: string, usernames: readonly string[]): Promise<GroupRecord> => createGroup(this.ctx, name, usernames),
    add: (group: string, usernames: readonly string[]): Promise<GroupRecord> => addMembers(this.ctx, group, usernames),
    remove: (group: string, usernames: readonly string[]): Promise<GroupRecord> => removeMembers(this.ctx, group, usernames),
    rename: (group: string, name: string): Promise<GroupRecord> => renameGroup(this.ctx, group, name),
    setAdmin: (group: string, username: string, admin: boolean): Promise<GroupRecord> => setAdmin(this.ctx, group, username, admin),
    leave: (group: string): Promise<void> => leaveGroup(this.ctx, group),
    accept: async (group: string): Promise<void> => {
      await acceptGroup(this.ctx, group);
      this.transfers.scheduleConversation(`group:${resolveGroup(this.ctx, group).groupId}`);
    },
    list: (): GroupRecord[] => listGroups(this.ctx),
    /** The group named by its id or (unique) name. */
    get: (group: string): GroupRecord => resolveGroup(this.ctx, group),
    send: (group: string, text: string): Promise<StoredMessage> => sendText(this.ctx, `group:${resolveGroup(this.ctx, group).groupId}`, text),
    /** Sends a file to the group (see `attachments.send`). */
    sendAttachment: (group: string, source: AttachmentSource, options?: SendAttachmentOptions): Promise<StoredMessage> =>
      this.attachments.send(`group:${resolveGroup(this.ctx, group).groupId}`, source, options),
  };

  // ---- attachments

  readonly attachments = {
    /**
     * Encrypts `source` under a fresh key, uploads it in chunks (resuming after failures;
     * `onProgress` as it goes), then sends the message that points to it to a username or
     * a conversation. Resolves with the stored message once the server has it for every device.
     */
    send: (to: string, source: AttachmentSource, options: SendAttachmentOptions = {}): Promise<StoredMessage> => this.transfers.send(to, source, options),
    /**
     * Downloads, verifies (length, MAC, digest) and decrypts a message's attachment onto this
     * device, resuming after failures. ATTACHMENT_FROM_STRANGER before a request is accepted;
     * ATTACHMENT_INVALID (and nothing kept) if it does not verify; ATTACHMENT_UNAVAILABLE once
     * it expired on the server. Resolves with the message in its new state.
     */
    download: (message: StoredMessage, options?: TransferOptions): Promise<StoredMessage> => this.transfers.download(message, options),
    /** The plaintext of a downloaded attachment, read by offset. */
    open: (message: StoredMessage): Promise<AttachmentSource> => this.transfers.open(message),
    /** A downloaded attachment as a Blob of its content type (for `URL.createObjectURL`). */
    blob: async (message: StoredMessage): Promise<Blob> => toBlob(await this.transfers.open(message), message.attachment?.contentType ?? 'application/octet-stream'),
    /** Whether the message's attachment may be downloaded and shown (ours, a contact's, an accepted group's). */
    allowed: (message: StoredMessage): boolean => this.transfers.allowed(message),
  };

  // ---- calls

  /** Rings `username`. Only a `ring` is sent; the offer follows after they accept. */
  startCall(username: string, media: 'audio' | 'video'): Promise<string> {
    return this.calls.start(username, media);
  }

  /** The local user accepts an incoming call; only now may the caller's offer come through. */
  acceptCall(callId: string): Promise<void> {
    return this.calls.accept(callId);
  }

  declineCall(callId: string): Promise<void> {
    return this.calls.decline(callId);
  }

  /** Ends a call (or cancels an outgoing one that was not answered). */
  hangupCall(callId: string, unansweredNote: 'Cancelled' | 'Unanswered' = 'Cancelled'): Promise<void> {
    return this.calls.hangup(callId, unansweredNote);
  }

  /** Sends SDP or an ICE candidate; only for a call both sides accepted. */
  sendCallSignal(callId: string, signal: { type: 'offer' | 'answer'; sdp: string } | { type: 'ice'; candidate: string }): Promise<void> {
    return this.calls.signal(callId, signal);
  }

  /** The append-only call log. */
  callLog(): CallLogEntry[] {
    return this.opts.store.callLog.list();
  }

  /**
   * Strangers' calls of the last day that hung up before or right after ringing, and
   * whether they make a pattern to warn about (the app offers strict mode then).
   */
  callSuspicion(): CallSuspicion {
    return this.calls.suspicion();
  }

  /**
   * Fetches the operator's security notices and the server's kill switch (also done on
   * every connect). Fresh, verified notices are kept and announced as `security-notice`
   * events; forged, altered, misaddressed, expired and replayed ones are refused.
   */
  async checkNotices(): Promise<NoticeCheck> {
    const a = requireAccount(this.ctx);
    const res = await this.http.notices();
    const check = this.securityNotices.apply(res, a.username, this.ctx.now());
    for (const notice of check.fresh) this.bus.emit({ type: 'security-notice', notice });
    return check;
  }

  /** Every security notice this device accepted, newest first. */
  notices(): SecurityNotice[] {
    return this.securityNotices.list();
  }

  /** Whether the server has switched a feature off for everyone (as of the last check). */
  featureDisabled(feature: Feature): boolean {
    return this.securityNotices.isDisabled(feature);
  }

  /** TURN credentials for relaying calls; undefined when the server has no relay. */
  turnCredentials(): Promise<{ urls: readonly string[]; username: string; credential: string; ttl: number } | undefined> {
    return this.http.turnCredentials();
  }
}

export function createClient(opts: ClientOptions): ParleyClient {
  return new ParleyClient(opts);
}
