/** Safety numbers, trust, and message requests: `safety-number`, `trust`, `requests`, `accept`, `block`, `unblock`. */
import QRCode from 'qrcode';
import { need } from '../args.ts';
import { formatMessage } from '../output.ts';
import { requireRegistered, withClient } from '../profile.ts';
import { fetchNew } from './messages.ts';
import { labelOf } from './profiles.ts';
import type { Command } from './types.ts';

export const safetyNumber: Command = {
  usage: 'safety-number <username>',
  summary: 'show the 60-digit safety number and its QR code',
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const f = await client.safetyNumber(args.rest[0]!);
      const groups = f.displayable.match(/.{5}/g)!;
      console.log(`Safety number with ${args.rest[0]!.toLowerCase()}:\n`);
      console.log(`  ${groups.slice(0, 4).join(' ')}\n  ${groups.slice(4, 8).join(' ')}\n  ${groups.slice(8).join(' ')}\n`);
      console.log(await QRCode.toString(Buffer.from(f.scannable).toString('base64'), { type: 'terminal', small: true }));
      console.log('Compare these digits with what the other person sees; if they match, your messages are end-to-end encrypted to them.');
      return 0;
    });
  },
};

export const trust: Command = {
  usage: 'trust <username>',
  summary: "accept a contact's new identity key after verifying it",
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const n = await client.trust(args.rest[0]!);
      console.log(`Trusted the current identity of ${args.rest[0]!.toLowerCase()} (safety number ${n}).`);
      return 0;
    });
  },
};

export const requests: Command = {
  usage: 'requests',
  summary: 'message requests: people who are not your contacts and wrote or called, groups a stranger added you to',
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const { lost } = await fetchNew(client);
      const pending = client.conversations().filter((c) => c.request);
      if (pending.length === 0) console.log('No message requests.');
      for (const c of pending) {
        console.log(`${c.kind === 'group' ? `group "${c.title}" (${c.groupId})` : labelOf(client, c.title)}: ${c.unread} unread`);
        for (const m of client.messages(c.id).slice(-3)) console.log(`  ${formatMessage(client, m)}`);
      }
      if (pending.length) console.log('\nAccept with `parley accept <username|group>` (they then see read receipts and typing), or `parley block <username>`.');
      if (lost) throw lost;
      return 0;
    }),
};

export const accept: Command = {
  usage: 'accept <username|group>',
  summary: 'accept a message request (read receipts and typing flow from then on)',
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const ref = args.rest[0]!;
      const group = client.groups.list().find((g) => g.groupId === ref.toLowerCase() || g.name === ref);
      if (group) await client.groups.accept(group.groupId);
      else await client.acceptRequest(ref);
      console.log(`Accepted ${group ? `the group ${group.name ?? group.groupId}` : ref.toLowerCase()}.`);
      return 0;
    });
  },
};

export const block: Command = {
  usage: 'block <username> [--delete]',
  summary: 'block someone: their messages and calls are dropped, and they are not told; the chat stays (--delete: delete it too, on all your devices)',
  async run(args) {
    need(args, 1, this.usage);
    const username = args.rest[0]!.toLowerCase();
    const deleteChat = args.options['delete'] === 'true';
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      await client.blockContact(username, { deleteChat });
      console.log(
        deleteChat
          ? `Blocked ${username} and deleted your chat with them on this device and your other devices.`
          : `Blocked ${username}; their messages and calls are dropped, and they are not told. The chat stays (\`parley block ${username} --delete\` deletes it; \`parley unblock ${username}\` lets them through again).`,
      );
      return 0;
    });
  },
};

export const unblock: Command = {
  usage: 'unblock <username>',
  summary: 'unblock someone: their messages and calls come through again (they are a contact again)',
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      await client.unblockContact(args.rest[0]!);
      console.log(`Unblocked ${args.rest[0]!.toLowerCase()}; their messages and calls come through again.`);
      return 0;
    });
  },
};
