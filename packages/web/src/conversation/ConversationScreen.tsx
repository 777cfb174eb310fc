/**
 * One conversation, direct or group: header, the identity warning while a safety
 * number changed, the messages and system lines, and at the bottom the composer, or
 * the request bar (a stranger wrote first, or added us to a group), or why sending
 * is off (we left the group or were removed). It reads from the SDK on every
 * `version` change.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import type { NameOf } from '../conversations/names.ts';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { Composer } from './Composer.tsx';
import { ConversationHeader } from './ConversationHeader.tsx';
import { GroupRequestBar } from './GroupRequestBar.tsx';
import { IdentityWarning } from './IdentityWarning.tsx';
import { MessageList } from './MessageList.tsx';
import { NotMemberBar } from './NotMemberBar.tsx';
import { RequestBar } from './RequestBar.tsx';
import { buildTimeline } from './timeline.ts';
import type { ConversationView } from './view.ts';

export function ConversationScreen(props: {
  client: ParleyClient;
  view: ConversationView;
  version: number;
  nameOf: NameOf;
  typing: Readonly<Record<string, number>>;
  /** Safety numbers that changed, by username, until trusted. */
  changedIdentities: Readonly<Record<string, string>>;
  inCall: boolean;
  onSent: () => void;
  onTrusted: (username: string) => void;
  onClosed: () => void;
  onCall: (kind: 'audio' | 'video') => void;
  onShowSafetyNumber: (username: string) => void;
  onGroupInfo: () => void;
}) {
  const { client, view, version, nameOf } = props;
  // A changed number of the person (direct), or of whichever member a send stopped at (group).
  const changedHere = view.kind === 'direct' && props.changedIdentities[view.username] !== undefined ? view.username : undefined;
  const [identityWarning, setIdentityWarning] = useState<string | undefined>(changedHere);
  useEffect(() => {
    if (changedHere) setIdentityWarning(changedHere);
  }, [changedHere, props.changedIdentities]);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const group = view.kind === 'group';
  const rows = useMemo(() => buildTimeline(client.messages(view.id), group ? nameOf : undefined), [client, view.id, group, nameOf, version]);

  let footer: React.ReactNode;
  if (view.kind === 'direct' && view.request) {
    footer = (
      <RequestBar
        peer={view.username}
        onAccept={() => void client.acceptRequest(view.username).then(props.onSent)}
        onBlock={() => void client.blockContact(view.username).then(props.onClosed)}
        onDelete={() => void client.deleteConversation(view.id).then(props.onClosed)}
      />
    );
  } else if (view.kind === 'group' && !view.active) {
    footer = <NotMemberBar />;
  } else if (view.kind === 'group' && view.request) {
    const addedBy = view.group.addedBy ? nameOf(view.group.addedBy) : undefined;
    footer = <GroupRequestBar addedBy={addedBy} onAccept={() => void client.groups.accept(view.group.groupId).then(props.onSent)} onLeave={() => setConfirmLeave(true)} />;
  } else {
    footer = <Composer key={view.id} client={client} to={view.sendTo} title={view.title} onSent={props.onSent} onIdentityChanged={(username) => setIdentityWarning(username)} />;
  }

  return (
    <section className="conversation" aria-label={group ? `Group ${view.title}` : `Conversation with ${view.title}`}>
      <ConversationHeader
        view={view}
        typing={props.typing}
        inCall={props.inCall}
        onCall={props.onCall}
        onShowSafetyNumber={() => view.kind === 'direct' && props.onShowSafetyNumber(view.username)}
        onGroupInfo={props.onGroupInfo}
      />
      {identityWarning !== undefined && (
        <IdentityWarning
          peer={identityWarning}
          onShowNumber={() => props.onShowSafetyNumber(identityWarning)}
          onTrust={async () => {
            await client.trust(identityWarning);
            setIdentityWarning(undefined);
            props.onTrusted(identityWarning);
          }}
        />
      )}
      <MessageList rows={rows} linksAllowed={!view.request} />
      {footer}
      {confirmLeave && view.kind === 'group' && (
        <ConfirmDialog title={`Leave ${view.title}?`} action="Leave group" onConfirm={() => client.groups.leave(view.group.groupId).then(props.onSent)} onClose={() => setConfirmLeave(false)}>
          You will no longer receive its messages, and its members are told that you left.
        </ConfirmDialog>
      )}
    </section>
  );
}
