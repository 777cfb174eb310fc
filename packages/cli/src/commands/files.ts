/**
 * Files on the command line: sending one (`send --file`, `group send --file`) with
 * a progress line, and saving received ones into a directory (`inbox --save-dir`,
 * `files`) under sanitized names, never outside it and never over a file.
 * Nothing from someone who is not a contact is downloaded: the SDK refuses, and
 * the CLI says to accept the request first.
 */
import { mkdirSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { ClientError, safeFileName, type ParleyClient, type StoredMessage } from '@parley/client';
import { fileSource, saveAttachment } from '@parley/client/node';
import { UsageError } from '../args.ts';
import { describeError, formatBytes, progressLine } from '../output.ts';

/** Content types by extension, for what the recipient's app shows; anything else is a plain file. */
const TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.heic': 'image/heic',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/opus',
  '.wav': 'audio/wav',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain',
  '.zip': 'application/zip',
};

export function contentTypeOf(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Sends the file at `path` (and `caption`) to a username or conversation, with a progress line; answers the message. */
export async function sendFile(client: ParleyClient, to: string, path: string, caption: string): Promise<StoredMessage> {
  let source;
  try {
    source = await fileSource(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const name = basename(path);
  const progress = progressLine(`Uploading ${safeFileName(name)}`, source.size);
  try {
    // The CLI keeps no copy of what it sends: the file is where the user has it.
    return await client.attachments.send(to, source, { fileName: name, contentType: contentTypeOf(path), caption, keepCopy: false, onProgress: progress.update });
  } finally {
    progress.end();
    await source.close();
  }
}

/**
 * Downloads (if needed) and saves a message's attachment into `dir`; prints where, or why
 * not. Failures are printed, not thrown, so one bad file does not stop the rest.
 */
export async function saveFile(client: ParleyClient, m: StoredMessage, dir: string): Promise<void> {
  const a = m.attachment;
  if (!a) return;
  const name = safeFileName(a.fileName ?? 'attachment');
  if (!client.attachments.allowed(m)) {
    const who = client.conversations().find((c) => c.id === m.conversation);
    console.log(`  (${name} was not downloaded: ${who?.kind === 'group' ? `accept the group first (parley accept ${who.title})` : `${who?.title ?? 'the sender'} is not a contact; accept the request first (parley accept ${who?.title ?? '<username>'})`})`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
    const progress = progressLine(`Downloading ${name}`, a.size);
    let done: StoredMessage;
    try {
      done = await client.attachments.download(m, { onProgress: progress.update });
    } finally {
      progress.end();
    }
    const path = await saveAttachment(await client.attachments.open(done), dir, a.fileName ?? 'attachment');
    console.log(`  saved ${name} (${formatBytes(a.size)}) to ${path}`);
  } catch (e) {
    console.log(`  !! ${name}: ${describeError(e)}`);
    if (!(e instanceof ClientError)) process.exitCode = 1;
  }
}
