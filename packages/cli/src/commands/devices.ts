/** Linked devices: `link` (new device: show a code; existing device: `link <code>`), `devices` (with open connections; `devices rotate` changes this device's password), `unlink`. */
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
  usage: 'devices [rotate]',
  summary: "list this account's devices and their open connections; `devices rotate` changes this device's password, signing out every copy of the old one",
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const sub = args.rest[0];
      if (sub === 'rotate') {
        await client.devices.rotateCredentials();
        console.log("This device's password is changed: every connection made with the old one is closed, on every server node. Your other devices are not affected.");
        return 0;
      }
      if (sub !== undefined) throw new UsageError('`parley devices` lists devices; `parley devices rotate` changes this device\'s password');
      const [list, sessions] = await Promise.all([client.devices.list(), client.devices.sessions()]);
      for (const d of list) {
        console.log(`${String(d.deviceId).padStart(3)}  ${d.name}${d.current ? '  (this device)' : ''}  linked ${formatTime(d.createdAt)}, last seen ${formatTime(d.lastSeenAt)}`);
        const open = sessions.filter((s) => s.deviceId === d.deviceId);
        if (open.length > 0) console.log(`     ${open.length} connection${open.length === 1 ? '' : 's'} open now, signed in at ${open.map((s) => formatTime(s.connectedAt)).join(', ')}`);
      }
      const mine = sessions.filter((s) => s.thisDevice).length;
      if (mine > 0) {
        console.log(`\nThis device's password is in use on ${mine} open connection${mine === 1 ? '' : 's'} (this command makes none). If that is more than the apps you have open with this profile, run \`parley devices rotate\`.`);
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
