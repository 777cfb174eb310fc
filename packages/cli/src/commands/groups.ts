/** `groups` and `group create|add|remove|leave|send|rename`. */
import { groupTitle, type GroupRecord } from '@parley/client';
import { UsageError, type Args } from '../args.ts';
import { formatBytes } from '../output.ts';
import { requireRegistered, withClient } from '../profile.ts';
import { sendFile } from './files.ts';
import type { Command } from './types.ts';

function describe(g: GroupRecord, me: string): string {
  const admin = g.members.some((m) => m.accountId === me && m.role === 'admin');
  const state = !g.active ? 'you left' : `${g.members.length} member${g.members.length === 1 ? '' : 's'}${admin ? ', you are an admin' : ''}${g.accepted ? '' : ', a request'}`;
  return `${g.groupId}  ${groupTitle(g)}  (${state})`;
}

export const groups: Command = {
  usage: 'groups',
  summary: 'list your groups (id, name, members)',
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const list = client.groups.list();
      if (list.length === 0) console.log('No groups yet. Create one with `parley group create <name> <username>...`.');
      for (const g of list) console.log(describe(g, client.account!.accountId));
      return 0;
    }),
};

const SUB: Record<string, { usage: string; min: number; run(client: Parameters<Parameters<typeof withClient>[1]>[0], rest: string[], args: Args): Promise<void> }> = {
  create: {
    usage: 'group create <name> <username>...',
    min: 1,
    async run(client, [name, ...members]) {
      const g = await client.groups.create(name!, members);
      console.log(`Created the group "${groupTitle(g)}" with ${g.members.length} member${g.members.length === 1 ? '' : 's'}.`);
      console.log(`Group id: ${g.groupId}`);
    },
  },
  add: {
    usage: 'group add <group> <username>...',
    min: 2,
    async run(client, [group, ...members]) {
      const g = await client.groups.add(group!, members);
      console.log(`Added ${members.join(', ')} to "${groupTitle(g)}".`);
    },
  },
  remove: {
    usage: 'group remove <group> <username>...',
    min: 2,
    async run(client, [group, ...members]) {
      const g = await client.groups.remove(group!, members);
      console.log(`Removed ${members.join(', ')} from "${groupTitle(g)}"; the group's keys rotate before the next message.`);
    },
  },
  rename: {
    usage: 'group rename <group> <name>',
    min: 2,
    async run(client, [group, ...name]) {
      const g = await client.groups.rename(group!, name.join(' '));
      console.log(`The group is now called "${groupTitle(g)}".`);
    },
  },
  leave: {
    usage: 'group leave <group>',
    min: 1,
    async run(client, [group]) {
      const title = groupTitle(client.groups.get(group!));
      await client.groups.leave(group!);
      console.log(`You left "${title}".`);
    },
  },
  send: {
    usage: 'group send <group> [--file <path>] <text>',
    min: 1,
    async run(client, [group, ...text], args) {
      const g = client.groups.get(group!);
      const title = groupTitle(g);
      const file = args.options.file;
      if (file) {
        const m = await sendFile(client, `group:${g.groupId}`, file, text.join(' '));
        console.log(`Sent ${m.attachment!.fileName ?? 'the file'} (${formatBytes(m.attachment!.size)}) to "${title}".`);
        return;
      }
      if (text.length === 0) throw new UsageError(`usage: parley ${this.usage}`);
      await client.groups.send(group!, text.join(' '));
      console.log(`Sent to "${title}".`);
    },
  },
};

export const group: Command = {
  usage: `group create|add|remove|rename|leave|send ...`,
  summary: `groups: ${Object.values(SUB)
    .map((s) => s.usage.replace(/^group /, ''))
    .join('; ')}`,
  async run(args: Args) {
    const [sub, ...rest] = args.rest;
    const s = sub ? SUB[sub] : undefined;
    if (!s) throw new UsageError(`usage: parley ${Object.values(SUB).map((x) => x.usage).join('\n       parley ')}`);
    if (rest.length < s.min) throw new UsageError(`usage: parley ${s.usage}`);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      await s.run(client, rest, args);
      return 0;
    });
  },
};
