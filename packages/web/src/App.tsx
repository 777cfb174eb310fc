/**
 * The Parley web app: register, conversation list with unread counts, a
 * conversation with sent / delivered / read ticks, safety numbers, and clear
 * warnings (offline, identity changed, upgrade required).
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import QRCode from 'qrcode';
import { describeCallLogEntry, type ClientEvent, type ParleyClient, type StoredMessage } from '@parley/client';
import { explain } from './errors.ts';
import { openClient } from './session.ts';
import { acceptOffer, addCandidate, makeOffer, startMedia, stopMedia, type CallMedia } from './call.ts';

interface CallUi {
  callId: string;
  peer: string;
  media: 'audio' | 'video';
  direction: 'in' | 'out';
  phase: 'ringing' | 'connecting' | 'active' | 'ended';
  note?: string;
  startedAt?: number;
  muted: boolean;
  cameraOff: boolean;
}

function useClient(): { client: ParleyClient | undefined; error: string | undefined } {
  const [client, setClient] = useState<ParleyClient>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    openClient().then(setClient, (e) => setError(explain(e)));
  }, []);
  return { client, error };
}

export function App() {
  const { client, error } = useClient();
  const [registered, setRegistered] = useState(false);
  useEffect(() => {
    if (client?.account) setRegistered(true);
  }, [client]);
  if (error) return <div className="center error">{error}</div>;
  if (!client) return <div className="center">Opening Parley…</div>;
  if (!registered) return <Register client={client} onDone={() => setRegistered(true)} />;
  return <Messenger client={client} />;
}

function Register({ client, onDone }: { client: ParleyClient; onDone: () => void }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(undefined);
    try {
      await client.register(name.trim(), (step) => setBusy(step));
      onDone();
    } catch (err) {
      setError(explain(err));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <div className="center">
      <form className="card register" onSubmit={submit}>
        <h1>Parley</h1>
        <p className="muted">Private messages. Keys are made on this device and never leave it.</p>
        <label htmlFor="username">Choose a username</label>
        <input id="username" autoFocus value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. alice" />
        <button type="submit" disabled={!!busy || name.trim().length < 3}>
          {busy ? `${busy}…` : 'Create account'}
        </button>
        {error && <p className="error" role="alert">{error}</p>}
      </form>
    </div>
  );
}

type Ticks = StoredMessage['status'];
function tick(s: Ticks): string {
  return s === 'read' ? '✓✓' : s === 'delivered' ? '✓✓' : s === 'sent' ? '✓' : s === 'sending' ? '…' : '';
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/g;

/**
 * A message's text. Web links become clickable only from contacts: from someone who
 * is not (a message request) they stay inert text, so opening the request loads
 * nothing of theirs. Links open in a new tab without a referrer.
 */
function MessageBody({ text, linksAllowed }: { text: string; linksAllowed: boolean }) {
  const parts: React.ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    const url = m[0].replace(/[.,;:!?)]+$/, '');
    const at = m.index;
    if (at > last) parts.push(text.slice(last, at));
    parts.push(
      linksAllowed ? (
        <a key={at} href={url} target="_blank" rel="noopener noreferrer nofollow">
          {url}
        </a>
      ) : (
        <span key={at} className="inert-link" title="Links from people who are not your contacts are not opened">
          {url}
        </span>
      ),
    );
    last = at + url.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return <span className="body">{parts}</span>;
}

