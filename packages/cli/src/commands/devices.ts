/** Linked devices: `link` (new device: show a code; existing device: `link <code>`), `devices`, `unlink`. */
import { hostname } from 'node:os';
import QRCode from 'qrcode';
import { need, UsageError } from '../args.ts';
import { formatTime } from '../output.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

export const link: Command = {
  usage: 'link [<code>]',
  summary: 'link devices: on the new device `parley link` shows a code and waits; on a linked device `parley link <code>` sends it your account',
  run: (args) =>
    withClient(args, async (client) => {
      const code = args.rest.join('');
      if (!code) {
        const a = await client.devices.linkAsNew(args.options.name ?? `CLI on ${hostname()}`, {
          onCode(text, qr, expiresAt) {
            void QRCode.toString(qr, { type: 'terminal', small: true }).then((q) => {
              console.log(`On a device that is already linked, run:\n\n  parley link ${text}\n\nor scan this code in the web app (Settings, Link a device):\n`);
              console.log(q);
              console.log(`The code works once, until ${formatTime(expiresAt)} UTC. Waiting...`);
            });
          },
          onProgress: (step) => console.error(`... ${step}`),
        });
        console.log(`Linked: this profile is now ${a.username}'s device ${a.deviceId}. Run \`parley inbox\` to receive.`);
        return 0;
      }
      requireRegistered(client, args);
      const id = await client.devices.link(code, (step) => console.error(`... ${step}`));
      console.log(`Linked device ${id} to ${client.account!.username}.`);
      return 0;
    }),
};

export const devices: Command = {
  usage: 'devices',
  summary: "list this account's devices",
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      for (const d of await client.devices.list()) {
        console.log(`${String(d.deviceId).padStart(3)}  ${d.name}${d.current ? '  (this device)' : ''}  linked ${formatTime(d.createdAt)}, last seen ${formatTime(d.lastSeenAt)}`);
      }
      return 0;
    }),
};

export const unlink: Command = {
  usage: 'unlink <device id>',
  summary: 'unlink a device: it stops receiving at once and cannot send',
  async run(args) {
    need(args, 1, this.usage);
    const id = Number(args.rest[0]);
    if (!Number.isInteger(id) || id < 1 || id > 127 || !/^\d+$/.test(args.rest[0]!)) throw new UsageError('a device id is a number from `parley devices`');
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      await client.devices.unlink(id);
      console.log(id === client.account!.deviceId ? 'This device is unlinked; it no longer receives or sends.' : `Unlinked device ${id}.`);
      return 0;
    });
  },
};
