/**
 * Files moving between this browser and the server, for the progress shown on file
 * cards: uploads (a file being sent has no message yet, so its card is drawn from
 * here, at the end of its conversation) and downloads (by message, from the SDK's
 * 'attachment-progress' events). A small external store for React's
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
  /** Why it failed (a sentence); the card stays until dismissed. */
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
}

/** A message's key for downloads (the SDK's own identity of a message: sender and client id). */
export function transferKey(m: Pick<StoredMessage, 'senderAccountId' | 'clientId'>): string {
  return `${m.senderAccountId}_${m.clientId}`;
}

export class Transfers {
  private state: TransfersState = { uploads: [], downloads: {} };
  private readonly listeners = new Set<() => void>();
  private readonly cancels = new Map<string, () => void>();

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

  uploadFailed(id: string, error: string): void {
    this.cancels.delete(id);
    this.updateUpload(id, (u) => ({ ...u, error }));
  }

  /** The upload finished (its message is stored now), was cancelled, or its failure was dismissed. */
  removeUpload(id: string): void {
    if (!this.state.uploads.some((u) => u.id === id)) return;
    this.cancels.delete(id);
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
