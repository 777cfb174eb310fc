/**
 * The Parley web app's routes: opening the client, registering, then the messenger
 * (sidebar, open conversation, the call screen and dialogs over them). Each screen
 * lives in its own folder; the state that spans screens comes from the session
 * and call hooks.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ParleyClient } from '@parley/client';
import { CallScreen } from './call/CallScreen.tsx';
import { useCall } from './call/use-call.ts';
import { CallLogDialog } from './call-log/CallLogDialog.tsx';
import { ConversationScreen } from './conversation/ConversationScreen.tsx';
import { Sidebar } from './conversations/Sidebar.tsx';
import { RegisterScreen } from './register/RegisterScreen.tsx';
import { SafetyNumberDialog } from './safety-number/SafetyNumberDialog.tsx';
import { callsRelayed, type SettingsStore } from './settings/settings.ts';
import { SettingsDialog } from './settings/SettingsDialog.tsx';
import { useSettings } from './settings/use-settings.ts';
import { askForNotifications } from './session/notify.ts';
import { useClient } from './session/use-client.ts';
import { useSession } from './session/use-session.ts';

export function App({ settings }: { settings: SettingsStore }) {
  const { client, error } = useClient();
  const [registered, setRegistered] = useState(false);
  useEffect(() => {
    if (client?.account) setRegistered(true);
  }, [client]);
  if (error) return <div className="center error">{error}</div>;
  if (!client) return <div className="center">Opening Parley…</div>;
  if (!registered) return <RegisterScreen client={client} onDone={() => setRegistered(true)} />;
  return <Messenger client={client} settings={settings} />;
}

type OpenDialog = { kind: 'settings' } | { kind: 'call-log' } | { kind: 'safety-number'; peer: string };

function Messenger({ client, settings }: { client: ParleyClient; settings: SettingsStore }) {
  const me = client.account!;
  const [open, setOpen] = useState<string>();
  const [dialog, setDialog] = useState<OpenDialog>();
  const session = useSession(client, open);
  const relayOnly = callsRelayed(useSettings(settings));
  const call = useCall(client, relayOnly, { onChange: session.refresh, onError: session.report });
  const conversations = useMemo(() => client.conversations().filter((c) => c.kind === 'direct' && c.last), [client, session.version]);
  const select = (username: string) => {
    setOpen(username);
    askForNotifications();
    void client.markRead(username).then(session.refresh);
  };

  return (
    <div className="app">
      <Sidebar
        username={me.username}
        conversations={conversations}
        open={open}
        onSelect={select}
        onCallLog={() => setDialog({ kind: 'call-log' })}
        onSettings={() => setDialog({ kind: 'settings' })}
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
      {dialog?.kind === 'settings' && <SettingsDialog store={settings} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === 'call-log' && <CallLogDialog client={client} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === 'safety-number' && <SafetyNumberDialog client={client} peer={dialog.peer} onClose={() => setDialog(undefined)} />}
      <main className="main">
        {session.fatal && (
          <div className="banner error" role="alert">
            {session.fatal}
          </div>
        )}
        {session.connection && !session.fatal && (
          <div className="banner warn" role="status">
            {session.connection}
          </div>
        )}
        {open ? (
          <ConversationScreen
            key={open}
            client={client}
            peer={open}
            version={session.version}
            typingSince={session.typingSince[open] ?? 0}
            changedNumber={session.changedIdentities[open]}
            inCall={!!call.state && call.state.phase !== 'ended'}
            onSent={session.refresh}
            onTrusted={() => session.trusted(open)}
            onClosed={() => {
              setOpen(undefined);
              session.refresh();
            }}
            onCall={(kind) => void call.start(open, kind)}
            onShowSafetyNumber={() => setDialog({ kind: 'safety-number', peer: open })}
          />
        ) : (
          <div className="center muted">Select a conversation or start a new one.</div>
        )}
      </main>
    </div>
  );
}
