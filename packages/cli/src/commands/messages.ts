/** `send`, `inbox` and the interactive `chat`. */
import { createInterface } from 'node:readline';
import { ClientError, type ClientEvent, type ParleyClient, type WireError } from '@parley/client';
import { need } from '../args.ts';
import { describeError, formatBytes, formatChange, formatMessage } from '../output.ts';
import { openClient, requireRegistered, withClient } from '../profile.ts';
import { saveFile, sendFile } from './files.ts';
import { checkNoticesFirst } from './notices.ts';
import type { Command } from './types.ts';

export const send: Command = {
  usage: 'send <username> [--file <path>] <text>',
  summary: 'send an end-to-end encrypted message, or a file with an optional caption (to every device of theirs)',
  async run(args) {
    const file = args.options.file;
    need(args, file ? 1 : 2, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const to = args.rest[0]!;
      const text = args.rest.slice(1).join(' ');
      if (file) {
        const m = await sendFile(client, to, file, text);
        console.log(`Sent ${m.attachment!.fileName ?? 'the file'} (${formatBytes(m.attachment!.size)}) to ${to.toLowerCase()}.`);
      } else {
        await client.sendText(to, text);
        console.log(`Sent to ${to.toLowerCase()}.`);
      }
      return 0;
    });
  },
};

/** Connects, waits until everything queued has arrived, and returns what the user has not seen. */
export async function fetchNew(client: ParleyClient): Promise<{ lost: unknown }> {
  await client.connect({ reconnect: false });
  let lost: unknown;
  await client.drained.catch((e: unknown) => (lost = e));
  return { lost };
}

export const inbox: Command = {
  usage: 'inbox [--save-dir <dir>]',
  summary: 'fetch and print messages (direct and group) that arrived while you were away; save their files into <dir>',
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const saveDir = args.options['save-dir'];
      await checkNoticesFirst(client);
      const changes: Array<Extract<ClientEvent, { type: 'message-changed' }>> = [];
      client.on((e) => {
        if (e.type === 'message-changed') changes.push(e);
      });
      const { lost } = await fetchNew(client);
      // Disappearing messages whose time ran out while this profile was closed go first.
      await client.sweepExpired();
      const unseen = client.messages(undefined, true);
      // Changes to messages printed now show in their line; changes to older ones get a line each.
      const shown = new Set(unseen.map((m) => m.rowId));
      const older = changes.filter((e) => !shown.has(e.message.rowId));
      if (unseen.length === 0 && older.length === 0 && !lost) console.log('No new messages.');
      for (const e of older) console.log(formatChange(client, e));
      for (const m of unseen) {
        console.log(formatMessage(client, m));
        if (m.attachment && saveDir) await saveFile(client, m, saveDir);
      }
      if (!saveDir && unseen.some((m) => m.attachment)) console.log('(files are not saved; `parley files <username|group> --save-dir <dir>` saves them)');
      await client.markSeen(unseen);
      // What arrived is shown first; then why the rest did not.
      if (lost) throw lost;
      // Why: `inbox` may be the only command someone runs; sessions others start consume one-time prekeys, and only a connected client replaces them (bounded: a slow server does not hold the command).
      await Promise.race([
        client.topUpPreKeys().catch((e: unknown) => console.error(`(could not top up one-time prekeys: ${(e as Error).message})`)),
        new Promise((r) => setTimeout(r, 15_000).unref()),
      ]);
      return 0;
    }),
};

export const files: Command = {
  usage: 'files <username|group> [--save-dir <dir>]',
  summary: "list a conversation's files; with --save-dir, download and save them into <dir>",
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const ref = args.rest[0]!;
      const id = client.conversation(ref);
      if (!id) throw new ClientError('UNKNOWN_USER', `no conversation with ${ref}`);
      const withFiles = client.messages(id).filter((m) => m.attachment);
      if (withFiles.length === 0) console.log('No files in this conversation.');
      const saveDir = args.options['save-dir'];
      for (const m of withFiles) {
        console.log(formatMessage(client, m));
        if (saveDir) await saveFile(client, m, saveDir);
      }
      return 0;
    });
  },
};

export const chat: Command = {
  usage: 'chat <username|group>',
  summary: 'interactive chat: type to send, replies appear live (/quit to leave)',
  async run(args) {
    need(args, 1, this.usage);
    const client = openClient(args);
    requireRegistered(client, args);
    const me = client.account!;
    const ref = args.rest[0]!;
    const peer = client.groups.list().some((g) => g.name === ref || g.groupId === ref) ? ref : ref.toLowerCase();
    for (const m of client.messages(peer).slice(-20)) console.log(formatMessage(client, m));
    /** Set once the connection is lost for good (unlinked, or this device's password changed elsewhere). */
    let lost: WireError | undefined;
    let leave = () => undefined as void;
    client.on((e) => {
      if (e.type === 'message' && e.message.conversation === client.conversation(peer)) {
        console.log(formatMessage(client, e.message));
        void client.markSeen([e.message]);
      } else if (e.type === 'message-changed' && e.message.conversation === client.conversation(peer)) {
        console.log(formatChange(client, e));
      } else if (e.type === 'message') {
        const from = client.conversations().find((c) => c.id === e.message.conversation)?.title ?? 'someone';
        console.log(`(new message in ${from}; run parley chat ${from})`);
      } else if (e.type === 'receipt' && e.from === peer) {
        console.log(`(${e.receipt} ✓)`);
      } else if (e.type === 'identity-changed') {
        console.log(`!! The safety number with ${e.username} changed. Verify it with \`parley safety-number ${e.username}\` and accept it with \`parley trust ${e.username}\`.`);
      } else if (e.type === 'connection' && e.state === 'reconnecting') {
        console.log(`(offline: ${e.error?.describe() ?? 'reconnecting'}; retrying)`);
      } else if (e.type === 'connection' && e.state === 'closed' && e.error) {
        lost = e.error;
        console.log(`!! ${e.error.describe()}`);
        leave();
      } else if (e.type === 'connection' && e.state === 'open') {
        console.log(`(connected as ${me.username}; chatting with ${peer}; /quit to leave)`);
      }
    });
    await client.connect();
    const rl = createInterface({ input: process.stdin, terminal: false });
    let pending = Promise.resolve();
    leave = () => rl.close();
    await new Promise<void>((resolve) => {
      rl.on('line', (line) => {
        const text = line.trim();
        if (!text) return;
        if (text === '/quit') {
          rl.close();
          return;
        }
        pending = pending.then(() =>
          client.sendText(client.conversation(peer) ?? peer, text).then(
            () => undefined,
            (e: unknown) => console.log(`!! ${describeError(e)}`),
          ),
        );
      });
      rl.on('close', () => resolve());
    });
    await pending;
    client.close();
    // Why: a paused stdin pipe would keep the process alive after /quit.
    process.stdin.destroy();
    return lost ? 1 : 0;
  },
};

export const search: Command = {
  usage: 'search <text>',
  summary: 'search the messages on this device (any case, every conversation, newest first); nothing is sent anywhere',
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const found = client.search(args.rest.join(' '));
      if (found.length === 0) console.log('No messages found.');
      for (const m of found) console.log(formatMessage(client, m));
      return 0;
    });
  },
};
