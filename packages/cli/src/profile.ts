/** Profiles: one directory (one SQLite file) per device, under PARLEY_HOME (default ~/.parley). */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ClientError, createClient, type ParleyClient } from '@parley/client';
import { DirectoryAttachmentFiles, FileNoticeKeeper, nodeWebSocket, SqliteClientStore } from '@parley/client/node';
import { UsageError, type Args } from './args.ts';

export function openClient(args: Args): ParleyClient {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(args.profile)) throw new UsageError('--profile must be 1-64 letters, digits, - or _');
  const home = process.env.PARLEY_HOME ?? join(homedir(), '.parley');
  const dir = join(home, args.profile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new SqliteClientStore(join(dir, 'state.sqlite'));
  const serverUrl = args.server ?? store.account.get()?.serverUrl ?? 'http://localhost:8080';
  // Attachments download when a command asks (inbox --save-dir, files), not in the background.
  return createClient({
    serverUrl,
    store,
    createWebSocket: nodeWebSocket,
    attachmentFiles: new DirectoryAttachmentFiles(join(dir, 'attachments')),
    autoDownloadMaxBytes: 0,
    noticeKeeper: new FileNoticeKeeper(join(dir, 'notices.json')),
  });
}

/** Runs `fn` with the profile's client, closing it after. */
export async function withClient<T>(args: Args, fn: (client: ParleyClient) => Promise<T>): Promise<T> {
  const client = openClient(args);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

export function requireRegistered(client: ParleyClient, args: Args): void {
  if (!client.account) throw new ClientError('NOT_REGISTERED', `profile "${args.profile}" has no account; run \`parley --profile ${args.profile} register <username>\` or link it with \`parley --profile ${args.profile} link\``);
}
