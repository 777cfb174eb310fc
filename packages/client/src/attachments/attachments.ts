/**
 * Attachments on this device: encrypting and uploading a file in chunks (resuming
 * at the offset the server has after a failure), and downloading one (resuming by
 * byte range), verifying it in full, then decrypting it into the device's
 * attachment files. "Strangers get less": nothing from someone who is not a
 * contact (or from a group not accepted) is downloaded; such a download fails
 * with ATTACHMENT_FROM_STRANGER, and only contacts' attachments download by
 * themselves (up to `autoDownloadMaxBytes`).
 *
 * Network and crypto run outside the operation lock (a 100 MB transfer must not
 * stop messages); only the state change takes it, for one short transaction.
 * State: the downloads in progress (one per message) and the queue of automatic
 * ones, in memory.
 */
import { attachmentCiphertextSize, WireError } from '@parley/wire';
import type { AttachmentPointer } from '../content/attachment.ts';
import { CONTENT_TYPE_PATTERN, MAX_FILE_NAME_LENGTH } from '../content/attachment.ts';
import { groupAccepted, relationship } from '../contacts/policy.ts';
import { parseConversation } from '../conversations/ids.ts';
import { resolveTarget, sendMessage } from '../conversations/messages.ts';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { randomBytes } from '../internal/random.ts';
import type { AttachmentState, StoredMessage } from '../storage/records.ts';
import { AttachmentEncryptor, decryptAttachment, verifyAttachment } from './cipher.ts';
import type { AttachmentFiles, AttachmentSource } from './files.ts';

/** What the sender says about a file besides its bytes (all optional; the type defaults to application/octet-stream). */
export interface AttachmentMeta {
  readonly fileName?: string;
  readonly contentType?: string;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  readonly voiceNote?: boolean;
  readonly thumbnail?: Uint8Array;
}

