/**
 * One call's lifecycle, in plain TypeScript (no React, no browser globals).
 *
 * Owns: when media and the peer connection may exist (DESIGN.md invariant 1,
 * "Nothing before answer": the callee's only after its user pressed Accept, the
 * caller's only after the accept arrived); the order of offer, answer and ICE
 * (candidates that arrive before the remote description wait in a bounded queue);
 * mute and camera; every way a call ends, each of which stops every track; and
 * failures after the answer (an unusable offer or answer, ICE that never connects,
 * a peer that goes silent), which end the call on both sides within a bounded time.
 *
 * Does not own: the screen (CallScreen.tsx, call-text.ts), how a browser makes
 * media and peer connections (browser-call.ts), which call is current
 * (use-call.ts). Media, the peer-connection factory, the clock and the SDK's call
 * methods are injected, so the unit tests run it in Node with fakes.
 */
import type { ClientEvent } from '@parley/client';

export type CallKind = 'audio' | 'video';
export type CallDirection = 'in' | 'out';
export type CallPhase = 'ringing' | 'connecting' | 'active' | 'ended';
/** An SDK call event (the controller takes those for its own call id only). */
export type CallEvent = Extract<ClientEvent, { type: 'call' }>;

/** Where a call that had been answered broke. */
export type CallFailureStage =
  /** the accept, offer, answer or hang-up could not be sent through the server */
  | 'signaling'
  /** only relayed calls are allowed, and the server has no relay */
  | 'relay'
  /** the microphone or camera was refused, missing or busy */
  | 'media'
  /** an offer or answer that could not be used (malformed SDP, or the browser refused it) */
  | 'negotiation'
  /** ICE failed, or nothing connected before the connect timeout */
  | 'no-connection'
  /** connected, then the other side went silent and did not come back */
  | 'connection-lost';

export type CallEnd =
  | { readonly kind: 'hung-up'; readonly by: 'local' | 'remote' }
  /** We rang and gave up before they answered. */
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'declined'; readonly by: 'local' | 'remote' }
  /** Incoming, never answered: the caller gave up or the ring timed out. */
  | { readonly kind: 'missed' }
  /** Outgoing, the ring timed out. */
  | { readonly kind: 'no-answer' }
  | { readonly kind: 'busy' }
  | { readonly kind: 'failed'; readonly stage: CallFailureStage; readonly errorName?: string; readonly detail: string };

/** What the screen shows; a new object on every change, the same one otherwise. */
export interface CallState {
  readonly callId: string;
  readonly peer: string;
  readonly media: CallKind;
  readonly direction: CallDirection;
  readonly phase: CallPhase;
  readonly muted: boolean;
  readonly cameraOff: boolean;
  /** Connected before, and the connection is interrupted now. */
  readonly reconnecting: boolean;
  /** Local media and the peer connection exist (`streams` has them). */
  readonly hasMedia: boolean;
  /** When both sides had agreed (the callee's Accept, or the accept reaching the caller). */
  readonly answeredAt?: number;
  /** When media first connected. */
  readonly connectedAt?: number;
  readonly endedAt?: number;
  readonly end?: CallEnd;
}

/** The SDK's call methods the controller uses (ParleyClient has them). */
export interface CallSignaling {
  startCall(peer: string, media: CallKind): Promise<string>;
  acceptCall(callId: string): Promise<void>;
  declineCall(callId: string): Promise<void>;
  hangupCall(callId: string): Promise<void>;
  sendCallSignal(callId: string, signal: { type: 'offer' | 'answer'; sdp: string } | { type: 'ice'; candidate: string }): Promise<void>;
}

export interface LocalTrack {
  readonly kind: string;
  enabled: boolean;
  stop(): void;
}

/** The local microphone (and camera) stream; a MediaStream in browsers. */
export interface LocalMedia {
  getTracks(): readonly LocalTrack[];
}

export interface PeerConnectionEvents {
  onIceCandidate(candidate: RTCIceCandidateInit): void;
  onConnectionStateChange(state: RTCPeerConnectionState): void;
}

