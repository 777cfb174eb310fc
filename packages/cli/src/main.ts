/**
 * `parley`: the command-line client. Each profile (a directory with one SQLite
 * file) is one device; `--profile` lets several people use one machine.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import QRCode from 'qrcode';
import { ClientError, createClient, describeCallLogEntry, WireError, type ParleyClient, type StoredMessage } from '@parley/client';
import { nodeWebSocket, SqliteClientStore } from '@parley/client/node';

const USAGE = `Usage: parley [--server URL] [--profile NAME] <command>

Commands:
  register <username>        create an account on the server (keys stay on this device)
  whoami                     show this profile's account
  send <username> <text>     send an end-to-end encrypted message
  inbox                      fetch and print messages that arrived while you were away
  chat <username>            interactive chat: type to send, replies appear live (/quit to leave)
  safety-number <username>   show the 60-digit safety number and its QR code
  trust <username>           accept a contact's new identity key after verifying it
  calls                      the call log: every call attempt, answered or not (nothing deletes it)

Options:
  --server URL        server address (default: the profile's server, PARLEY_SERVER or http://localhost:8080)
  --profile NAME      profile name (default: PARLEY_PROFILE or "default"); data in PARLEY_HOME (default ~/.parley)
`;

interface Args {
  server: string | undefined;
  profile: string;
  command: string | undefined;
  rest: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { server: process.env.PARLEY_SERVER, profile: process.env.PARLEY_PROFILE ?? 'default', command: undefined, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--server') out.server = argv[++i];
    else if (a.startsWith('--server=')) out.server = a.slice(9);
    else if (a === '--profile') out.profile = argv[++i] ?? '';
    else if (a.startsWith('--profile=')) out.profile = a.slice(10);
    else if (a === '--help' || a === '-h') out.command = 'help';
    else if (!out.command) out.command = a;
    else out.rest.push(a);
  }
  return out;
}

class UsageError extends Error {}

function openClient(args: Args): ParleyClient {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(args.profile)) throw new UsageError('--profile must be 1-64 letters, digits, - or _');
  const home = process.env.PARLEY_HOME ?? join(homedir(), '.parley');
  const dir = join(home, args.profile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = new SqliteClientStore(join(dir, 'state.sqlite'));
  const serverUrl = args.server ?? store.account.get()?.serverUrl ?? 'http://localhost:8080';
  return createClient({ serverUrl, store, createWebSocket: nodeWebSocket });
}

function formatTime(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').slice(0, 16);
}

function printMessage(client: ParleyClient, m: StoredMessage): void {
  const who = m.direction === 'in' ? (client.conversations().find((c) => c.id === m.conversation)?.title ?? 'someone') : 'you';
  console.log(`[${formatTime(m.timestamp)}] ${who}: ${m.body}`);
}

function need(args: Args, n: number, usage: string): void {
  if (args.rest.length < n) throw new UsageError(`usage: parley ${usage}`);
}

async function run(args: Args): Promise<number> {
  switch (args.command) {
    case undefined:
    case 'help':
      console.log(USAGE);
      return args.command ? 0 : 2;
    case 'register': {
      need(args, 1, 'register <username>');
      const client = openClient(args);
      try {
        const a = await client.register(args.rest[0]!, (step) => console.error(`... ${step}`));
        console.log(`Registered ${a.username} on ${a.serverUrl} (account ${a.accountId}, device ${a.deviceId}).`);
      } finally {
        client.close();
      }
      return 0;
    }
    case 'whoami': {
      const client = openClient(args);
      try {
        const a = client.account;
        if (!a) throw new ClientError('NOT_REGISTERED', `profile "${args.profile}" has no account; run \`parley --profile ${args.profile} register <username>\``);
        const me = await client.http.whoami();
        console.log(`${me.username} on ${a.serverUrl} (account ${me.accountId}, device ${me.deviceId}, profile ${args.profile})`);
      } finally {
        client.close();
      }
      return 0;
    }
    case 'send': {
      need(args, 2, 'send <username> <text>');
      const client = openClient(args);
      try {
        await client.sendText(args.rest[0]!, args.rest.slice(1).join(' '));
        console.log(`Sent to ${args.rest[0]!.toLowerCase()}.`);
      } finally {
        client.close();
      }
      return 0;
    }
    case 'inbox': {
      const client = openClient(args);
      try {
        await client.connect({ reconnect: false });
        let lost: unknown;
        await client.drained.catch((e: unknown) => (lost = e));
        const unseen = client.messages(undefined, true);
        if (unseen.length === 0 && !lost) console.log('No new messages.');
        for (const m of unseen) printMessage(client, m);
        await client.markSeen(unseen);
        // What arrived is shown first; then why the rest did not.
        if (lost) throw lost;
      } finally {
        client.close();
      }
      return 0;
    }
    case 'chat':
      need(args, 1, 'chat <username>');
      return chat(args, args.rest[0]!.toLowerCase());
    case 'safety-number': {
      need(args, 1, 'safety-number <username>');
      const client = openClient(args);
      try {
        const f = await client.safetyNumber(args.rest[0]!);
        const groups = f.displayable.match(/.{5}/g)!;
        console.log(`Safety number with ${args.rest[0]!.toLowerCase()}:\n`);
        console.log(`  ${groups.slice(0, 4).join(' ')}\n  ${groups.slice(4, 8).join(' ')}\n  ${groups.slice(8).join(' ')}\n`);
        console.log(await QRCode.toString(Buffer.from(f.scannable).toString('base64'), { type: 'terminal', small: true }));
        console.log('Compare these digits with what the other person sees; if they match, your messages are end-to-end encrypted to them.');
      } finally {
        client.close();
      }
      return 0;
    }
    case 'trust': {
      need(args, 1, 'trust <username>');
      const client = openClient(args);
      try {
        const n = await client.trust(args.rest[0]!);
        console.log(`Trusted the current identity of ${args.rest[0]!.toLowerCase()} (safety number ${n}).`);
      } finally {
        client.close();
      }
      return 0;
    }
    case 'calls': {
      const client = openClient(args);
      try {
        const log = client.callLog();
        if (log.length === 0) console.log('No calls yet.');
        for (const e of log) console.log(`[${formatTime(e.timestamp)}] ${describeCallLogEntry(e)}`);
      } finally {
        client.close();
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${args.command}"; run parley --help`);
  }
}

async function chat(args: Args, peer: string): Promise<number> {
  const client = openClient(args);
  const me = client.account;
  if (!me) throw new ClientError('NOT_REGISTERED', `profile "${args.profile}" has no account; run \`parley --profile ${args.profile} register <username>\``);
  for (const m of client.messages(peer).slice(-20)) printMessage(client, m);
  client.on((e) => {
    if (e.type === 'message' && e.message.conversation === client.conversation(peer)) {
      printMessage(client, e.message);
      void client.markSeen([e.message]);
    } else if (e.type === 'message') {
      const from = client.conversations().find((c) => c.id === e.message.conversation)?.title ?? 'someone';
      console.log(`(new message from ${from}; run parley chat ${from})`);
    } else if (e.type === 'receipt' && e.from === peer) {
      console.log(`(${e.receipt} ✓)`);
    } else if (e.type === 'identity-changed') {
      console.log(`!! The safety number with ${e.username} changed. Verify it with \`parley safety-number ${e.username}\` and accept it with \`parley trust ${e.username}\`.`);
    } else if (e.type === 'connection' && e.state === 'reconnecting') {
      console.log(`(offline: ${e.error?.describe() ?? 'reconnecting'}; retrying)`);
    } else if (e.type === 'connection' && e.state === 'open') {
      console.log(`(connected as ${me.username}; chatting with ${peer}; /quit to leave)`);
    }
  });
  await client.connect();
  const rl = createInterface({ input: process.stdin, terminal: false });
  let pending = Promise.resolve();
  await new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      if (text === '/quit') {
        rl.close();
        return;
      }
      pending = pending.then(() =>
        client.sendText(peer, text).then(
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
  return 0;
}

export function describeError(e: unknown): string {
  if (e instanceof WireError) return e.describe();
  if (e instanceof ClientError) return `${e.code}: ${e.message}`;
  if (e instanceof UsageError) return e.message;
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}

const args = parseArgs(process.argv.slice(2));
try {
  process.exitCode = await run(args);
} catch (e) {
  console.error(`parley: ${describeError(e)}`);
  process.exitCode = e instanceof UsageError ? 2 : 1;
}
// Why: idle keep-alive sockets or timers must not keep a finished command running
// (stdout/stderr are synchronous for files and pipes on Linux, so nothing is lost).
process.exit();
