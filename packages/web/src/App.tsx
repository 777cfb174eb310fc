/**
 * The Parley web app's routes: opening the client, registering or linking this
 * browser to an existing account, then the messenger (sidebar, open conversation,
 * the call screen and dialogs over them), or the screen that says this browser was
 * unlinked. Each screen lives in its own folder; the state that spans screens comes
 * from the session and call hooks, and files moving from Transfers. The open
 * conversation is a ConversationId. On a narrow window the sidebar and the open
 * conversation take turns (style.css), and "Back" closes the conversation.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ConversationId, ParleyClient } from '@parley/client';
import { CallScreen } from './call/CallScreen.tsx';
import { useCall } from './call/use-call.ts';
import { Transfers } from './attachments/transfers.ts';
import { CallLogDialog } from './call-log/CallLogDialog.tsx';
import { ConversationScreen } from './conversation/ConversationScreen.tsx';
import { conversationView } from './conversation/view.ts';
import { accountNames } from './conversations/names.ts';
import { Sidebar } from './conversations/Sidebar.tsx';
import { UnlinkedScreen } from './devices/UnlinkedScreen.tsx';
import { GroupInfoDialog } from './groups/GroupInfoDialog.tsx';
import { NewGroupDialog } from './groups/NewGroupDialog.tsx';
import { ProfileDirectory } from './profiles/directory.ts';
import { ProfilesContext } from './profiles/use-profile.tsx';
import { RegisterScreen } from './register/RegisterScreen.tsx';
import { SafetyNumberDialog } from './safety-number/SafetyNumberDialog.tsx';
import { SecurityAlerts } from './security/SecurityAlerts.tsx';
import { callsRelayed, type SettingsStore } from './settings/settings.ts';
import { SettingsDialog } from './settings/SettingsDialog.tsx';
import { adoptLegacyReadReceipts } from './settings/read-receipts.ts';
import { useSettings } from './settings/use-settings.ts';
import { askForNotifications } from './session/notify.ts';
import { useClient } from './session/use-client.ts';
import { useSession } from './session/use-session.ts';

export function App({ settings }: { settings: SettingsStore }) {
  const { client, error, startOver } = useClient();
  // Registering or linking stores the account in the client; this only re-renders when it did.
  const [, accountStored] = useState(0);
  /** After "link again" on the unlinked screen: the new profile goes straight to linking. */
  const [linkNext, setLinkNext] = useState(false);
  if (error) return <div className="center error">{error}</div>;
  if (!client) return <div className="center">Opening Parley…</div>;
  if (!client.account) return <RegisterScreen key={String(linkNext)} client={client} startLinking={linkNext} onDone={() => accountStored((n) => n + 1)} />;
  return (
    <Messenger
      client={client}
      settings={settings}
      onStartOver={(link) => {
        setLinkNext(link);
        void startOver();
      }}
    />
  );
}

type OpenDialog = { kind: 'settings' } | { kind: 'call-log' } | { kind: 'safety-number'; peer: string } | { kind: 'new-group' } | { kind: 'group-info' };

