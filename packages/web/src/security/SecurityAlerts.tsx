/**
 * Security alerts above the conversation: the operator's verified security notices
 * (new ones until dismissed; all of them stay in the client), and the warning that
 * strangers' calls which hang up at once make a pattern seen in targeted attacks,
 * with a one-click switch to strict mode.
 */
import { useEffect, useState } from 'react';
import type { ClientEvent, ParleyClient, SecurityNotice } from '@parley/client';

export function SecurityAlerts({ client, strict, onStrict }: { client: ParleyClient; strict: boolean; onStrict: () => void }) {
  const [notices, setNotices] = useState<SecurityNotice[]>([]);
  const [warning, setWarning] = useState<{ count: number; callers: readonly string[] } | undefined>(() => {
    const s = client.callSuspicion();
    return s.warn ? s : undefined;
  });
  useEffect(
    () =>
      client.on((e: ClientEvent) => {
        if (e.type === 'security-notice') setNotices((n) => [...n, e.notice]);
        if (e.type === 'call-warning') setWarning({ count: e.count, callers: e.callers });
      }),
    [client],
  );
  return (
    <>
      {notices.map((n) => (
        <div key={n.id} className="banner error security-notice" role="alert">
          <div>
            <strong>Security notice: {n.title}</strong>
            <div>{n.body}</div>
            {n.minVersion && <div>Update Parley to {n.minVersion} or later.</div>}
          </div>
          <button type="button" onClick={() => setNotices((all) => all.filter((x) => x.id !== n.id))}>
            Dismiss
          </button>
        </div>
      ))}
      {warning && !strict && (
        <div className="banner warn call-warning" role="alert">
          <div>
            {warning.count} calls from people who are not your contacts ({warning.callers.join(', ')}) hung up before or right after ringing. Targeted attacks
            have used such calls. Strict mode relays every call and keeps strangers from ringing.
          </div>
          <button type="button" onClick={onStrict}>
            Turn on strict mode
          </button>
          <button type="button" onClick={() => setWarning(undefined)}>
            Dismiss
          </button>
        </div>
      )}
    </>
  );
}
