/** `notices`: the operator's security notices this device accepted, and printing new ones. */
import type { NoticeCheck, ParleyClient, SecurityNotice } from '@parley/client';
import { formatTime } from '../output.ts';
import { requireRegistered, withClient } from '../profile.ts';
import type { Command } from './types.ts';

function show(n: SecurityNotice, isNew: boolean): void {
  console.log(`${isNew ? 'NEW ' : ''}SECURITY NOTICE [${formatTime(n.issuedAt)}] ${n.title}`);
  console.log(`  ${n.body}`);
  if (n.minVersion) console.log(`  Update Parley to ${n.minVersion} or later.`);
}

/** Prints what a check found that the person must see: new notices, and a changed operator key. */
export function reportNoticeCheck(check: NoticeCheck): void {
  for (const n of check.fresh) show(n, true);
  if (check.keyChanged) {
    console.log(
      'Warning: the server presented a security-notice key other than the one this device trusts; its notices are ignored. ' +
        'Ask the server operator why; if they changed it on purpose, delete notices.json in this profile to trust the new key.',
    );
  }
}

/** Checks for new notices before anything else is shown (a failed check never stops the command). */
export async function checkNoticesFirst(client: ParleyClient): Promise<void> {
  const check = await client.checkNotices().catch(() => undefined);
  if (check) reportNoticeCheck(check);
}

export const notices: Command = {
  usage: 'notices',
  summary: "security notices from the server's operator (signed; forged or replayed ones are refused), newest first",
  run: (args) =>
    withClient(args, async (client) => {
      requireRegistered(client, args);
      const check = await client.checkNotices();
      reportNoticeCheck(check);
      const fresh = new Set(check.fresh.map((n) => n.id));
      const old = client.notices().filter((n) => !fresh.has(n.id));
      for (const n of old) show(n, false);
      if (check.fresh.length === 0 && old.length === 0) console.log('No security notices.');
      const off = (['calls', 'video-calls', 'attachments'] as const).filter((f) => client.featureDisabled(f));
      if (off.length > 0) console.log(`Switched off on this server for now: ${off.join(', ')}.`);
      return 0;
    }),
};
