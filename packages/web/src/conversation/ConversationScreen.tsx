/**
 * One conversation: header, the identity warning while a safety number changed,
 * the messages and call lines, and the composer (or the request bar for someone not in the
 * contacts). It reads from the SDK on every `version` change.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { Composer } from './Composer.tsx';
import { ConversationHeader } from './ConversationHeader.tsx';
import { IdentityWarning } from './IdentityWarning.tsx';
import { MessageList } from './MessageList.tsx';
import { RequestBar } from './RequestBar.tsx';
import { buildTimeline } from './timeline.ts';

export function ConversationScreen(props: {
  client: ParleyClient;
  peer: string;
  version: number;
  typingSince: number;
  changedNumber: string | undefined;
  inCall: boolean;
  onSent: () => void;
  onTrusted: () => void;
  onClosed: () => void;
  onCall: (kind: 'audio' | 'video') => void;
  onShowSafetyNumber: () => void;
}) {
  const { client, peer, version } = props;
  const request = client.isRequest(peer);
  const [identityWarning, setIdentityWarning] = useState<string | undefined>(props.changedNumber);
  useEffect(() => {
    setIdentityWarning(props.changedNumber);
  }, [props.changedNumber]);
  const rows = useMemo(() => buildTimeline(client.messages(peer)), [client, peer, version]);

  return (
    <section className="conversation" aria-label={`Conversation with ${peer}`}>
      <ConversationHeader peer={peer} typingSince={props.typingSince} request={request} inCall={props.inCall} onCall={props.onCall} onShowSafetyNumber={props.onShowSafetyNumber} />
      {identityWarning !== undefined && (
        <IdentityWarning
          peer={peer}
          onShowNumber={props.onShowSafetyNumber}
          onTrust={async () => {
            await client.trust(peer);
            setIdentityWarning(undefined);
            props.onTrusted();
          }}
        />
      )}
      <MessageList rows={rows} linksAllowed={!request} />
      {request ? (
        <RequestBar
          peer={peer}
          onAccept={() => void client.acceptRequest(peer).then(props.onSent)}
          onBlock={() => void client.blockContact(peer).then(props.onClosed)}
          onDelete={() => void client.deleteConversation(peer).then(props.onClosed)}
        />
      ) : (
        <Composer client={client} peer={peer} onSent={props.onSent} onIdentityChanged={setIdentityWarning} />
      )}
    </section>
  );
}
