/** Opens this browser profile's SDK client once; says why if it cannot. */
import { useEffect, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { openClient } from './open-client.ts';

export function useClient(): { client: ParleyClient | undefined; error: string | undefined } {
  const [client, setClient] = useState<ParleyClient>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    openClient().then(setClient, (e) => setError(explain(e)));
  }, []);
  return { client, error };
}