/** Why a call could not start, in words that say what to do. */
function callFailure(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError') return 'Call failed: Parley may not use your microphone or camera. Allow them for this site in the browser, then call again.';
  if (name === 'NotFoundError') return 'Call failed: no microphone or camera was found. Connect one, then call again.';
  if (name === 'NotReadableError') return 'Call failed: another program is using your microphone or camera. Close it, then call again.';
  return `Call failed: ${(err as Error)?.message ?? String(err)}`;
}

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function Messenger({ client }: { client: ParleyClient }) {
  const me = client.account!;
  /** The username (or group name) a conversation id stands for. */
  const titleOf = (id: string) => client.conversations().find((c) => c.id === id)?.title ?? id;
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState<string>();
  const [connection, setConnection] = useState<string>();
  const [fatal, setFatal] = useState<string>();
  const [changed, setChanged] = useState<Record<string, string>>({});
  const [typing, setTyping] = useState<Record<string, number>>({});
  const [call, setCall] = useState<CallUi>();
  const [showCallLog, setShowCallLog] = useState(false);
  const [relaySetting, setRelaySetting] = useState(() => localStorage.getItem('parley.relayCalls') === '1');
  // Strict mode (as WhatsApp's strict account settings / Lockdown Mode): calls always
  // relayed; calls only from contacts and no media or link previews from strangers
  // are Parley's defaults anyway; identity-change warnings always need an explicit decision.
  const [strict, setStrict] = useState(() => localStorage.getItem('parley.strict') === '1');
  const relayOnly = strict || relaySetting;
  const relayRef = useRef(relayOnly);
  relayRef.current = relayOnly;
  /** ICE settings for a call: the server's TURN relay when it has one; relay-only if the user asked. */
  const iceOptions = useCallback(async (): Promise<{ iceServers: RTCIceServer[]; relayOnly: boolean }> => {
    try {
      const t = await client.http.turnCredentials();
      return { iceServers: [{ urls: [...t.urls], username: t.username, credential: t.credential }], relayOnly: relayRef.current };
    } catch (e) {
      if (relayRef.current) throw new Error('relayed calls are not available on this server');
      return { iceServers: [], relayOnly: false };
    }
  }, [client]);
  const media = useRef<CallMedia>(undefined);
  // Signals that arrive while local media is still starting.
  const pendingOffer = useRef<string>(undefined);
  const pendingIce = useRef<string[]>([]);
  /** The call in progress; media that finish starting after it ended are stopped, not used. */
  const liveCall = useRef<string>(undefined);
  const endCall = useCallback((note: string) => {
    liveCall.current = undefined;
    stopMedia(media.current);
    media.current = undefined;
    pendingOffer.current = undefined;
    pendingIce.current = [];
    setCall((c) => (c ? { ...c, phase: 'ended', note } : c));
    setTimeout(() => setCall((c) => (c?.phase === 'ended' ? undefined : c)), 2500);
  }, []);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const openRef = useRef(open);
  openRef.current = open;

  useEffect(() => {
    const off = client.on((e: ClientEvent) => {
      if (e.type === 'connection') {
        if (e.state === 'open') setConnection(undefined);
        else if (e.state === 'reconnecting') setConnection(explain(e.error));
        else if (e.state === 'closed' && e.error) setFatal(explain(e.error));
      } else if (e.type === 'call') {
        const m = media.current;
        if (e.event === 'incoming') {
          liveCall.current = e.callId;
          setCall({ callId: e.callId, peer: e.peer, media: e.media, direction: 'in', phase: 'ringing', muted: false, cameraOff: false });
          if (document.hidden && 'Notification' in window && Notification.permission === 'granted') {
            new Notification(`Parley: ${e.peer}`, { body: `Incoming ${e.media === 'video' ? 'video' : 'voice'} call`, requireInteraction: true });
          }
        } else if (e.event === 'accepted') {
          setCall((c) => (c ? { ...c, phase: 'connecting' } : c));
          void iceOptions()
            .then((ice) => startMedia(client, e.callId, e.media === 'video', ice))
            .then(async (started) => {
              if (liveCall.current !== e.callId) return stopMedia(started); // hung up meanwhile
              media.current = started;
              started.pc.onconnectionstatechange = () => {
                if (started.pc.connectionState === 'connected') setCall((c) => (c ? { ...c, phase: 'active', startedAt: c.startedAt ?? Date.now() } : c));
              };
              await makeOffer(client, e.callId, started);
            })
            .catch((err) => {
              if (liveCall.current !== e.callId) return; // already ended; nothing to report
              // The other side must not keep waiting for a call that cannot start here.
              void client.hangupCall(e.callId).catch(() => undefined);
              endCall(callFailure(err));
            });
        } else if (e.event === 'offer' && e.sdp) {
          if (m) void acceptOffer(client, e.callId, m, e.sdp).then(() => flushIce(m));
          else pendingOffer.current = e.sdp;
        } else if (e.event === 'answer' && e.sdp && m) {
          void m.pc.setRemoteDescription({ type: 'answer', sdp: e.sdp }).then(() => flushIce(m));
        } else if (e.event === 'ice' && e.candidate) {
          if (m?.pc.remoteDescription) void addCandidate(m, e.candidate);
          else pendingIce.current.push(e.candidate);
        } else if (e.event === 'declined') endCall(`${e.peer} declined`);
        else if (e.event === 'busy') endCall(`${e.peer} is busy`);
        else if (e.event === 'ended') endCall(e.reason === 'no-answer' ? 'No answer' : 'Call ended');
        // A missed-call note in the open conversation is seen, like a message would be.
        if (e.event === 'ended' && openRef.current === e.peer && !document.hidden) void client.markRead(e.peer).then(refresh);
      } else if (e.type === 'typing') {
        setTyping((t) => ({ ...t, [e.from]: e.typing ? Date.now() : 0 }));
      } else if (e.type === 'identity-changed') {
        setChanged((c) => ({ ...c, [e.username]: e.safetyNumber }));
      } else if (e.type === 'message') {
        if (document.hidden && 'Notification' in window && Notification.permission === 'granted') {
          new Notification(`Parley: ${titleOf(e.message.conversation)}`, { body: 'New message' });
        }
        if (openRef.current === titleOf(e.message.conversation) && !document.hidden) void client.markRead(e.message.conversation).then(refresh);
      }
      refresh();
    });
    const flushIce = (m: CallMedia) => {
      for (const c of pendingIce.current.splice(0)) void addCandidate(m, c);
    };
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

  const conversations = useMemo(() => client.conversations().filter((c) => c.kind === 'direct' && c.last), [client, version]);

  const acceptIncoming = async () => {
    if (!call) return;
    setCall({ ...call, phase: 'connecting' });
    try {
      // The peer connection exists only from here on: after the user said yes.
      await client.acceptCall(call.callId);
      const started = await startMedia(client, call.callId, call.media === 'video', await iceOptions());
      if (liveCall.current !== call.callId) return stopMedia(started); // the caller hung up meanwhile
      media.current = started;
      started.pc.onconnectionstatechange = () => {
        if (started.pc.connectionState === 'connected') setCall((c) => (c ? { ...c, phase: 'active', startedAt: c.startedAt ?? Date.now() } : c));
      };
      const offer = pendingOffer.current;
      pendingOffer.current = undefined;
      if (offer) {
        await acceptOffer(client, call.callId, started, offer);
        for (const c of pendingIce.current.splice(0)) void addCandidate(started, c);
      }
    } catch (err) {
      if (liveCall.current !== call.callId) return;
      void client.hangupCall(call.callId).catch(() => undefined);
      endCall(callFailure(err));
    }
  };
  const startCall = async (peer: string, kind: 'audio' | 'video') => {
    try {
      const callId = await client.startCall(peer, kind);
      liveCall.current = callId;
      setCall({ callId, peer, media: kind, direction: 'out', phase: 'ringing', muted: false, cameraOff: false });
    } catch (err) {
      setFatal(explain(err));
    }
  };
  const hangUp = async () => {
    if (!call) return;
    if (call.direction === 'in' && call.phase === 'ringing') await client.declineCall(call.callId);
    else await client.hangupCall(call.callId);
    endCall('Call ended');
    refresh();
  };
  const select = (u: string) => {
    setOpen(u);
    if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
    void client.markRead(u).then(refresh);
  };

  return (
    <div className="app">
      <aside className="sidebar">
        <header>
          <strong>{me.username}</strong>
          <label className="setting small">
            <input
              type="checkbox"
              checked={relayOnly}
              disabled={strict}
              onChange={(e) => {
                localStorage.setItem('parley.relayCalls', e.target.checked ? '1' : '0');
                setRelaySetting(e.target.checked);
              }}
            />{' '}
            Relay calls (hide my IP address)
          </label>
          <label className="setting small">
            <input
              type="checkbox"
              checked={strict}
              onChange={(e) => {
                localStorage.setItem('parley.strict', e.target.checked ? '1' : '0');
                setStrict(e.target.checked);
              }}
            />{' '}
            Strict mode (calls always relayed)
          </label>
          <button className="link small" onClick={() => setShowCallLog(true)}>
            Call log
          </button>
        </header>
        <NewChat onStart={select} />
        <ul className="conversations" aria-label="Conversations">
          {conversations.map((c) => ({ ...c, username: c.username!, last: c.last! })).map((c) => (
            <li key={c.username} className={c.username === open ? 'active' : ''} onClick={() => select(c.username)} data-conversation={c.username}>
              <div className="row">
                <span className="name">
                  {c.username} {c.request && <span className="tag">Message request</span>}
                </span>
                <span className="muted small">{time(c.last.timestamp)}</span>
              </div>
              <div className="row">
                <span className="preview">{c.last.direction === 'out' ? `You: ${c.last.body}` : c.last.body}</span>
                {c.unread > 0 && <span className="badge" aria-label={`${c.unread} unread`}>{c.unread}</span>}
              </div>
            </li>
          ))}
          {conversations.length === 0 && <li className="muted empty">No conversations yet. Start one above.</li>}
        </ul>
      </aside>
      {call && (
        <CallScreen
          call={call}
          media={media.current}
          onAccept={() => void acceptIncoming()}
          onHangUp={() => void hangUp()}
          onToggle={(what) => {
            const m = media.current;
            setCall((c) => {
              if (!c) return c;
              const next = what === 'mute' ? { ...c, muted: !c.muted } : { ...c, cameraOff: !c.cameraOff };
              for (const t of m?.local.getTracks() ?? []) {
                if (t.kind === 'audio') t.enabled = !next.muted;
                if (t.kind === 'video') t.enabled = !next.cameraOff;
              }
              return next;
            });
          }}
        />
      )}
      {showCallLog && <CallLog client={client} onClose={() => setShowCallLog(false)} />}
      <main className="main">
        {fatal && <div className="banner error" role="alert">{fatal}</div>}
        {connection && !fatal && <div className="banner warn" role="status">{connection}</div>}
        {open ? (
          <Conversation
            key={open}
            client={client}
            peer={open}
            version={version}
            typingSince={typing[open] ?? 0}
            changedNumber={changed[open]}
            onSent={refresh}
            onTrusted={() => setChanged(({ [open]: _, ...rest }) => rest)}
            onClosed={() => {
              setOpen(undefined);
              refresh();
            }}
            onCall={(kind) => void startCall(open, kind)}
            inCall={!!call}
          />
        ) : (
          <div className="center muted">Select a conversation or start a new one.</div>
        )}
      </main>
    </div>
  );
}

function NewChat({ onStart }: { onStart: (u: string) => void }) {
  const [name, setName] = useState('');
  return (
    <form
      className="newchat"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) onStart(name.trim().toLowerCase());
        setName('');
      }}
    >
      <input aria-label="Start a chat by username" placeholder="Start a chat by username" value={name} onChange={(e) => setName(e.target.value)} />
    </form>
  );
}

