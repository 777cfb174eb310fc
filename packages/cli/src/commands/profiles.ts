/**
 * `profile`: your profile name and picture, sealed under your profile key before
 * they leave the device, so the server keeps only ciphertext; your contacts (people
 * you wrote to or accepted) get the key and see them. Also how contacts are labelled
 * when their profile name is known: `Alice Smith (@alice)`.
 */
import { readFileSync } from 'node:fs';
import { formatFileSize, pictureType, type ParleyClient } from '@parley/client';
import { UsageError } from '../args.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

export const profile: Command = {
  usage: 'profile [--name <name>] [--avatar <path>]',
  summary: 'show your profile, or set your profile name or picture (PNG, JPEG, GIF or WebP); only your contacts can read them',
  async run(args) {
    if (args.rest.length) throw new UsageError(`usage: parley ${this.usage}`);
    const unknown = Object.keys(args.options).filter((k) => k !== 'name' && k !== 'avatar');
    if (unknown.length) throw new UsageError(`unknown option --${unknown[0]}; usage: parley ${this.usage}`);
    const name = args.options.name;
    const path = args.options.avatar;
    let avatar: Uint8Array | undefined;
    if (path !== undefined) {
      try {
        avatar = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new UsageError(`cannot read the picture ${path}: ${(e as Error).message}; check the path`);
      }
    }
    return withClient(args, async (client) => {
      requireRegistered(client, args);
      const changing = name !== undefined || avatar !== undefined;
      const p = changing ? await client.setProfile({ ...(name !== undefined ? { name } : {}), ...(avatar ? { avatar } : {}) }) : await client.profile();
      if (changing) console.log('Profile updated; your contacts see it (sealed with your profile key, the server cannot read it).');
      console.log(`Username: @${client.account!.username}`);
      console.log(`Name: ${p.name ?? '(none; set one with `parley profile --name <name>`)'}`);
      console.log(`Picture: ${p.avatar ? `${pictureType(p.avatar) ?? 'image'}, ${formatFileSize(p.avatar.length)}` : '(none; set one with `parley profile --avatar <path>`)'}`);
      return 0;
    });
  },
};

/** `Alice Smith (@alice)` when the person's profile name is known, else `alice`. */
export function labelOf(client: ParleyClient, username: string): string {
  const name = client.profileName(username);
  return name ? `${name} (@${username})` : username;
}
