/** Replies, reactions, edits and deletes (for everyone, or for me): `reply`, `react`, `edit`, `delete`. A message is named by its id from `inbox` (the short form, or any unique prefix). */
import type { ParleyClient, StoredMessage } from '@parley/client';
import { need, type Args } from '../args.ts';
import { preview } from '../output.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

/** Runs `fn` with the message `args.rest[1]` names in the conversation `args.rest[0]` names. */
function withMessage(args: Args, fn: (client: ParleyClient, m: StoredMessage, ref: string) => Promise<void>): Promise<number> {
  return withClient(args, async (client) => {
    requireRegistered(client, args);
    const ref = args.rest[0]!;
    const m = client.findMessage(ref, args.rest[1]!.replace(/^#/, ''));
    await fn(client, m, ref);
    return 0;
  });
}

export const reply: Command = {
  usage: 'reply <username|group> <message-id> <text>',
  summary: 'reply to a message (the reply quotes it); ids are shown by inbox',
  async run(args) {
    need(args, 3, this.usage);
    return withMessage(args, async (client, m, ref) => {
      await client.reply(m, args.rest.slice(2).join(' '));
      console.log(`Replied to "${preview(m.body)}" in ${ref}.`);
    });
  },
};

export const react: Command = {
  usage: 'react <username|group> <message-id> <emoji> | --remove',
  summary: 'react to a message with one emoji (replaces your earlier one); --remove takes it back',
  async run(args) {
    const remove = args.options.remove === 'true';
    need(args, remove ? 2 : 3, 'react <username|group> <message-id> <emoji>  or  parley react <username|group> <message-id> --remove');
    return withMessage(args, async (client, m) => {
      if (remove) {
        await client.removeReaction(m);
        console.log(`Took back your reaction to "${preview(m.body)}".`);
      } else {
        await client.react(m, args.rest[2]!);
        console.log(`Reacted ${args.rest[2]} to "${preview(m.body)}".`);
      }
    });
  },
};

export const edit: Command = {
  usage: 'edit <username|group> <message-id> <text>',
  summary: 'change the text of your own message for everyone (within 24 hours)',
  async run(args) {
    need(args, 3, this.usage);
    return withMessage(args, async (client, m) => {
      const after = await client.editMessage(m, args.rest.slice(2).join(' '));
      console.log(`Edited your message (${after.edits} edit${after.edits === 1 ? '' : 's'}).`);
    });
  },
};

export const del: Command = {
  usage: 'delete <username|group> <message-id> [--for-me]',
  summary: 'delete your own message for everyone (within 24 hours; it shows as "This message was deleted"); --for-me: any message, from your devices only',
  async run(args) {
    need(args, 2, this.usage);
    const forMe = args.options['for-me'] === 'true';
    return withMessage(args, async (client, m) => {
      if (forMe) {
        await client.deleteForMe(m);
        console.log(`Deleted "${preview(m.body)}" from your devices (the others in the chat keep it).`);
        return;
      }
      await client.deleteMessage(m);
      console.log(`Deleted "${preview(m.body)}" for everyone.`);
    });
  },
};