function Conversation(props: {
  client: ParleyClient;
  peer: string;
  version: number;
  typingSince: number;
  changedNumber: string | undefined;
  onSent: () => void;
  onTrusted: () => void;
  onClosed: () => void;
  onCall: (kind: 'audio' | 'video') => void;
  inCall: boolean;
}) {
  const { client, peer } = props;
  const request = client.isRequest(peer);
  const typingTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const peerTyping = props.typingSince > 0 && now - props.typingSince < 6000;
  const onType = (value: string) => {
    setText(value);
    if (!typingTimer.current) void client.sendTyping(peer, true);
    clearTimeout(typingTimer.current);
    typingTimer.current = setTimeout(() => {
      typingTimer.current = undefined;
      void client.sendTyping(peer, false);
    }, 3000);
  };
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [identityWarning, setIdentityWarning] = useState<string | undefined>(props.changedNumber);
  const [showSafety, setShowSafety] = useState(false);
  const messages = useMemo(() => client.messages(peer), [client, peer, props.version]);
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Newer browsers return a Promise from scrollIntoView; an effect must return nothing.
    void bottom.current?.scrollIntoView();
  }, [messages.length]);
  useEffect(() => {
    setIdentityWarning(props.changedNumber);
  }, [props.changedNumber]);

  const send = async (e: React.FormEvent) => {
    e.preventDefault();
    const body = text.trim();
    if (!body) return;
    setText('');
    setError(undefined);
    if (typingTimer.current) {
      clearTimeout(typingTimer.current);
      typingTimer.current = undefined;
      void client.sendTyping(peer, false);
    }
    try {
      await client.sendText(peer, body);
    } catch (err) {
      const msg = explain(err);
      if ((err as { code?: string }).code === 'IDENTITY_CHANGED') setIdentityWarning(((err as { details?: { safetyNumber?: string } }).details?.safetyNumber) ?? '');
      else setError(msg);
      setText(body);
    }
    props.onSent();
  };

  return (
    <section className="conversation" aria-label={`Conversation with ${peer}`}>
      <header>
        <span>
          <strong>{peer}</strong> {peerTyping && <span className="muted small typing">typing…</span>}
        </span>
        <span>
          {!request && (
            <>
              <button className="link" disabled={props.inCall} onClick={() => props.onCall('audio')}>
                Voice call
              </button>
              <button className="link" disabled={props.inCall} onClick={() => props.onCall('video')}>
                Video call
              </button>
            </>
          )}
          <button className="link" onClick={() => setShowSafety(true)}>
            Verify safety number
          </button>
        </span>
      </header>
      {identityWarning !== undefined && (
        <div className="banner error" role="alert">
          The safety number with {peer} has changed. They may have reinstalled Parley, or someone may be intercepting your messages. Compare the new number in person before you send anything.
          <button className="secondary" onClick={() => setShowSafety(true)}>
            Show the new number
          </button>
          <button
            onClick={async () => {
              await client.trust(peer);
              setIdentityWarning(undefined);
              props.onTrusted();
            }}
          >
            I compared it: trust the new key
          </button>
        </div>
      )}
      <ol className="messages">
        {messages.map((m) => (
          <li key={m.rowId} className={m.direction === 'out' ? 'out' : 'in'}>
            <MessageBody text={m.body} linksAllowed={!request} />
            <span className="meta">
              {time(m.timestamp)} {m.direction === 'out' && <span className={`ticks ${m.status}`} data-status={m.status} aria-label={m.status}>{tick(m.status)}</span>}
            </span>
          </li>
        ))}
        <div ref={bottom} />
      </ol>
      {error && <p className="error" role="alert">{error}</p>}
      {request ? (
        <div className="request" role="region" aria-label="Message request">
          <p>
            <strong>{peer}</strong> is not in your contacts. They will not know you read their messages until you accept.
          </p>
          <div className="actions">
            <button onClick={() => void client.acceptRequest(peer).then(props.onSent)}>Accept</button>
            <button className="secondary" onClick={() => void client.blockContact(peer).then(props.onClosed)}>Block</button>
            <button className="secondary" onClick={() => void client.deleteConversation(peer).then(props.onClosed)}>Delete</button>
          </div>
        </div>
      ) : (
        <form className="composer" onSubmit={send}>
          <input aria-label="Message" placeholder={`Message ${peer}`} value={text} onChange={(e) => onType(e.target.value)} />
          <button type="submit" disabled={!text.trim()}>
            Send
          </button>
        </form>
      )}
      {showSafety && <SafetyNumber client={client} peer={peer} onClose={() => setShowSafety(false)} />}
    </section>
  );
}

