/** The full-screen call: who, the call's state or length, and its controls. */
import { useEffect, useRef, useState } from 'react';
import { duration } from '../ui/time.ts';
import type { CallUi } from './use-call.ts';
import type { CallMedia } from './webrtc.ts';

export function CallScreen(props: { call: CallUi; media: CallMedia | undefined; onAccept: () => void; onHangUp: () => void; onToggle: (what: 'mute' | 'camera') => void }) {
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
          : duration(elapsed);
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
