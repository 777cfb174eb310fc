/**
 * The call in progress, for the React app: SDK call events in, the call screen's
 * state out. WebRTC starts only after both sides agreed (see webrtc.ts).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ClientEvent, ParleyClient } from '@parley/client';
import { explain } from '../errors.ts';
import { notifyInBackground } from '../session/notify.ts';
import { acceptOffer, addCandidate, makeOffer, startMedia, stopMedia, type CallMedia } from './webrtc.ts';

export interface CallUi {
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

/** Why a call could not start, in words that say what to do. */
function callFailure(err: unknown): string {
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError') return 'Call failed: Parley may not use your microphone or camera. Allow them for this site in the browser, then call again.';
  if (name === 'NotFoundError') return 'Call failed: no microphone or camera was found. Connect one, then call again.';
  if (name === 'NotReadableError') return 'Call failed: another program is using your microphone or camera. Close it, then call again.';
  return `Call failed: ${(err as Error)?.message ?? String(err)}`;
}

export interface CallHandle {
  readonly call: CallUi | undefined;
  readonly media: CallMedia | undefined;
  start(peer: string, kind: 'audio' | 'video'): Promise<void>;
  accept(): Promise<void>;
  hangUp(): Promise<void>;
  toggle(what: 'mute' | 'camera'): void;
}

export function useCall(client: ParleyClient, relayOnly: boolean, hooks: { onChange: () => void; onError: (message: string) => void }): CallHandle {
  const [call, setCall] = useState<CallUi>();
  const relayRef = useRef(relayOnly);
  relayRef.current = relayOnly;
  /** ICE settings for a call: the server's TURN relay when it has one; relay-only if the user asked. */
  const iceOptions = useCallback(async (): Promise<{ iceServers: RTCIceServer[]; relayOnly: boolean }> => {
    try {
      const t = await client.http.turnCredentials();
      return { iceServers: [{ urls: t.urls, username: t.username, credential: t.credential }], relayOnly: relayRef.current };
    } catch {
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

  useEffect(() => {
    const flushIce = (m: CallMedia) => {
      for (const c of pendingIce.current.splice(0)) void addCandidate(m, c);
    };
    return client.on((e: ClientEvent) => {
      if (e.type !== 'call') return;
      const m = media.current;
      if (e.event === 'incoming') {
        liveCall.current = e.callId;
        setCall({ callId: e.callId, peer: e.peer, media: e.media, direction: 'in', phase: 'ringing', muted: false, cameraOff: false });
        notifyInBackground(`Parley: ${e.peer}`, `Incoming ${e.media === 'video' ? 'video' : 'voice'} call`, { requireInteraction: true });
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
    });
  }, [client, iceOptions, endCall]);

  const accept = async () => {
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
  const start = async (peer: string, kind: 'audio' | 'video') => {
    try {
      const callId = await client.startCall(peer, kind);
      liveCall.current = callId;
      setCall({ callId, peer, media: kind, direction: 'out', phase: 'ringing', muted: false, cameraOff: false });
    } catch (err) {
      hooks.onError(explain(err));
    }
  };
  const hangUp = async () => {
    if (!call) return;
    if (call.direction === 'in' && call.phase === 'ringing') await client.declineCall(call.callId);
    else await client.hangupCall(call.callId);
    endCall('Call ended');
    hooks.onChange();
  };
  const toggle = (what: 'mute' | 'camera') => {
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
  };
  return { call, media: media.current, start, accept, hangUp, toggle };
}