/** Every call attempt, newest first, as the SDK's append-only log holds it. */
function CallLog({ client, onClose }: { client: ParleyClient; onClose: () => void }) {
  const entries = client.callLog().slice().reverse();
  return (
    <div className="modal" role="dialog" aria-label="Call log">
      <div className="card">
        <h2>Call log</h2>
        <p className="muted small">Every call attempt, answered or not, from contacts and strangers. Nothing can remove an entry.</p>
        {entries.length === 0 ? (
          <p className="muted">No calls yet.</p>
        ) : (
          <ol className="call-log">
            {entries.map((e, i) => (
              <li key={i} data-event={e.event}>
                <span>{describeCallLogEntry(e)}</span>
                <span className="muted small">{new Date(e.timestamp).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}</span>
              </li>
            ))}
          </ol>
        )}
        <button onClick={onClose}>Done</button>
      </div>
    </div>
  );
}

function SafetyNumber({ client, peer, onClose }: { client: ParleyClient; peer: string; onClose: () => void }) {
  const [digits, setDigits] = useState<string>();
  const [qr, setQr] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    client.safetyNumber(peer).then(
      async (f) => {
        setDigits(f.displayable);
        setQr(await QRCode.toDataURL(btoa(String.fromCharCode(...f.scannable)), { margin: 1, width: 220 }));
      },
      (e) => setError(explain(e)),
    );
  }, [client, peer]);
  return (
    <div className="modal" role="dialog" aria-label="Safety number">
      <div className="card">
        <h2>Safety number with {peer}</h2>
        {error && <p className="error">{error}</p>}
        {digits && <p className="digits">{digits.match(/.{5}/g)!.join(' ')}</p>}
        {qr && <img src={qr} alt="Safety number QR code" />}
        <p className="muted">Compare these numbers with {peer}, in person or on a call. If they match, your conversation is end-to-end encrypted with them.</p>
        <button onClick={onClose}>Done</button>
      </div>
    </div>
  );
}

