/**
 * The signed-in app's link to the SDK's events: the connection state (and whether
 * this browser was unlinked), typing per conversation, changed safety numbers,
 * notifications while the tab is in the background, failed downloads (for their
 * cards), read marks for the open
 * conversation, and a version number that changes whenever stored data may have.
 * Everything is keyed by ConversationId. Calls have their own hook
 * (call/use-call.ts); this one connects the client and disconnects it when the app
 * goes away.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { WireError, type ClientEvent, type ConversationId, type ParleyClient } from '@parley/client';
import { transferKey, type Transfers } from '../attachments/transfers.ts';
import { downloadFailureText } from '../attachments/failure-text.ts';
import { explain } from '../errors.ts';
import { notifyInBackground } from './notify.ts';

export interface Session {
  /** Changes whenever messages, conversations, groups or the call log may have changed. */
  readonly version: number;
  refresh(): void;
  /** Why the app is offline while it keeps reconnecting. */
  readonly connection: string | undefined;
  /** A failure that needs the person (the connection gave up, a call could not be placed). */
  readonly fatal: string | undefined;
  report(message: string): void;
  /** The server said this device was unlinked from its account: nothing works until it is linked again. */
  readonly unlinked: boolean;
  /** Per conversation: when each person (by username) last said they started typing (0: they stopped). */
  readonly typing: Readonly<Record<ConversationId, Readonly<Record<string, number>>>>;
  /** People whose safety number changed, with the new number, until trusted. */
  readonly changedIdentities: Readonly<Record<string, string>>;
  trusted(username: string): void;
}

const isUnlinked = (e: unknown) => e instanceof WireError && e.code === 'DEVICE_UNLINKED';

/**
 * `markRead` marks a conversation read (with or without read receipts, as the person
 * chose); `transfers` gets the SDK's download progress.
 */
export function useSession(client: ParleyClient, openConversation: ConversationId | undefined, markRead: (conversation: ConversationId) => Promise<void>, transfers: Transfers): Session {
  const [version, setVersion] = useState(0);
  const [connection, setConnection] = useState<string>();
  const [fatal, setFatal] = useState<string>();
  const [unlinked, setUnlinked] = useState(false);
  const [typing, setTyping] = useState<Record<ConversationId, Record<string, number>>>({});
  const [changedIdentities, setChanged] = useState<Record<string, string>>({});
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const openRef = useRef(openConversation);
  openRef.current = openConversation;
  const markReadRef = useRef(markRead);
  markReadRef.current = markRead;

  useEffect(() => {
    /** What the person sees in the open conversation counts as read, as long as the tab is visible. */
    const readIfOpen = (conversation: ConversationId | undefined) => {
      if (conversation && openRef.current === conversation && !document.hidden) void markReadRef.current(conversation).then(refresh);
    };
    const failed = (e: WireError) => {
      if (isUnlinked(e)) setUnlinked(true);
      else setFatal(explain(e));
    };
    const off = client.on((e: ClientEvent) => {
      // Progress moves a file card only; it does not re-read the conversations.
      if (e.type === 'attachment-progress') return transfers.downloadProgress(transferKey(e.message), e.done, e.total);
      if (e.type === 'attachment') {
        transfers.downloadEnded(transferKey(e.message));
        if (e.message.attachment?.state === 'downloaded') transfers.clearDownloadFailure(transferKey(e.message));
      }
      // Uploads report their failure to the card that started them (send-file.ts); downloads here.
      if (e.type === 'attachment-failed' && e.transfer === 'download') transfers.downloadFailed(transferKey(e.message), downloadFailureText(e.code, e.error));
      if (e.type === 'connection') {
        if (e.state === 'open') setConnection(undefined);
        else if (e.state === 'reconnecting') setConnection(explain(e.error));
        else if (e.state === 'closed' && e.error) failed(e.error);
      } else if (e.type === 'call') {
        // A missed-call note in the open conversation is seen, like a message would be.
        if (e.event === 'ended') readIfOpen(client.conversation(e.peer));
      } else if (e.type === 'typing') {
        setTyping((t) => ({ ...t, [e.conversation]: { ...t[e.conversation], [e.from]: e.typing ? Date.now() : 0 } }));
      } else if (e.type === 'identity-changed') {
        setChanged((c) => ({ ...c, [e.username]: e.safetyNumber }));
      } else if (e.type === 'message') {
        if (e.message.direction === 'in') {
          // The title only (a name or a group name), never the text.
          const title = client.conversations().find((c) => c.id === e.message.conversation)?.title;
          notifyInBackground(`Parley: ${title ?? 'new message'}`, 'New message');
        }
        readIfOpen(e.message.conversation);
      }
      refresh();
    });
    client.connect().catch((e) => (e instanceof WireError ? failed(e) : setFatal(explain(e))));
    const onVisible = () => {
      if (!document.hidden && openRef.current) void markReadRef.current(openRef.current).then(refresh);
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      off();
      document.removeEventListener('visibilitychange', onVisible);
      client.disconnect();
    };
  }, [client, refresh, transfers]);

  const trusted = useCallback((username: string) => setChanged(({ [username]: _, ...rest }) => rest), []);
  return { version, refresh, connection, fatal, report: setFatal, unlinked, typing, changedIdentities, trusted };
}
