/**
 * Recording a voice note. The microphone opens only when the person presses
 * "Record a voice note" (never before), and closes when they send or cancel, or
 * when this goes away. While recording: the time so far, Cancel, and Send.
 */
import { useEffect, useRef, useState } from 'react';
import { explain } from '../errors.ts';
import { voiceLength } from './kind.ts';

/** A voice note stops by itself at this length. */
const MAX_RECORDING_MS = 15 * 60_000;

export function VoiceRecorder({ onRecorded, disabled }: { onRecorded: (audio: Blob, durationMs: number) => void; disabled?: boolean }) {
  const [recording, setRecording] = useState<{ started: number } | undefined>();
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string>();
  const recorder = useRef<MediaRecorder>(undefined);
  const keep = useRef(false);

  const stopTracks = () => recorder.current?.stream.getTracks().forEach((t) => t.stop());
  useEffect(() => () => {
    keep.current = false;
    if (recorder.current?.state === 'recording') recorder.current.stop();
    stopTracks();
  }, []);
  useEffect(() => {
    if (!recording) return;
    const t = setInterval(() => {
      setNow(Date.now());
      if (Date.now() - recording.started > MAX_RECORDING_MS) stop(true);
    }, 250);
    return () => clearInterval(t);
  }, [recording]);

  const start = async () => {
    setError(undefined);
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      setError(e instanceof DOMException && e.name === 'NotAllowedError' ? 'Parley may not use your microphone. Allow it for this site in the browser, then try again.' : explain(e));
      return;
    }
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/mp4'].find((t) => MediaRecorder.isTypeSupported(t));
    const r = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks: Blob[] = [];
    const started = Date.now();
    r.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
    r.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      setRecording(undefined);
      if (keep.current && chunks.length > 0) onRecorded(new Blob(chunks, { type: (r.mimeType || 'audio/webm').split(';')[0] }), Date.now() - started);
    };
    recorder.current = r;
    r.start(250);
    setNow(started);
    setRecording({ started });
  };
  const stop = (send: boolean) => {
    keep.current = send;
    if (recorder.current?.state === 'recording') recorder.current.stop();
  };

  if (recording) {
    return (
      <span className="recorder" role="group" aria-label="Recording a voice note">
        <span className="rec-dot" aria-hidden="true" />
        <span className="small" role="timer">
          {voiceLength(now - recording.started)}
        </span>
        <button type="button" className="secondary" onClick={() => stop(false)}>
          Cancel
        </button>
        <button type="button" onClick={() => stop(true)}>
          Send voice note
        </button>
      </span>
    );
  }
  return (
    <>
      <button type="button" className="icon-button" aria-label="Record a voice note" title="Record a voice note" disabled={disabled} onClick={() => void start()}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M12 15a3 3 0 0 0 3-3V6a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5-3a5 5 0 0 1-10 0H5a7 7 0 0 0 6 6.9V21h2v-2.1a7 7 0 0 0 6-6.9h-2z" />
        </svg>
      </button>
      {error && (
        <span className="error small recorder-error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