/** The part of RTCPeerConnection a call uses; `remote` is the other side's media for the screen. */
export interface PeerConnection<L extends LocalMedia, R> {
  readonly remote: R;
  addLocalMedia(local: L): void;
  createOffer(): Promise<RTCSessionDescriptionInit>;
  createAnswer(): Promise<RTCSessionDescriptionInit>;
  setLocalDescription(description: RTCSessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void>;
  addIceCandidate(candidate: RTCIceCandidateInit): Promise<void>;
  close(): void;
}

export interface IceConfig {
  readonly iceServers: RTCIceServer[];
  /** TURN only: neither side's own address is offered. */
  readonly relayOnly: boolean;
}

export interface CallClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export interface CallDeps<L extends LocalMedia, R> {
  readonly signaling: CallSignaling;
  getUserMedia(constraints: { audio: true; video: boolean }): Promise<L>;
  createPeerConnection(config: { iceServers: RTCIceServer[]; iceTransportPolicy: 'all' | 'relay' }, events: PeerConnectionEvents): PeerConnection<L, R>;
  /** ICE servers and policy for this call; rejects when relayed calls are required but impossible. */
  iceConfig(): Promise<IceConfig>;
  readonly clock: CallClock;
  /** From the answer to connected media, at most this long (default CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
  /** A connected call whose media stop for this long ends (default RECONNECT_GRACE_MS). */
  readonly reconnectGraceMs?: number;
  /** Why a call failed, or what was ignored, for the console (never SDP or keys). */
  warn(message: string): void;
}

export const CONNECT_TIMEOUT_MS = 30_000;
export const RECONNECT_GRACE_MS = 10_000;
/** Candidates kept while the remote description is pending; more is not a real peer. */
export const MAX_PENDING_CANDIDATES = 64;

export class CallController<L extends LocalMedia = MediaStream, R = MediaStream> {
  private snapshot: CallState;
  private readonly listeners = new Set<() => void>();
  private local: L | undefined;
  private pc: PeerConnection<L, R> | undefined;
  /** Both sides said yes: from here on media, SDP and candidates are allowed. */
  private agreed = false;
  /** The peer connection can take the remote description (callee: created; caller: offer set). */
  private readyForRemote = false;
  private remoteSeen = false;
  private pendingRemote: RTCSessionDescriptionInit | undefined;
  private remoteDescribed = false;
  private readonly pendingIce: string[] = [];
  /** The SDK's side of the ending (hang-up or decline sent, or failed). */
  private told: Promise<void> = Promise.resolve();
  private cancelConnectTimer: (() => void) | undefined;
  private cancelGraceTimer: (() => void) | undefined;

  private constructor(
    private readonly deps: CallDeps<L, R>,
    call: { callId: string; peer: string; media: CallKind; direction: CallDirection },
  ) {
    this.snapshot = { ...call, phase: 'ringing', muted: false, cameraOff: false, reconnecting: false, hasMedia: false };
  }

  /** A call ringing here. Nothing but the ring is used until `accept()`. */
  static incoming<L extends LocalMedia, R>(deps: CallDeps<L, R>, ring: { callId: string; peer: string; media: CallKind }): CallController<L, R> {
    return new CallController(deps, { callId: ring.callId, peer: ring.peer, media: ring.media, direction: 'in' });
  }

  /** Rings `peer` through the SDK (only a ring is sent); media wait for their accept. */
  static async place<L extends LocalMedia, R>(deps: CallDeps<L, R>, peer: string, media: CallKind): Promise<CallController<L, R>> {
    const callId = await deps.signaling.startCall(peer, media);
    return new CallController(deps, { callId, peer, media, direction: 'out' });
  }

  get callId(): string {
    return this.snapshot.callId;
  }

  get state(): CallState {
    return this.snapshot;
  }

  /** Local and remote media while the call has them. */
  get streams(): { readonly local: L; readonly remote: R } | undefined {
    return this.local && this.pc ? { local: this.local, remote: this.pc.remote } : undefined;
  }

