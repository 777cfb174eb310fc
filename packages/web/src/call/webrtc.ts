/**
 * WebRTC for a call, created only after both sides agreed: the callee's
 * RTCPeerConnection exists only once its user pressed Accept, the caller's only
 * once the callee's accept arrived. SDP and ICE travel through the SDK's
 * end-to-end encrypted call signaling. `relayOnly` forces TURN-only ICE.
 */
import type { ParleyClient } from '@parley/client';

export interface CallMedia {
  readonly pc: RTCPeerConnection;
  readonly local: MediaStream;
  readonly remote: MediaStream;
}

export async function startMedia(
  client: ParleyClient,
  callId: string,
  video: boolean,
  opts: { iceServers?: RTCIceServer[]; relayOnly?: boolean } = {},
): Promise<CallMedia> {
  const local = await navigator.mediaDevices.getUserMedia({ audio: true, video });
  const pc = new RTCPeerConnection({ iceServers: opts.iceServers ?? [], iceTransportPolicy: opts.relayOnly ? 'relay' : 'all' });
  const remote = new MediaStream();
  for (const t of local.getTracks()) pc.addTrack(t, local);
  pc.ontrack = (e) => {
    for (const t of e.streams[0]?.getTracks() ?? [e.track]) if (!remote.getTracks().includes(t)) remote.addTrack(t);
  };
  pc.onicecandidate = (e) => {
    if (e.candidate) void client.sendCallSignal(callId, { type: 'ice', candidate: JSON.stringify(e.candidate.toJSON()) }).catch(() => undefined);
  };
  return { pc, local, remote };
}

export async function makeOffer(client: ParleyClient, callId: string, m: CallMedia): Promise<void> {
  const offer = await m.pc.createOffer();
  await m.pc.setLocalDescription(offer);
  await client.sendCallSignal(callId, { type: 'offer', sdp: offer.sdp ?? '' });
}

export async function acceptOffer(client: ParleyClient, callId: string, m: CallMedia, sdp: string): Promise<void> {
  await m.pc.setRemoteDescription({ type: 'offer', sdp });
  const answer = await m.pc.createAnswer();
  await m.pc.setLocalDescription(answer);
  await client.sendCallSignal(callId, { type: 'answer', sdp: answer.sdp ?? '' });
}

export async function addCandidate(m: CallMedia, json: string): Promise<void> {
  let init: RTCIceCandidateInit;
  try {
    init = JSON.parse(json) as RTCIceCandidateInit;
  } catch {
    return;
  }
  await m.pc.addIceCandidate(init).catch(() => undefined);
}

export function stopMedia(m: CallMedia | undefined): void {
  if (!m) return;
  for (const t of m.local.getTracks()) t.stop();
  m.pc.close();
}
