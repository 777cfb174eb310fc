/**
 * Read receipts are the account's setting, kept by the SDK (`client.settings()`,
 * `setReadReceipts`, synced to our other devices; the SDK then sends none and shows
 * nobody's). This module gives React the current value, and carries over the choice
 * earlier versions of the app kept in this browser only ('parley.readReceipts').
 */
import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { SettingsStore } from './settings.ts';

/**
 * Whether read receipts are on (the default), re-read on the SDK's `settings` events, and
 * a setter that shows the choice at once (the SDK stores and syncs it; on failure it reverts).
 */
export function useReadReceipts(client: ParleyClient): [boolean, (on: boolean) => void] {
  const read = () => client.settings().readReceipts !== false;
  const [on, setOn] = useState(read);
  useEffect(() => client.on((e) => e.type === 'settings' && setOn(read())), [client]);
  const set = (next: boolean) => {
    setOn(next);
    client.setReadReceipts(next).catch(() => setOn(read()));
  };
  return [on, set];
}

/** Someone who turned receipts off in an earlier version keeps them off, once the account has no choice of its own. */
export function adoptLegacyReadReceipts(client: ParleyClient, settings: SettingsStore): void {
  if (settings.get().readReceipts === false && client.settings().readReceipts === undefined) void client.setReadReceipts(false).catch(() => undefined);
}
