/**
 * One conversation, direct or group: header, the identity warning while a safety
 * number changed, the messages and system lines, and at the bottom the composer, or
 * the request bar (a stranger wrote first, or added us to a group), or why sending
 * is off (we left the group or were removed). Files dropped on it are sent (where
 * the composer is). It reads from the SDK on every `version` change.
 */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { ParleyClient, StoredMessage } from '@parley/client';
import { ImageViewer } from '../attachments/ImageViewer.tsx';
import type { Transfers } from '../attachments/transfers.ts';
import type { NameOf } from '../conversations/names.ts';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { Composer, sendFiles } from './Composer.tsx';
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
  transfers: Transfers;
  /** The first message that was unread when the conversation was opened (its row id), and how many were. */
  unread: { readonly from: number; readonly count: number } | undefined;
  onBack: () => void;
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
  const [viewing, setViewing] = useState<StoredMessage>();
  const [dragging, setDragging] = useState(false);
  const transfers = useSyncExternalStore(props.transfers.subscribe, props.transfers.get);
  const uploads = useMemo(() => transfers.uploads.filter((u) => u.conversation === view.id), [transfers.uploads, view.id]);
  const group = view.kind === 'group';
  const rows = useMemo(
    () => buildTimeline(client.messages(view.id), { ...(group ? { senderName: nameOf } : {}), ...(props.unread ? { unreadFrom: props.unread.from, unreadCount: props.unread.count } : {}) }),
    [client, view.id, group, nameOf, version, props.unread],
  );
  const canSend = !(view.kind === 'direct' && view.request) && !(view.kind === 'group' && (!view.active || view.request));
  const composerTarget = { client, to: view.sendTo, conversation: view.id, transfers: props.transfers, onSent: props.onSent, onIdentityChanged: (username: string) => setIdentityWarning(username) };

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
    footer = <Composer key={view.id} {...composerTarget} title={view.title} />;
  }

  const hasFiles = (e: React.DragEvent) => canSend && Array.from(e.dataTransfer.types).includes('Files');
  return (
    <section
      className={dragging ? 'conversation dragging' : 'conversation'}
      aria-label={group ? `Group ${view.title}` : `Conversation with ${view.title}`}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        setDragging(false);
        if (!hasFiles(e)) return;
        e.preventDefault();
        sendFiles(composerTarget, Array.from(e.dataTransfer.files));
      }}
    >
      {dragging && (
        <div className="drop-hint" aria-hidden="true">
          Drop to send to {view.title}
        </div>
      )}
      <ConversationHeader
        view={view}
        onBack={props.onBack}
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
      <MessageList
        client={client}
        rows={rows}
        linksAllowed={!view.request}
        downloads={transfers.downloads}
        uploads={uploads}
        onCancelUpload={(id) => props.transfers.cancelUpload(id)}
        onOpenImage={setViewing}
      />
      {footer}
      {viewing && <ImageViewer client={client} message={viewing} from={viewing.direction === 'out' ? 'You' : nameOf(viewing.senderAccountId)} onClose={() => setViewing(undefined)} />}
      {confirmLeave && view.kind === 'group' && (
        <ConfirmDialog title={`Leave ${view.title}?`} action="Leave group" onConfirm={() => client.groups.leave(view.group.groupId).then(props.onSent)} onClose={() => setConfirmLeave(false)}>
          You will no longer receive its messages, and its members are told that you left.
        </ConfirmDialog>
      )}
    </section>
  );
}