  /**
   * Resolves once the SDK has been told how the call ended here (its call log then
   * has the ending); read it when the state says 'ended'. Never rejects.
   */
  get settled(): Promise<void> {
    return this.told;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An SDK event; events for other calls are ignored. */
  handle(e: CallEvent): void {
    if (e.callId !== this.callId || this.ended) return;
    const { direction, phase } = this.snapshot;
    switch (e.event) {
      case 'incoming':
        return; // the ring this controller was made from, or a repeat of it
      case 'accepted':
        if (direction === 'out' && phase === 'ringing') void this.begin();
        return;
      case 'offer':
      case 'answer':
        // Why: before the answer nothing of theirs is used, not even kept (invariant 1);
        // an offer to the caller or an answer to the callee is out of protocol.
        if (!this.agreed || e.sdp === undefined || (e.event === 'offer') !== (direction === 'in')) return;
        this.onRemoteDescription({ type: e.event, sdp: e.sdp });
        return;
      case 'ice':
        if (!this.agreed || e.candidate === undefined) return;
        this.onRemoteCandidate(e.candidate);
        return;
      case 'declined':
        if (direction === 'out') this.finish({ kind: 'declined', by: 'remote' });
        return;
      case 'busy':
        if (direction === 'out') this.finish({ kind: 'busy' });
        return;
      case 'ended':
        if (direction === 'in' && !this.agreed) this.finish({ kind: 'missed' });
        else if (direction === 'out' && phase === 'ringing' && e.reason === 'no-answer') this.finish({ kind: 'no-answer' });
        else this.finish({ kind: 'hung-up', by: 'remote' });
        return;
    }
  }

  /** The local user answers a ringing incoming call; only now may media and the peer connection exist. */
  async accept(): Promise<void> {
    if (this.snapshot.direction !== 'in' || this.snapshot.phase !== 'ringing') return;
    this.agree();
    try {
      await this.deps.signaling.acceptCall(this.callId);
    } catch (e) {
      this.fail('signaling', e);
      return;
    }
    await this.startMedia();
  }

  /** The local user ends the call: declines it while it rings here, cancels it while it rings there. */
  async hangUp(): Promise<void> {
    if (this.ended) return;
    const { direction, phase } = this.snapshot;
    const declining = direction === 'in' && phase === 'ringing';
    this.told = (declining ? this.deps.signaling.declineCall(this.callId) : this.deps.signaling.hangupCall(this.callId)).catch((e: unknown) =>
      this.deps.warn(`call ${this.callId}: the hang-up could not be sent (${describeError(e)}); the other side stops when its own timers run out`),
    );
    this.finish(declining ? { kind: 'declined', by: 'local' } : direction === 'out' && phase === 'ringing' ? { kind: 'cancelled' } : { kind: 'hung-up', by: 'local' });
    await this.told;
  }

  setMuted(muted: boolean): void {
    if (this.ended || muted === this.snapshot.muted) return;
    this.update({ muted });
    this.applySwitches();
  }

  setCameraOff(cameraOff: boolean): void {
    if (this.ended || cameraOff === this.snapshot.cameraOff) return;
    this.update({ cameraOff });
    this.applySwitches();
  }

  private get ended(): boolean {
    return this.snapshot.phase === 'ended';
  }

  /** Both sides said yes: the connect timeout starts now. */
  private agree(): void {
    this.agreed = true;
    const ms = this.deps.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.cancelConnectTimer = this.deps.clock.after(ms, () => this.fail('no-connection', undefined, `no connection within ${Math.round(ms / 1000)} s of the answer`));
    this.update({ phase: 'connecting', answeredAt: this.deps.clock.now() });
  }

  /** The caller's side once the accept arrived: media, then the offer. */
  private async begin(): Promise<void> {
    this.agree();
    const pc = await this.startMedia();
    if (!pc) return;
    let offer: RTCSessionDescriptionInit;
    try {
      offer = await pc.createOffer();
      if (this.stale(pc)) return;
      await pc.setLocalDescription(offer);
      if (this.stale(pc)) return;
    } catch (e) {
      this.fail('negotiation', e);
      return;
    }
    this.readyForRemote = true;
    if (!(await this.send({ type: 'offer', sdp: offer.sdp ?? '' }))) return;
    this.applyPendingRemote(pc);
  }

  /**
   * ICE settings, microphone (and camera), then the peer connection. Media that
   * arrive after the call ended are stopped, never used.
   */
  private async startMedia(): Promise<PeerConnection<L, R> | undefined> {
    if (this.ended) return undefined;
    let ice: IceConfig;
    try {
      ice = await this.deps.iceConfig();
    } catch (e) {
      this.fail('relay', e);
      return undefined;
    }
    if (this.ended) return undefined;
    let local: L;
    try {
      local = await this.deps.getUserMedia({ audio: true, video: this.snapshot.media === 'video' });
    } catch (e) {
      this.fail('media', e);
      return undefined;
    }
    if (this.ended) {
      stopTracks(local);
      return undefined;
    }
    this.local = local;
    this.applySwitches();
    let pc: PeerConnection<L, R>;
    try {
      pc = this.deps.createPeerConnection(
        { iceServers: ice.iceServers, iceTransportPolicy: ice.relayOnly ? 'relay' : 'all' },
        {
          onIceCandidate: (c) => this.sendCandidate(pc, c),
          onConnectionStateChange: (s) => this.onConnectionState(pc, s),
        },
      );
      this.pc = pc;
      pc.addLocalMedia(local);
    } catch (e) {
      this.fail('negotiation', e);
      return undefined;
    }
    this.update({ hasMedia: true });
    if (this.snapshot.direction === 'in') {
      this.readyForRemote = true;
      this.applyPendingRemote(pc);
    }
    return pc;
  }

  private onRemoteDescription(description: RTCSessionDescriptionInit): void {
    // Why: one offer and one answer per call; renegotiation is not part of Parley's calls.
    if (this.remoteSeen) {
      this.deps.warn(`call ${this.callId}: ignored a second ${description.type}`);
      return;
    }
    this.remoteSeen = true;
    this.pendingRemote = description;
    if (this.pc && this.readyForRemote) this.applyPendingRemote(this.pc);
  }

  private applyPendingRemote(pc: PeerConnection<L, R>): void {
    const description = this.pendingRemote;
    if (!description) return;
    this.pendingRemote = undefined;
    void this.applyRemote(pc, description);
  }

  /** The other side's offer (callee: answered here) or answer (caller); queued candidates follow it. */
  private async applyRemote(pc: PeerConnection<L, R>, description: RTCSessionDescriptionInit): Promise<void> {
    let answer: RTCSessionDescriptionInit | undefined;
    try {
      await pc.setRemoteDescription(description);
      if (this.stale(pc)) return;
      this.remoteDescribed = true;
      for (const c of this.pendingIce.splice(0)) void this.addCandidate(pc, c);
      if (description.type !== 'offer') return;
      answer = await pc.createAnswer();
      if (this.stale(pc)) return;
      await pc.setLocalDescription(answer);
      if (this.stale(pc)) return;
    } catch (e) {
      this.fail('negotiation', e);
      return;
    }
    await this.send({ type: 'answer', sdp: answer.sdp ?? '' });
  }

  private onRemoteCandidate(json: string): void {
    if (this.pc && this.remoteDescribed) {
      void this.addCandidate(this.pc, json);
    } else if (this.pendingIce.length < MAX_PENDING_CANDIDATES) {
      this.pendingIce.push(json);
    } else {
      this.deps.warn(`call ${this.callId}: dropped an ICE candidate (more than ${MAX_PENDING_CANDIDATES} before the remote description)`);
    }
  }

  /** One remote candidate. A bad one is skipped, not fatal: others may connect, and the connect timeout bounds the rest. */
  private async addCandidate(pc: PeerConnection<L, R>, json: string): Promise<void> {
    const init = parseCandidate(json);
    if (!init) {
      this.deps.warn(`call ${this.callId}: ignored a malformed ICE candidate`);
      return;
    }
    try {
      await pc.addIceCandidate(init);
    } catch (e) {
      if (!this.stale(pc)) this.deps.warn(`call ${this.callId}: ignored an ICE candidate the browser refused (${describeError(e)})`);
    }
  }

  private sendCandidate(pc: PeerConnection<L, R>, candidate: RTCIceCandidateInit): void {
    if (this.stale(pc)) return;
    this.deps.signaling.sendCallSignal(this.callId, { type: 'ice', candidate: JSON.stringify(candidate) }).catch((e: unknown) => {
      if (!this.ended) this.deps.warn(`call ${this.callId}: an ICE candidate could not be sent (${describeError(e)})`);
    });
  }

  /** Sends an offer or answer; a failure ends the call. False when the call is over. */
  private async send(signal: { type: 'offer' | 'answer'; sdp: string }): Promise<boolean> {
    try {
      await this.deps.signaling.sendCallSignal(this.callId, signal);
    } catch (e) {
      this.fail('signaling', e);
      return false;
    }
    return !this.ended;
  }

  private onConnectionState(pc: PeerConnection<L, R>, state: RTCPeerConnectionState): void {
    if (this.stale(pc)) return;
    const connectedBefore = this.snapshot.connectedAt !== undefined;
    if (state === 'connected') {
      this.cancelConnectTimer?.();
      this.cancelConnectTimer = undefined;
      this.cancelGraceTimer?.();
      this.cancelGraceTimer = undefined;
      this.update({ phase: 'active', reconnecting: false, connectedAt: this.snapshot.connectedAt ?? this.deps.clock.now() });
    } else if (state === 'disconnected' && connectedBefore) {
      if (this.cancelGraceTimer) return;
      const ms = this.deps.reconnectGraceMs ?? RECONNECT_GRACE_MS;
      this.cancelGraceTimer = this.deps.clock.after(ms, () => this.fail('connection-lost', undefined, `no media from the other side for ${Math.round(ms / 1000)} s`));
      this.update({ reconnecting: true });
    } else if (state === 'failed') {
      this.fail(connectedBefore ? 'connection-lost' : 'no-connection', undefined, 'ICE failed');
    } else if (state === 'closed') {
      this.fail('connection-lost', undefined, 'the peer connection closed');
    }
  }

  /** A failure after the answer: ends the call here and, through the SDK, on the other side. */
  private fail(stage: CallFailureStage, error?: unknown, detail?: string): void {
    if (this.ended) return;
    const errorName = error instanceof Error || (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string') ? (error as { name: string }).name : undefined;
    const text = detail ?? describeError(error);
    this.deps.warn(`call ${this.callId} with ${this.snapshot.peer} failed (${stage}): ${text}`);
    // Why: the other side must not keep waiting, with its microphone open, for a call that cannot go on here.
    this.told = this.deps.signaling.hangupCall(this.callId).catch((e: unknown) => this.deps.warn(`call ${this.callId}: the hang-up could not be sent (${describeError(e)})`));
    this.finish({ kind: 'failed', stage, ...(errorName ? { errorName } : {}), detail: text });
  }

  /** Every way a call ends comes through here: timers off, every track stopped, the peer connection closed. */
  private finish(end: CallEnd): void {
    if (this.ended) return;
    this.cancelConnectTimer?.();
    this.cancelConnectTimer = undefined;
    this.cancelGraceTimer?.();
    this.cancelGraceTimer = undefined;
    this.pendingRemote = undefined;
    this.pendingIce.length = 0;
    if (this.local) stopTracks(this.local);
    this.local = undefined;
    const pc = this.pc;
    this.pc = undefined;
    try {
      pc?.close();
    } catch (e) {
      this.deps.warn(`call ${this.callId}: closing the peer connection failed (${describeError(e)})`);
    }
    this.update({ phase: 'ended', reconnecting: false, hasMedia: false, end, endedAt: this.deps.clock.now() });
  }

  /** True when `pc` is no longer this call's live peer connection (ended, or replaced). */
  private stale(pc: PeerConnection<L, R>): boolean {
    return this.ended || this.pc !== pc;
  }

  private applySwitches(): void {
    for (const t of this.local?.getTracks() ?? []) {
      if (t.kind === 'audio') t.enabled = !this.snapshot.muted;
      if (t.kind === 'video') t.enabled = !this.snapshot.cameraOff;
    }
  }

  private update(patch: Partial<CallState>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}

function stopTracks(media: LocalMedia): void {
  for (const t of media.getTracks()) t.stop();
}

/** An error's name and message, cut short: browser errors about SDP quote the SDP, which holds addresses. */
function describeError(e: unknown): string {
  const name = typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : '';
  const message = typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
  const text = name && !message.startsWith(name) ? `${name}: ${message}` : message;
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

/** A remote ICE candidate: JSON with a `candidate` string; only the known fields are kept. */
export function parseCandidate(json: string): RTCIceCandidateInit | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.candidate !== 'string') return undefined;
  const init: RTCIceCandidateInit = { candidate: o.candidate };
  if (typeof o.sdpMid === 'string' || o.sdpMid === null) init.sdpMid = o.sdpMid;
  if (typeof o.sdpMLineIndex === 'number' && Number.isInteger(o.sdpMLineIndex) && o.sdpMLineIndex >= 0) init.sdpMLineIndex = o.sdpMLineIndex;
  else if (o.sdpMLineIndex === null) init.sdpMLineIndex = null;
  if (typeof o.usernameFragment === 'string' || o.usernameFragment === null) init.usernameFragment = o.usernameFragment;
  return init;
}
