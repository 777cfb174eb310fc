/**
 * The signed-in app's link to the SDK's events: the connection state, typing,
 * changed safety numbers, notifications while the tab is in the background, read
 * marks for the open conversation, and a version number that changes whenever
 * stored data may have. Calls have their own hook (call/use-call.ts); this one
 * connects the client and disconnects it when the app goes away.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ClientEvent, ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { notifyInBackground } from './notify.ts';

export interface Session {
  /** Changes whenever messages, conversations or the call log may have changed. */
  readonly version: number;
  refresh(): void;
  /** Why the app is offline while it keeps reconnecting. */
  readonly connection: string | undefined;
  /** A failure that needs the person (the connection gave up, a call could not be placed). */
  readonly fatal: string | undefined;
  report(message: string): void;
  /** When each contact last said they started typing (0: they stopped). */
  readonly typingSince: Readonly<Record<string, number>>;
  /** Contacts whose safety number changed, with the new number, until trusted. */
  readonly changedIdentities: Readonly<Record<string, string>>;
  trusted(username: string): void;
}

export function useSession(client: ParleyClient, openConversation: string | undefined): Session {
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<string>();
  const [fatal, setFatal] = useState<string>();
  const [typingSince, setTyping] = useState<Record<string, number>>({});
  const [changedIdentities, setChanged] = useState<Record<string, string>>({});
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const openRef = useRef(openConversation);
  openRef.current = openConversation;

  useEffect(() => {
    /** What the person sees in the open conversation counts as read, as long as the tab is visible. */
    const readIfOpen = (conversation: string) => {
      // The open conversation is a username; a message names its conversation by id.
      const title = client.conversations().find((c) => c.id === conversation)?.title ?? conversation;
      if (openRef.current === title && !document.hidden) void client.markRead(title).then(refresh);
    };
    const off = client.on((e: ClientEvent) => {
      if (e.type === 'connection') {
        if (e.state === 'open') setConnection(undefined);
        else if (e.state === 'reconnecting') setConnection(explain(e.error));
        else if (e.state === 'closed' && e.error) setFatal(explain(e.error));
      } else if (e.type === 'call') {
        // A missed-call note in the open conversation is seen, like a message would be.
        if (e.event === 'ended') readIfOpen(e.peer);
      } else if (e.type === 'typing') {
        setTyping((t) => ({ ...t, [e.from]: e.typing ? Date.now() : 0 }));
      } else if (e.type === 'identity-changed') {
        setChanged((c) => ({ ...c, [e.username]: e.safetyNumber }));
      } else if (e.type === 'message') {
        notifyInBackground(`Parley: ${client.conversations().find((c) => c.id === e.message.conversation)?.title ?? 'new message'}`, 'New message');
        readIfOpen(e.message.conversation);
      }
      refresh();
    });
    client.connect().catch((e) => setFatal(explain(e)));
    const onVisible = () => {
      if (!document.hidden && openRef.current) void client.markRead(openRef.current).then(refresh);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      off();
      document.removeEventListener('visibilitychange', onVisible);
      client.disconnect();
    };
  }, [client, refresh]);

  const trusted = useCallback((username: string) => setChanged(({ [username]: _, ...rest }) => rest), []);
  return { version, refresh, connection, fatal, report: setFatal, typingSince, changedIdentities, trusted };
}