function CallScreen(props: { call: CallUi; media: CallMedia | undefined; onAccept: () => void; onHangUp: () => void; onToggle: (what: 'mute' | 'camera') => void }) {
  const { call } = props;
  const remote = useRef<HTMLVideoElement>(null);
  const local = useRef<HTMLVideoElement>(null);
  const [, tickTimer] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tickTimer((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (remote.current && props.media && remote.current.srcObject !== props.media.remote) remote.current.srcObject = props.media.remote;
    if (local.current && props.media && local.current.srcObject !== props.media.local) local.current.srcObject = props.media.local;
  });
  const elapsed = call.startedAt ? Math.floor((Date.now() - call.startedAt) / 1000) : 0;
  const timer = `${Math.floor(elapsed / 60)}:${String(elapsed % 60).padStart(2, '0')}`;
  const kind = call.media === 'video' ? 'video' : 'voice';
  const status =
    call.phase === 'ended'
      ? call.note
      : call.phase === 'ringing'
        ? call.direction === 'in'
          ? `Incoming ${kind} call`
          : 'Ringing…'
        : call.phase === 'connecting'
          ? 'Connecting…'
          : timer;
  return (
    <div className="call" role="dialog" aria-label={`Call with ${call.peer}`} data-phase={call.phase}>
      <video ref={remote} className="remote" autoPlay playsInline hidden={call.media !== 'video'} />
      {call.media !== 'video' && <audio ref={remote as unknown as React.RefObject<HTMLAudioElement>} autoPlay />}
      {call.media === 'video' && <video ref={local} className="local" autoPlay playsInline muted />}
      <div className="call-info">
        <div className="avatar">{call.peer.slice(0, 1).toUpperCase()}</div>
        <h2>{call.peer}</h2>
        <p className="call-status">{status}</p>
      </div>
      <div className="call-actions">
        {call.direction === 'in' && call.phase === 'ringing' ? (
          <>
            <button className="accept" onClick={props.onAccept}>
              Accept
            </button>
            <button className="hangup" onClick={props.onHangUp}>
              Decline
            </button>
          </>
        ) : call.phase !== 'ended' ? (
          <>
            <button className="secondary" onClick={() => props.onToggle('mute')} aria-pressed={call.muted}>
              {call.muted ? 'Unmute' : 'Mute'}
            </button>
            {call.media === 'video' && (
              <button className="secondary" onClick={() => props.onToggle('camera')} aria-pressed={call.cameraOff}>
                {call.cameraOff ? 'Camera on' : 'Camera off'}
              </button>
            )}
            <button className="hangup" onClick={props.onHangUp}>
              Hang up
            </button>
          </>
        ) : null}
      </div>
    </div>
  );
}