function Messenger({ client, settings, onStartOver }: { client: ParleyClient; settings: SettingsStore; onStartOver: (link: boolean) => void }) {
  const me = client.account!;
  const [open, setOpen] = useState<ConversationId>();
  /** Usernames of direct chats opened before the SDK knows the person (no message yet). */
  const [newChats, setNewChats] = useState<Readonly<Record<ConversationId, string>>>({});
  const [dialog, setDialog] = useState<OpenDialog>();
  /** The first message that was unread when the open conversation was opened (for the unread marker). */
  const [unread, setUnread] = useState<{ from: number; count: number }>();
  /** Where to open the conversation (a search result): a row key, and a counter so the same one jumps again. */
  const [jump, setJump] = useState<{ conversation: ConversationId; key: string; seq: number }>();
  const [transfers] = useState(() => new Transfers());
  // Contacts' names and pictures, for every avatar and name below.
  const profiles = useMemo(() => new ProfileDirectory(client), [client]);
  useEffect(() => () => profiles.close(), [profiles]);
  const prefs = useSettings(settings);
  // The SDK sends read receipts only while they are on (Settings), and tells our other devices either way.
  const markRead = useCallback((id: ConversationId) => client.markRead(id), [client]);
  useEffect(() => adoptLegacyReadReceipts(client, settings), [client, settings]);
  const session = useSession(client, open, markRead, transfers);
  const relayOnly = callsRelayed(prefs);
  const call = useCall(client, relayOnly, { onChange: session.refresh, onError: session.report });
  const conversations = useMemo(() => client.conversations(), [client, session.version]);
  const nameOf = useMemo(() => accountNames(client, conversations), [client, conversations]);
  const view = useMemo(() => (open ? conversationView(client, conversations, open, newChats[open]) : undefined), [client, conversations, open, newChats]);
  const select = (id: ConversationId) => {
    setJump(undefined);
    const unseen = client.messages(id, true).filter((m) => m.direction === 'in' && m.kind === 'text');
    setUnread(unseen[0] ? { from: unseen[0].rowId, count: unseen.length } : undefined);
    setOpen(id);
    askForNotifications();
    void markRead(id).then(session.refresh);
  };
  const closeDialog = () => setDialog(undefined);

  if (session.unlinked) return <UnlinkedScreen username={me.username} onLinkAgain={() => onStartOver(true)} onNewAccount={() => onStartOver(false)} />;

  return (
    <ProfilesContext.Provider value={profiles}>
    <div className={view ? 'app conversation-open' : 'app'}>
      <Sidebar
        client={client}
        username={me.username}
        conversations={conversations}
        open={open}
        nameOf={nameOf}
        onSelect={select}
        onNewChat={(id, username) => {
          setNewChats((n) => ({ ...n, [id]: username }));
          select(id);
        }}
        onNewGroup={() => setDialog({ kind: 'new-group' })}
        onCallLog={() => setDialog({ kind: 'call-log' })}
        onSettings={() => setDialog({ kind: 'settings' })}
        version={session.version}
        onOpenMessage={(m) => {
          if (m.conversation !== open) select(m.conversation);
          setJump((j) => ({ conversation: m.conversation, key: `m${m.rowId}`, seq: (j?.seq ?? 0) + 1 }));
        }}
      />
      {call.state && (
        <CallScreen
          call={call.state}
          streams={call.streams}
          onAccept={call.accept}
          onHangUp={call.hangUp}
          onMute={call.setMuted}
          onCameraOff={call.setCameraOff}
          onClose={call.dismiss}
        />
      )}
      {dialog?.kind === 'settings' && <SettingsDialog store={settings} client={client} onClose={closeDialog} />}
      {dialog?.kind === 'call-log' && <CallLogDialog client={client} onClose={closeDialog} />}
      {dialog?.kind === 'safety-number' && <SafetyNumberDialog client={client} peer={dialog.peer} onClose={closeDialog} />}
      {dialog?.kind === 'new-group' && (
        <NewGroupDialog
          client={client}
          contacts={conversations.flatMap((c) => (c.kind === 'direct' && !c.request && c.username ? [{ username: c.username, id: c.id }] : []))}
          onClose={closeDialog}
          onCreated={(id) => {
            closeDialog();
            session.refresh();
            select(id);
          }}
        />
      )}
      {dialog?.kind === 'group-info' && view?.kind === 'group' && (
        <GroupInfoDialog client={client} view={view} onChanged={session.refresh} onShowSafetyNumber={(peer) => setDialog({ kind: 'safety-number', peer })} onClose={closeDialog} />
      )}
      <main className="main">
        {session.fatal && (
          <div className="banner error" role="alert">
            {session.fatal}
          </div>
        )}
        <SecurityAlerts client={client} strict={prefs.strict} onStrict={() => settings.update({ strict: true })} />
        {session.connection && !session.fatal && (
          <div className="banner warn" role="status">
            {session.connection}
          </div>
        )}
        {view ? (
          <ConversationScreen
            key={view.id}
            client={client}
            view={view}
            version={session.version}
            nameOf={nameOf}
            typing={session.typing[view.id] ?? {}}
            changedIdentities={session.changedIdentities}
            inCall={!!call.state && call.state.phase !== 'ended'}
            transfers={transfers}
            unread={unread}
            onBack={() => {
              const was = view.id;
              setOpen(undefined);
              // Keyboard users land on the conversation they left.
              requestAnimationFrame(() => document.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(was)}"]`)?.focus());
            }}
            onSent={session.refresh}
            onTrusted={session.trusted}
            onClosed={() => {
              setOpen(undefined);
              session.refresh();
            }}
            onCall={(kind) => view.kind === 'direct' && void call.start(view.username, kind)}
            onShowSafetyNumber={(peer) => setDialog({ kind: 'safety-number', peer })}
            onGroupInfo={() => setDialog({ kind: 'group-info' })}
            jump={jump?.conversation === view.id ? jump : undefined}
            onBlocked={(username) => {
              // Blocked with the chat deleted, the SDK no longer lists it; it stays open here, with the blocked bar.
              setNewChats((n) => ({ ...n, [view.id]: username }));
              session.refresh();
            }}
          />
        ) : (
          <div className="center muted">Select a conversation or start a new one.</div>
        )}
      </main>
    </div>
    </ProfilesContext.Provider>
  );
}
