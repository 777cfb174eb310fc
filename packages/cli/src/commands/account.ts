/** `register` and `whoami`. */
import { need } from '../args.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

export const register: Command = {
  usage: 'register <username>',
  summary: 'create an account on the server (keys stay on this device)',
  async run(args) {
    need(args, 1, this.usage);
    return withClient(args, async (client) => {
      const a = await client.register(args.rest[0]!, (step) => console.error(`... ${step}`));
      console.log(`Registered ${a.username} on ${a.serverUrl} (account ${a.accountId}, device ${a.deviceId}).`);
      return 0;
    });
  },
};

export const whoami: Command = {
  usage: 'whoami',
  summary: "show this profile's account",
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const a = client.account!;
      const me = await client.http.whoami();
      console.log(`${me.username} on ${a.serverUrl} (account ${me.accountId}, device ${me.deviceId}, profile ${args.profile})`);
      return 0;
    }),
};
