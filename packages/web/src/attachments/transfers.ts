/**
 * Files moving between this browser and the server, for the progress shown on file
 * cards: uploads (a file being sent has no message yet, so its card is drawn from
 * here, at the end of its conversation) and downloads (by message, from the SDK's
 * 'attachment-progress' events), and downloads that failed (from 'attachment-failed',
 * until retried or downloaded). A small external store for React's
 * useSyncExternalStore: `get` answers the same object until something changed.
 * Owns no bytes and no SDK calls (send-file.ts and the session hook drive it).
 */
import type { ConversationId, StoredMessage } from '@parley/client';
import type { AttachmentKind } from './kind.ts';

export interface Upload {
  readonly id: string;
  readonly conversation: ConversationId;
  readonly fileName: string;
  readonly size: number;
  readonly kind: AttachmentKind;
  /** Ciphertext bytes sent so far, of `total`. */
  readonly done: number;
  readonly total: number;
  /** Why it failed (a sentence); the card stays until dismissed or retried. */
  readonly error?: string;
}

export interface Progress {
  readonly done: number;
  readonly total: number;
}

export interface TransfersState {
  readonly uploads: readonly Upload[];
  /** Downloads under way, by `transferKey` of their message. */
  readonly downloads: Readonly<Record<string, Progress>>;
  /** Why a message's download failed (a sentence), by `transferKey`, until it is retried or arrives. */
  readonly failedDownloads: Readonly<Record<string, string>>;
}

/** A message's key for downloads (the SDK's own identity of a message: sender and client id). */
export function transferKey(m: Pick<StoredMessage, 'senderAccountId' | 'clientId'>): string {
  return `${m.senderAccountId}_${m.clientId}`;
}

export class Transfers {
  private state: TransfersState = { uploads: [], downloads: {}, failedDownloads: {} };
  private readonly listeners = new Set<() => void>();
  private readonly cancels = new Map<string, () => void>();
  private readonly retries = new Map<string, () => void>();

  readonly get = (): TransfersState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** A new upload at 0%; `cancel` stops it (and its card goes). */
  startUpload(upload: Omit<Upload, 'done' | 'total' | 'error'>, cancel: () => void): void {
    this.cancels.set(upload.id, cancel);
    this.set({ ...this.state, uploads: [...this.state.uploads, { ...upload, done: 0, total: upload.size }] });
  }

  uploadProgress(id: string, done: number, total: number): void {
    this.updateUpload(id, (u) => (u.done === done && u.total === total ? u : { ...u, done, total }));
  }

  /** The upload failed; `retry` (if given) sends the same file again. */
  uploadFailed(id: string, error: string, retry?: () => void): void {
    this.cancels.delete(id);
    if (retry) this.retries.set(id, retry);
    this.updateUpload(id, (u) => ({ ...u, error }));
  }

  /** Whether a failed upload can be sent again. */
  canRetryUpload(id: string): boolean {
    return this.retries.has(id);
  }

  /** Sends a failed upload's file again (its card is replaced by the new attempt's). */
  retryUpload(id: string): void {
    const retry = this.retries.get(id);
    this.removeUpload(id);
    retry?.();
  }

  /** The upload finished (its message is stored now), was cancelled, or its failure was dismissed. */
  removeUpload(id: string): void {
    if (!this.state.uploads.some((u) => u.id === id)) return;
    this.cancels.delete(id);
    this.retries.delete(id);
    this.set({ ...this.state, uploads: this.state.uploads.filter((u) => u.id !== id) });
  }

  cancelUpload(id: string): void {
    const cancel = this.cancels.get(id);
    this.removeUpload(id);
    cancel?.();
  }

  downloadProgress(key: string, done: number, total: number): void {
    const was = this.state.downloads[key];
    if (was && was.done === done && was.total === total) return;
    this.set({ ...this.state, downloads: { ...this.state.downloads, [key]: { done, total } } });
  }

  /** The download ended (downloaded, invalid, expired, or failed for now). */
  downloadEnded(key: string): void {
    if (!(key in this.state.downloads)) return;
    const { [key]: _, ...rest } = this.state.downloads;
    this.set({ ...this.state, downloads: rest });
  }

  /** The download failed (the SDK's attachment-failed): its card says why and offers Retry. */
  downloadFailed(key: string, error: string): void {
    const { [key]: _, ...downloads } = this.state.downloads;
    this.set({ ...this.state, downloads, failedDownloads: { ...this.state.failedDownloads, [key]: error } });
  }

  /** A new attempt started, or the file arrived: the failure is no longer shown. */
  clearDownloadFailure(key: string): void {
    if (!(key in this.state.failedDownloads)) return;
    const { [key]: _, ...rest } = this.state.failedDownloads;
    this.set({ ...this.state, failedDownloads: rest });
  }

  private updateUpload(id: string, f: (u: Upload) => Upload): void {
    let changed = false;
    const uploads = this.state.uploads.map((u) => {
      if (u.id !== id) return u;
      const n = f(u);
      changed ||= n !== u;
      return n;
    });
    if (changed) this.set({ ...this.state, uploads });
  }

  private set(s: TransfersState): void {
    this.state = s;
    for (const l of this.listeners) l();
  }
}