export interface TransferOptions {
  /** Called as bytes move: `done` of `total` (ciphertext bytes, so it ends at 100%). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** How to send an attachment: what the message says about it, a caption, progress and cancelling. */
export interface SendAttachmentOptions extends AttachmentMeta, TransferOptions {
  /** The message's text beside the attachment (may be empty). */
  readonly caption?: string;
  /** Keep a copy of the file on this device (so our own message shows it); default true. */
  readonly keepCopy?: boolean;
}

/** Waits before each retry of a failed chunk or download (then it gives up). */
export const RETRY_DELAYS_MS = [250, 1000, 3000, 6000, 10_000] as const;

/** Failures worth another attempt: the network, the server's own trouble (its disk full or database down for a moment), a lost race on the offset. */
function retryable(e: unknown): boolean {
  return e instanceof WireError && ['SERVER_UNREACHABLE', 'TIMEOUT', 'INTERNAL', 'UNAVAILABLE', 'RATE_LIMITED', 'CONFLICT'].includes(e.code);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

/** An attachment-failed event's code and sentence for `e`. */
function failure(e: unknown): { code: string; error: string } {
  if (e instanceof ClientError || e instanceof WireError) return { code: e.code, error: e.message };
  return { code: 'INTERNAL', error: e instanceof Error ? e.message : String(e) };
}

/** The name a message's attachment is kept under on this device (never the sender's file name). */
export function localName(m: Pick<StoredMessage, 'senderAccountId' | 'clientId'>): string {
  return `${m.senderAccountId}_${m.clientId}`;
}

/** The pointer's own fields (a stored attachment minus its state). */
function pointerOf(a: AttachmentPointer & { state?: AttachmentState }): AttachmentPointer {
  const { state: _s, ...p } = a;
  return p;
}

export class Attachments {
  private readonly downloads = new Map<string, Promise<StoredMessage>>();
  /** Copies of files being sent, kept before their message is stored (pruning leaves them). */
  private readonly sending = new Set<string>();
  private readonly queue: StoredMessage[] = [];
  private draining = false;
  private closed = false;

  constructor(
    private readonly ctx: ClientContext,
    readonly files: AttachmentFiles,
    private readonly autoDownloadMaxBytes: number,
  ) {}

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  // ---- sending

  /**
   * Uploads `source` and sends the message pointing to it to `to` (a username or a
   * conversation). The conversation is resolved first, so an unknown user fails before
   * anything is uploaded.
   */
  async send(to: string, source: AttachmentSource, options: SendAttachmentOptions = {}): Promise<StoredMessage> {
    const me = requireAccount(this.ctx);
    const conversation = await resolveTarget(this.ctx, to);
    try {
      const pointer = await this.upload(source, options, options);
      const mine = { senderAccountId: me.accountId, clientId: this.ctx.newId() };
      const name = localName(mine);
      let state: AttachmentState = 'remote';
      this.sending.add(name);
      try {
        if (options.keepCopy ?? true) {
          await this.keepCopy(mine, source);
          state = 'downloaded';
        }
        return await sendMessage(this.ctx, conversation, options.caption ?? '', { pointer, state }, mine.clientId);
      } catch (e) {
        await this.files.delete(name);
        throw e;
      } finally {
        this.sending.delete(name);
      }
    } catch (e) {
      // Why not when aborted: cancelling is the person's choice, not a failure to show.
      if (!options.signal?.aborted) this.ctx.events.emit({ type: 'attachment-failed', transfer: 'upload', conversation, ...(options.fileName ? { fileName: options.fileName } : {}), ...failure(e) });
      throw e;
    }
  }

  // ---- upload

  /**
   * Encrypts `source` under a fresh key and uploads it in chunks; answers the pointer to
   * put in a message. A chunk that fails is sent again from what the server has.
   */
  async upload(source: AttachmentSource, meta: AttachmentMeta, opts: TransferOptions = {}): Promise<AttachmentPointer> {
    requireAccount(this.ctx);
    const contentType = (meta.contentType ?? 'application/octet-stream').toLowerCase();
    if (!CONTENT_TYPE_PATTERN.test(contentType)) throw new ClientError('SEND_FAILED', `not a content type: ${JSON.stringify(contentType.slice(0, 40))}`);
    const fileName = meta.fileName?.slice(0, MAX_FILE_NAME_LENGTH);
    const key = randomBytes(64);
    const enc = new AttachmentEncryptor((o, n) => source.read(o, n), source.size, key, randomBytes(16));
    const { signal, onProgress } = opts;
    const http = this.ctx.http;
    const up = await this.retried(() => http.createAttachment(enc.ciphertextSize, signal), signal);
    const total = enc.ciphertextSize;
    onProgress?.(0, total);
    let offset = 0;
    let buffer = new Uint8Array(Math.min(up.chunkSize, total));
    let filled = 0;
    const flush = async () => {
      await this.sendChunk(up.attachmentId, offset, buffer.subarray(0, filled), signal);
      offset += filled;
      filled = 0;
      onProgress?.(offset, total);
      buffer = new Uint8Array(Math.min(up.chunkSize, total - offset));
    };
    for await (const piece of enc.pieces()) {
      for (let p = 0; p < piece.length; ) {
        const n = Math.min(piece.length - p, buffer.length - filled);
        buffer.set(piece.subarray(p, p + n), filled);
        filled += n;
        p += n;
        if (filled === buffer.length) await flush();
      }
    }
    if (filled > 0) await flush();
    return {
      id: up.attachmentId,
      key,
      digest: enc.digest,
      size: source.size,
      contentType,
      ...(fileName ? { fileName } : {}),
      ...(meta.width ? { width: meta.width } : {}),
      ...(meta.height ? { height: meta.height } : {}),
      ...(meta.durationMs !== undefined ? { durationMs: meta.durationMs } : {}),
      ...(meta.voiceNote ? { voiceNote: true } : {}),
      ...(meta.thumbnail ? { thumbnail: meta.thumbnail } : {}),
    };
  }

  /** `f` again after each retryable failure, with the chunk retries' delays. */
  private async retried<T>(f: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        if (!retryable(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
        await sleep(RETRY_DELAYS_MS[attempt]!, signal);
      }
    }
  }

  /** Sends one chunk at `offset`; after a failure asks where the upload stands and sends the rest. */
  private async sendChunk(id: string, offset: number, chunk: Uint8Array, signal: AbortSignal | undefined): Promise<void> {
    const http = this.ctx.http;
    let have = offset;
    for (let attempt = 0; ; attempt++) {
      try {
        if (have < offset + chunk.length) await http.putAttachmentChunk(id, have, chunk.subarray(have - offset), signal);
        return;
      } catch (e) {
        if (!retryable(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
        await sleep(RETRY_DELAYS_MS[attempt]!, signal);
        // The answer may have been lost after the server committed the chunk, or part of it.
        const committed = (e as WireError).code === 'CONFLICT' && typeof (e as WireError).details.committed === 'number'
          ? ((e as WireError).details.committed as number)
          : await http.attachmentUpload(id, signal).then((s) => s.committed, () => have);
        if (committed < offset || committed > offset + chunk.length) throw new ClientError('SEND_FAILED', `the server lost track of the upload (it has ${committed} bytes); send the file again`);
        have = committed;
      }
    }
  }

  // ---- download

  /** Whether this device may download (and show) the message's attachment: ours, a contact's, or in an accepted group. */
  allowed(m: StoredMessage): boolean {
    const me = requireAccount(this.ctx);
    if (m.senderAccountId === me.accountId) return true;
    const p = parseConversation(m.conversation);
    if (p.kind === 'group') return groupAccepted(this.ctx.store.groups.get(p.groupId)) && relationship(this.ctx.store.contacts.byId(m.senderAccountId), me.accountId) !== 'blocked';
    return relationship(this.ctx.store.contacts.byId(m.senderAccountId), me.accountId) === 'contact';
  }

  private current(m: StoredMessage): StoredMessage {
    return this.ctx.store.messages.find(m.senderAccountId, m.clientId) ?? m;
  }

  /**
   * Downloads, verifies and decrypts the message's attachment into this device's files;
   * answers the message with its new state. One download per message at a time (a second
   * call joins the first).
   */
  download(message: StoredMessage, opts: TransferOptions = {}): Promise<StoredMessage> {
    const m = this.current(message);
    const a = m.attachment;
    if (!a) return Promise.reject(new ClientError('ATTACHMENT_UNAVAILABLE', 'this message has no attachment'));
    if (!this.allowed(m)) {
      const who = this.ctx.store.contacts.byId(m.senderAccountId)?.username ?? 'the sender';
      const p = parseConversation(m.conversation);
      const how = p.kind === 'group' ? 'accept the group first' : `accept the message request from ${who} first (\`parley accept ${who}\`)`;
      return Promise.reject(new ClientError('ATTACHMENT_FROM_STRANGER', `nothing from someone who is not a contact is downloaded; ${how}`));
    }
    if (a.state === 'downloaded') return Promise.resolve(m);
    if (a.state === 'invalid') return Promise.reject(new ClientError('ATTACHMENT_INVALID', 'this attachment did not verify when it was downloaded; ask the sender to send it again'));
    if (a.state === 'expired') return Promise.reject(new ClientError('ATTACHMENT_UNAVAILABLE', 'the server no longer has this attachment (it expired); ask the sender to send it again'));
    const name = localName(m);
    const running = this.downloads.get(name);
    if (running) return running;
    const p = this.fetchAndStore(m, pointerOf(a), name, opts)
      .catch((e: unknown) => {
        // After fetchAndStore committed any new state (invalid, expired), so the event reports it.
        if (!opts.signal?.aborted && !this.closed) this.ctx.events.emit({ type: 'attachment-failed', transfer: 'download', message: this.current(m), ...failure(e) });
        throw e;
      })
      .finally(() => this.downloads.delete(name));
    this.downloads.set(name, p);
    return p;
  }

  private async fetchAndStore(m: StoredMessage, pointer: AttachmentPointer, name: string, opts: TransferOptions): Promise<StoredMessage> {
    const expected = attachmentCiphertextSize(pointer.size);
    // Progress events at most every 1% (a 100 MB download arrives in thousands of pieces).
    let told = -1;
    const progress = (done: number) => {
      opts.onProgress?.(done, expected);
      if (done !== expected && told >= 0 && done - told < expected / 100) return;
      told = done;
      this.ctx.events.emit({ type: 'attachment-progress', message: m, done, total: expected });
    };
    let spool = await this.files.spool(name);
    try {
      await this.fetchInto(pointer, name, expected, () => spool, async () => {
        await spool.discard();
        spool = await this.files.spool(name);
      }, progress, opts.signal);
    } catch (e) {
      if (e instanceof WireError && e.code === 'NOT_FOUND') {
        await spool.discard();
        await this.setState(m, 'expired');
        throw new ClientError('ATTACHMENT_UNAVAILABLE', 'the server no longer has this attachment (it expired); ask the sender to send it again');
      }
      if (e instanceof ClientError && e.code === 'ATTACHMENT_INVALID') {
        await spool.discard();
        await this.setState(m, 'invalid');
      }
      // Anything else (the network, an abort): the spool stays, and the next attempt resumes.
      throw e;
    }
    const length = await spool.length();
    const read = (o: number, n: number) => spool.read(o, n);
    try {
      await verifyAttachment(read, length, pointer);
    } catch (e) {
      await spool.discard();
      if (e instanceof ClientError && e.code === 'ATTACHMENT_INVALID') await this.setState(m, 'invalid');
      throw e;
    }
    const sink = await this.files.create(name);
    try {
      for await (const plain of decryptAttachment(read, pointer)) await sink.write(plain);
      await sink.commit();
    } catch (e) {
      await sink.discard();
      if (e instanceof ClientError && e.code === 'ATTACHMENT_INVALID') {
        await spool.discard();
        await this.setState(m, 'invalid');
      }
      throw e;
    }
    await spool.discard();
    return this.setState(m, 'downloaded');
  }

  /** Reads the blob into the spool from where it stands, resuming after failures. */
  private async fetchInto(
    pointer: AttachmentPointer,
    name: string,
    expected: number,
    spool: () => Awaited<ReturnType<AttachmentFiles['spool']>>,
    restart: () => Promise<void>,
    progress: (done: number) => void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let have = await spool().length();
      if (have > expected) {
        await restart();
        have = 0;
      }
      if (have === expected) return;
      progress(have);
      try {
        const res = await this.ctx.http.downloadAttachment(pointer.id, have, signal ? { signal } : {});
        if (res.total !== expected) {
          await res.cancel();
          throw new ClientError('ATTACHMENT_INVALID', `the attachment did not verify (the server has ${res.total} bytes where ${expected} were expected); nothing of it was kept`);
        }
        if (res.start !== have) {
          // A server that ignored the range sends it all again.
          if (res.start !== 0) throw new WireError('INTERNAL', `asked for bytes from ${have}, got them from ${res.start}`);
          await restart();
          have = 0;
        }
        for await (const chunk of res.body) {
          if (have + chunk.length > expected) throw new ClientError('ATTACHMENT_INVALID', 'the attachment did not verify (more bytes than expected); nothing of it was kept');
          await spool().append(chunk);
          have += chunk.length;
          progress(have);
        }
        if (have === expected) return;
        throw new WireError('SERVER_UNREACHABLE', `the download of ${name.slice(0, 8)}… ended early`);
      } catch (e) {
        if (!retryable(e) || attempt >= RETRY_DELAYS_MS.length) throw e;
        await sleep(RETRY_DELAYS_MS[attempt]!, signal);
      }
    }
  }

  /** Records the attachment's new state (one short transaction under the lock), then tells the app. */
  private async setState(m: StoredMessage, state: AttachmentState): Promise<StoredMessage> {
    const updated = await this.ctx.lock.run(() =>
      this.ctx.store.transaction(async (tx) => {
        tx.messages.setAttachmentState(m.senderAccountId, m.clientId, state);
        return tx.messages.find(m.senderAccountId, m.clientId);
      }),
    );
    // The message may have been deleted meanwhile: then its file goes too.
    if (!updated) {
      await this.files.delete(localName(m));
      return { ...m, attachment: { ...m.attachment!, state } };
    }
    this.ctx.events.emit({ type: 'attachment', message: updated });
    return updated;
  }

  /** The attachment's plaintext on this device; ATTACHMENT_UNAVAILABLE before it was downloaded. */
  async open(message: StoredMessage): Promise<AttachmentSource> {
    const m = this.current(message);
    if (!m.attachment) throw new ClientError('ATTACHMENT_UNAVAILABLE', 'this message has no attachment');
    if (!this.allowed(m)) throw new ClientError('ATTACHMENT_FROM_STRANGER', 'accept the request first');
    const f = m.attachment.state === 'downloaded' ? await this.files.open(localName(m)) : undefined;
    if (!f) throw new ClientError('ATTACHMENT_UNAVAILABLE', 'this attachment is not on this device; download it first');
    return f;
  }

  /** Keeps a copy of what we send, so our own message shows it without a download. */
  private async keepCopy(m: Pick<StoredMessage, 'senderAccountId' | 'clientId'>, source: AttachmentSource): Promise<void> {
    const sink = await this.files.create(localName(m));
    try {
      for (let o = 0; o < source.size; o += 1024 * 1024) await sink.write(await source.read(o, Math.min(1024 * 1024, source.size - o)));
      await sink.commit();
    } catch (e) {
      await sink.discard();
      throw e;
    }
  }

  // ---- automatic downloads

  /** Queues the message's attachment for download if it may and should be fetched by itself. */
  schedule(m: StoredMessage): void {
    const a = m.attachment;
    if (this.closed || !a || a.state !== 'remote' || a.size > this.autoDownloadMaxBytes || !this.allowed(m)) return;
    this.queue.push(m);
    if (!this.draining) void this.drain();
  }

  /** After a request was accepted: what its conversation holds starts downloading. */
  scheduleConversation(conversation: StoredMessage['conversation']): void {
    for (const m of this.ctx.store.messages.list(conversation)) this.schedule(m);
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let m = this.queue.shift(); m && !this.closed; m = this.queue.shift()) {
        // Failures are in the message's state or retried next time; the app can always download by hand.
        await this.download(m).catch(() => undefined);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Deletes files whose messages are gone (a deleted conversation, a blocked sender). */
  async prune(): Promise<void> {
    const keep = new Set(
      this.ctx.store.messages
        .list()
        .filter((m) => m.attachment)
        .map((m) => localName(m)),
    );
    for (const name of await this.files.list()) if (!keep.has(name) && !this.downloads.has(name) && !this.sending.has(name)) await this.files.delete(name);
  }
}
