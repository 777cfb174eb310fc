/**
 * Sending a file, image or voice note from the browser: its content type, for
 * images their size and a tiny preview (a JPEG of at most 4 KB, shown to contacts
 * before the image itself arrives), then the SDK's encrypted chunked upload, with
 * progress and cancelling through Transfers. A changed safety number is handed up
 * as the composer's sends are; other failures stay on the file's card, with Retry
 * (the same file sent again).
 */
import { blobSource, ClientError, type ConversationId, type ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { attachmentKind, contentTypeOf } from './kind.ts';
import type { Transfers } from './transfers.ts';

/** The SDK's limit for a preview (MAX_THUMBNAIL_BYTES). */
const THUMBNAIL_MAX_BYTES = 4096;
const THUMBNAIL_EDGE_PX = 48;

export interface SendTarget {
  /** What the SDK sends to: a conversation id, or a username for a chat not started yet. */
  readonly to: string;
  readonly conversation: ConversationId;
}

export interface SendFileOptions {
  /** Text sent with the file (the preview's caption field). */
  readonly caption?: string;
  readonly voiceNote?: boolean;
  readonly durationMs?: number;
  readonly onIdentityChanged?: (username: string, safetyNumber: string) => void;
  /** Called once the message is stored (to refresh the conversation). */
  readonly onSent?: () => void;
}

/** Sends `file`; resolves when it is sent, cancelled or failed (a failure stays on its card). */
export async function sendFile(client: ParleyClient, transfers: Transfers, target: SendTarget, file: Blob, name: string, options: SendFileOptions = {}): Promise<void> {
  const contentType = contentTypeOf({ type: file.type, name });
  const kind = attachmentKind({ contentType, ...(options.voiceNote ? { voiceNote: true } : {}) });
  const image = kind === 'image' ? await imageMeta(file) : undefined;
  const id = crypto.randomUUID();
  const abort = new AbortController();
  transfers.startUpload({ id, conversation: target.conversation, fileName: name, size: file.size, kind }, () => abort.abort());
  try {
    await client.attachments.send(target.to, blobSource(file), {
      fileName: name,
      contentType,
      ...(image ?? {}),
      ...(options.voiceNote ? { voiceNote: true } : {}),
      ...(options.durationMs !== undefined ? { durationMs: Math.round(options.durationMs) } : {}),
      ...(options.caption ? { caption: options.caption } : {}),
      signal: abort.signal,
      onProgress: (done, total) => transfers.uploadProgress(id, done, total),
    });
    transfers.removeUpload(id);
  } catch (e) {
    if (abort.signal.aborted) return transfers.removeUpload(id);
    if (e instanceof ClientError && e.code === 'IDENTITY_CHANGED' && options.onIdentityChanged) {
      transfers.removeUpload(id);
      const { username, safetyNumber } = e.details;
      options.onIdentityChanged(typeof username === 'string' ? username : '', typeof safetyNumber === 'string' ? safetyNumber : '');
    } else transfers.uploadFailed(id, explain(e), () => void sendFile(client, transfers, target, file, name, options));
  } finally {
    options.onSent?.();
  }
}

/** An image's size and preview; nothing when the browser cannot decode it (it is sent as it is). */
async function imageMeta(file: Blob): Promise<{ width: number; height: number; thumbnail?: Uint8Array } | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return undefined;
  }
  const { width, height } = bitmap;
  try {
    const scale = Math.min(1, THUMBNAIL_EDGE_PX / Math.max(width, height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.7, 0.5, 0.3]) {
      const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/jpeg', quality));
      if (blob && blob.size <= THUMBNAIL_MAX_BYTES) return { width, height, thumbnail: new Uint8Array(await blob.arrayBuffer()) };
    }
    return { width, height };
  } finally {
    bitmap.close();
  }
}
