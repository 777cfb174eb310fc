/**
 * One conversation, direct or group: header, the identity warning while a safety
 * number changed, the search bar while searching it, the messages and system
 * lines, and at the bottom the composer, or the request bar (a stranger wrote
 * first, or added us to a group), or the blocked bar, or why sending is off (we
 * left the group or were removed). Files picked, pasted or dropped on it are shown
 * in a preview before they are sent. The header menu sets disappearing messages
 * and blocks. New messages are announced to screen readers. It reads from the SDK
 * on every `version` change.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { ParleyClient, StoredMessage } from '@parley/client';
import { FilePreview } from '../attachments/FilePreview.tsx';
import { ImageViewer } from '../attachments/ImageViewer.tsx';
import { transferKey, type Transfers } from '../attachments/transfers.ts';
import type { NameOf } from '../conversations/names.ts';
import { explain } from '../errors.ts';
import { ConversationSearch } from '../search/ConversationSearch.tsx';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import type { MenuItem } from '../ui/Menu.tsx';
import { useMessageActions } from './actions/use-message-actions.tsx';
import { BlockDialog } from './blocking/BlockDialog.tsx';
import { BlockedBar } from './blocking/BlockedBar.tsx';
import { Composer, sendFiles } from './Composer.tsx';
import { ConversationHeader } from './ConversationHeader.tsx';
import { DisappearingDialog } from './disappearing/DisappearingDialog.tsx';
import { GroupRequestBar } from './GroupRequestBar.tsx';
import { IdentityWarning } from './IdentityWarning.tsx';
import { MessageList } from './MessageList.tsx';
import { NotMemberBar } from './NotMemberBar.tsx';
import { RequestBar } from './RequestBar.tsx';
import { buildTimeline, type TimelineRow } from './timeline.ts';
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
  /** Open at this message (a search result): its row key; a new `seq` jumps again. */
  jump: { readonly key: string; readonly seq: number } | undefined;
  /** We blocked the person (the conversation stays open, with the blocked bar, even when its messages were deleted). */
  onBlocked: (username: string) => void;
}) {
  const { client, view, version, nameOf } = props;
  const me = client.account!.accountId;
  // A changed number of the person (direct), or of whichever member a send stopped at (group).
  const changedHere = view.kind === 'direct' && props.changedIdentities[view.username] !== undefined ? view.username : undefined;
  const [identityWarning, setIdentityWarning] = useState<string | undefined>(changedHere);
  useEffect(() => {
    if (changedHere) setIdentityWarning(changedHere);
  }, [changedHere, props.changedIdentities]);
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [viewing, setViewing] = useState<StoredMessage>();
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string>();
  const [files, setFiles] = useState<File[]>();
  const [dialog, setDialog] = useState<'disappearing' | 'block'>();
  const [searching, setSearching] = useState(false);
  const [term, setTerm] = useState<string>();
  const [jump, setJump] = useState(props.jump);
  useEffect(() => setJump(props.jump), [props.jump]);
  const jumpTo = (key: string) => setJump((j) => ({ key, seq: (j?.seq ?? 0) + 1 }));
  const actions = useMessageActions(client, me, nameOf, (e) => setError(explain(e)));
  const timer = useMemo(() => client.disappearingTimer(view.id), [client, view.id, version]);
  const transfers = useSyncExternalStore(props.transfers.subscribe, props.transfers.get);
  const uploads = useMemo(() => transfers.uploads.filter((u) => u.conversation === view.id), [transfers.uploads, view.id]);
  const group = view.kind === 'group';
  const rows = useMemo(
    () => buildTimeline(client.messages(view.id), { ...(group ? { senderName: nameOf } : {}), ...(props.unread ? { unreadFrom: props.unread.from, unreadCount: props.unread.count } : {}) }),
    [client, view.id, group, nameOf, version, props.unread],
  );
  const canSend = !(view.kind === 'direct' && (view.request || view.blocked)) && !(view.kind === 'group' && (!view.active || view.request));
  const announcement = useNewMessageAnnouncement(rows, group ? nameOf : () => view.title);
  const composerTarget = { client, to: view.sendTo, conversation: view.id, transfers: props.transfers, onSent: props.onSent, onIdentityChanged: (username: string) => setIdentityWarning(username) };

  const menuItems: MenuItem[] = [];
  if (canSend) menuItems.push({ label: 'Disappearing messages', onSelect: () => setDialog('disappearing') });
  if (view.kind === 'direct' && !view.request) {
    menuItems.push(
      view.blocked
        ? { label: `Unblock ${view.username}`, onSelect: () => void client.unblockContact(view.username).then(props.onSent, (e: unknown) => setError(explain(e))) }
        : { label: `Block ${view.username}`, onSelect: () => setDialog('block'), danger: true },
    );
  }

  let footer: React.ReactNode;
  if (view.kind === 'direct' && view.request) {
    footer = (
      <RequestBar
        peer={view.username}
        onAccept={() => void client.acceptRequest(view.username).then(props.onSent)}
        onBlock={() => setDialog('block')}
        onDelete={() => void client.deleteConversation(view.id).then(props.onClosed)}
      />
    );
  } else if (view.kind === 'direct' && view.blocked) {
    footer = <BlockedBar peer={view.username} onUnblock={() => client.unblockContact(view.username).then(props.onSent)} />;
  } else if (view.kind === 'group' && !view.active) {
    footer = <NotMemberBar />;
  } else if (view.kind === 'group' && view.request) {
    const addedBy = view.group.addedBy ? nameOf(view.group.addedBy) : undefined;
    footer = <GroupRequestBar addedBy={addedBy} onAccept={() => void client.groups.accept(view.group.groupId).then(props.onSent)} onLeave={() => setConfirmLeave(true)} />;
  } else {
    footer = <Composer key={view.id} {...composerTarget} title={view.title} compose={actions.compose} onComposeEnd={actions.endCompose} onFiles={setFiles} />;
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
        setFiles(Array.from(e.dataTransfer.files));
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
        timer={timer}
        onSearch={() => setSearching(true)}
        menuItems={menuItems}
      />
      {searching && (
        <ConversationSearch
          client={client}
          conversation={view.id}
          version={version}
          onTerm={setTerm}
          onShow={(m) => jumpTo(`m${m.rowId}`)}
          onClose={() => {
            setSearching(false);
            setTerm(undefined);
          }}
        />
      )}
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
        onRetryUpload={(id) => props.transfers.retryUpload(id)}
        onOpenImage={setViewing}
        failedDownloads={transfers.failedDownloads}
        onDownload={(m) => {
          props.transfers.clearDownloadFailure(transferKey(m));
          // A failure comes back as the SDK's attachment-failed event (the session hook records it).
          client.attachments.download(m).catch(() => undefined);
        }}
        me={me}
        nameOf={nameOf}
        canSend={canSend}
        highlight={term}
        jump={jump}
        actions={{ ...actions.handlers, onJump: jumpTo }}
      />
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
      {error && (
        <p className="error action-error" role="alert">
          {error}{' '}
          <button type="button" className="link" onClick={() => setError(undefined)}>
            Dismiss
          </button>
        </p>
      )}
      {footer}
      {actions.overlays}
      {files && files.length > 0 && (
        <FilePreview
          files={files}
          title={view.title}
          onCancel={() => setFiles(undefined)}
          onSend={(caption) => {
            sendFiles(composerTarget, files, caption);
            setFiles(undefined);
          }}
        />
      )}
      {dialog === 'disappearing' && <DisappearingDialog current={timer} onChoose={(s) => client.setDisappearing(view.id, s)} onClose={() => setDialog(undefined)} />}
      {dialog === 'block' && view.kind === 'direct' && (
        <BlockDialog client={client} username={view.username} request={view.request} onBlocked={() => props.onBlocked(view.username)} onClose={() => setDialog(undefined)} />
      )}
      {viewing && <ImageViewer client={client} message={viewing} from={viewing.direction === 'out' ? 'You' : nameOf(viewing.senderAccountId)} onClose={() => setViewing(undefined)} />}
      {confirmLeave && view.kind === 'group' && (
        <ConfirmDialog title={`Leave ${view.title}?`} action="Leave group" onConfirm={() => client.groups.leave(view.group.groupId).then(props.onSent)} onClose={() => setConfirmLeave(false)}>
          You will no longer receive its messages, and its members are told that you left.
        </ConfirmDialog>
      )}
    </section>
  );
}

/** "ana: see you at 8" for a message that arrived while the conversation is open (for screen readers). */
function useNewMessageAnnouncement(rows: readonly TimelineRow[], nameOf: (accountId: string) => string): string {
  const [text, setText] = useState('');
  const lastSeen = useRef<number>(undefined);
  useEffect(() => {
    const last = rows.at(-1);
    const rowId = last?.kind === 'message' ? last.message.rowId : undefined;
    if (last?.kind === 'message' && lastSeen.current !== undefined && rowId! > lastSeen.current && last.message.direction === 'in') {
      const m = last.message;
      setText(`${nameOf(m.senderAccountId)}: ${m.deleted ? 'This message was deleted' : m.body || 'sent a file'}`);
    }
    if (rowId !== undefined) lastSeen.current = Math.max(lastSeen.current ?? 0, rowId);
    else if (lastSeen.current === undefined) lastSeen.current = 0;
  }, [rows]);
  return text;
}
