/**
 * `parley`: the command-line client. Each profile (a directory with one SQLite
 * file) is one device; `--profile` lets several people (or devices) use one
 * machine. Commands live in commands/, one module per concept.
 */
import { parseArgs, UsageError, type Args } from './args.ts';
import { describeError } from './output.ts';
import { register, whoami } from './commands/account.ts';
import { calls } from './commands/calls.ts';
import { del, edit, react, reply } from './commands/changes.ts';
import { accept, block, requests, safetyNumber, trust, unblock } from './commands/contacts.ts';
import { devices, link, unlink } from './commands/devices.ts';
import { group, groups } from './commands/groups.ts';
import { chat, files, inbox, search, send } from './commands/messages.ts';
import { disappear, receipts } from './commands/settings.ts';
import { notices } from './commands/notices.ts';
import { profile } from './commands/profiles.ts';
import type { Command } from './commands/types.ts';

const COMMANDS: Record<string, Command> = {
  register,
  whoami,
  profile,
  send,
  inbox,
  files,
  reply,
  react,
  edit,
  delete: del,
  disappear,
  receipts,
  search,
  chat,
  requests,
  accept,
  block,
  unblock,
  'safety-number': safetyNumber,
  trust,
  calls,
  notices,
  groups,
  group,
  link,
  devices,
  unlink,
};

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(27)}${c.usage.length >= 27 ? '  ' : ''}${c.summary}`);
  return `Usage: parley [--server URL] [--profile NAME] <command>

Commands:
${lines.join('\n')}

Options:
  --server URL        server address (default: the profile's server, PARLEY_SERVER or http://localhost:8080)
  --profile NAME      profile name (default: PARLEY_PROFILE or "default"); data in PARLEY_HOME (default ~/.parley)
`;
}

async function run(args: Args): Promise<number> {
  if (args.command === undefined || args.command === 'help') {
    console.log(usage());
    return args.command ? 0 : 2;
  }
  const c = COMMANDS[args.command];
  if (!c || !Object.prototype.hasOwnProperty.call(COMMANDS, args.command)) throw new UsageError(`unknown command "${args.command}"; run parley --help`);
  return c.run(args);
}

let code = 1;
try {
  code = await run(parseArgs(process.argv.slice(2), process.env));
} catch (e) {
  console.error(`parley: ${describeError(e)}`);
  code = e instanceof UsageError ? 2 : 1;
}
process.exitCode = code;
// Why: idle keep-alive sockets or timers must not keep a finished command running
// (stdout/stderr are synchronous for files and pipes on Linux, so nothing is lost).
process.exit();
