/**
 * The browser's side of a call controller: getUserMedia, RTCPeerConnection (looked
 * up when a call needs one, so nothing exists before), the server's TURN relay,
 * real timers, console warnings. SDP and ICE travel through the SDK's end-to-end
 * encrypted call signaling; `relayOnly` forces TURN-only ICE.
 */
import type { ParleyClient } from '@parley/client';
import type { CallDeps, IceConfig, PeerConnection, PeerConnectionEvents } from './call-controller.ts';

class BrowserPeerConnection implements PeerConnection<MediaStream, MediaStream> {
  readonly remote = new MediaStream();
  private readonly pc: RTCPeerConnection;

  constructor(config: RTCConfiguration, events: PeerConnectionEvents) {
    const pc = new RTCPeerConnection(config);
    this.pc = pc;
    pc.ontrack = (e) => {
      for (const t of e.streams[0]?.getTracks() ?? [e.track]) if (!this.remote.getTracks().includes(t)) this.remote.addTrack(t);
    };
    pc.onicecandidate = (e) => {
      if (e.candidate) events.onIceCandidate(e.candidate.toJSON());
    };
    pc.onconnectionstatechange = () => events.onConnectionStateChange(pc.connectionState);
  }

  addLocalMedia(local: MediaStream): void {
    for (const t of local.getTracks()) this.pc.addTrack(t, local);
  }
  createOffer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createOffer();
  }
  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.pc.createAnswer();
  }
  setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setLocalDescription(d);
  }
  setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    return this.pc.setRemoteDescription(d);
  }
  addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    return this.pc.addIceCandidate(c);
  }
  close(): void {
    this.pc.ontrack = null;
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}

/** ICE settings for a call: the server's TURN relay when it has one; relay-only if the person asked. */
async function iceConfig(client: ParleyClient, relayOnly: boolean): Promise<IceConfig> {
  const turn = await client.turnCredentials().catch(() => undefined);
  if (!turn) {
    if (relayOnly) throw new Error('relayed calls are not available on this server');
    return { iceServers: [], relayOnly: false };
  }
  return { iceServers: [{ urls: [...turn.urls], username: turn.username, credential: turn.credential }], relayOnly };
}

export function browserCallDeps(client: ParleyClient, relayOnly: () => boolean): CallDeps<MediaStream, MediaStream> {
  return {
    signaling: client,
    getUserMedia: (constraints) => navigator.mediaDevices.getUserMedia(constraints),
    createPeerConnection: (config, events) => new BrowserPeerConnection(config, events),
    iceConfig: () => iceConfig(client, relayOnly()),
    clock: {
      now: () => Date.now(),
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    },
    warn: (message) => console.warn(`Parley: ${message}`),
  };
}
