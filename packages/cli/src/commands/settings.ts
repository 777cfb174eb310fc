/** Conversation and account settings: `disappear`, `receipts`. */
import { ClientError, describeTimer, parseTimer } from '@parley/client';
import { need, UsageError } from '../args.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

export const disappear: Command = {
  usage: 'disappear <username|group> <duration|off>',
  summary: 'disappearing messages for everyone in the conversation: 30s, 5m, 1h, 1d, 1w (up to 4w), or off',
  async run(args) {
    need(args, 2, this.usage);
    const seconds = parseTimer(args.rest[1]!);
    if (seconds === undefined) throw new ClientError('INVALID_TIMER', `"${args.rest[1]}" is not a duration; use a number with s, m, h, d or w (30s, 5m, 1h, 1d, 1w; at most 4w), or off`);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const ref = args.rest[0]!;
      await client.setDisappearing(ref, seconds);
      console.log(seconds === 0 ? `Disappearing messages are off in ${ref}.` : `Messages in ${ref} now disappear ${describeTimer(seconds)} after they are read (for everyone in it).`);
      return 0;
    });
  },
};

export const receipts: Command = {
  usage: 'receipts on|off',
  summary: 'read receipts: off, you send none and see nobody\'s (your messages stop at "delivered"); for all your devices',
  async run(args) {
    need(args, 1, this.usage);
    const v = args.rest[0]!.toLowerCase();
    if (v !== 'on' && v !== 'off') throw new UsageError(`usage: parley ${this.usage}`);
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      await client.setReadReceipts(v === 'on');
      console.log(v === 'on' ? 'Read receipts are on: people see when you read their messages, and you see when they read yours.' : 'Read receipts are off: nobody sees when you read their messages, and you do not see when they read yours.');
      return 0;
    });
  },
};
