/** Opens this browser profile's SDK client once; says why if it cannot; can start over with an empty profile. */
import { useCallback, useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { forgetProfile, openClient, type OpenedClient } from './open-client.ts';

export function useClient(): { client: ParleyClient | undefined; error: string | undefined; startOver: () => Promise<void> } {
  const [opened, setClient] = useState<OpenedClient>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    openClient().then(setClient, (e) => setError(explain(e)));
  }, []);
  const startOver = useCallback(async () => {
    if (!opened) return;
    // Unmount everything that uses the old client first; then delete its data and open a fresh one.
    setClient(undefined);
    try {
      await forgetProfile(opened);
      setClient(await openClient());
    } catch (e) {
      setError(explain(e));
    }
  }, [opened]);
  return { client: opened?.client, error, startOver };
}
