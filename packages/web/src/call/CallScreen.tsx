/** The full-screen call: who, the call's state or length, and its controls. */
import { useEffect, useRef, useState } from 'react';
import type { CallState } from './call-controller.ts';
import { callStatus } from './call-text.ts';

export function CallScreen(props: {
  call: CallState;
  streams: { readonly local: MediaStream; readonly remote: MediaStream } | undefined;
  onAccept: () => void;
  onHangUp: () => void;
  onMute: (muted: boolean) => void;
  onCameraOff: (off: boolean) => void;
  onClose: () => void;
}) {
  const { call, streams } = props;
  const remoteVideo = useRef<HTMLVideoElement>(null);
  const remoteAudio = useRef<HTMLAudioElement>(null);
  const local = useRef<HTMLVideoElement>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    const remote = call.media === 'video' ? remoteVideo.current : remoteAudio.current;
    if (remote && remote.srcObject !== (streams?.remote ?? null)) remote.srcObject = streams?.remote ?? null;
    if (local.current && local.current.srcObject !== (streams?.local ?? null)) local.current.srcObject = streams?.local ?? null;
  });
  const failed = call.phase === 'ended' && call.end?.kind === 'failed';
  return (
    <div className="call" role="dialog" aria-label={`Call with ${call.peer}`} data-phase={call.phase}>
      {call.media === 'video' ? (
        <>
          <video ref={remoteVideo} className="remote" autoPlay playsInline />
          <video ref={local} className="local" autoPlay playsInline muted />
        </>
      ) : (
        <audio ref={remoteAudio} autoPlay />
      )}
      <div className="call-info">
        <div className="avatar">{call.peer.slice(0, 1).toUpperCase()}</div>
        <h2>{call.peer}</h2>
        <p className="call-status" role={failed ? 'alert' : 'status'}>
          {callStatus(call, Math.max(now, Date.now()))}
        </p>
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
            <button className="secondary" onClick={() => props.onMute(!call.muted)} aria-pressed={call.muted}>
              {call.muted ? 'Unmute' : 'Mute'}
            </button>
            {call.media === 'video' && (
              <button className="secondary" onClick={() => props.onCameraOff(!call.cameraOff)} aria-pressed={call.cameraOff}>
                {call.cameraOff ? 'Camera on' : 'Camera off'}
              </button>
            )}
            <button className="hangup" onClick={props.onHangUp}>
              Hang up
            </button>
          </>
        ) : failed ? (
          <button className="secondary" onClick={props.onClose} autoFocus>
            Close
          </button>
        ) : null}
      </div>
    </div>
  );
}
