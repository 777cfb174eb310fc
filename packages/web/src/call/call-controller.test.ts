// The call controller with fake media, peer connections, clock and SDK: nothing
// exists before the answer, set-up happens in order, and every ending stops the
// tracks and closes the peer connection.
import { describe, expect, it } from 'vitest';
import {
  CallController,
  CONNECT_TIMEOUT_MS,
  MAX_PENDING_CANDIDATES,
  parseCandidate,
  RECONNECT_GRACE_MS,
  type CallDeps,
  type CallEvent,
  type CallSignaling,
  type IceConfig,
  type PeerConnection,
  type PeerConnectionEvents,
} from './call-controller.ts';

class FakeTrack {
  stopped = false;
  enabled = true;
  constructor(readonly kind: 'audio' | 'video') {}
  stop(): void {
    this.stopped = true;
  }
}

class FakeStream {
  readonly tracks: FakeTrack[];
  constructor(video: boolean) {
    this.tracks = video ? [new FakeTrack('audio'), new FakeTrack('video')] : [new FakeTrack('audio')];
  }
  getTracks(): FakeTrack[] {
    return this.tracks;
  }
}

/** Records every operation in order; each one can be made to fail. */
class FakePc implements PeerConnection<FakeStream, string> {
  readonly remote = 'remote media';
  readonly log: string[] = [];
  readonly local: FakeStream[] = [];
  closed = false;
  fail: Partial<Record<'createOffer' | 'createAnswer' | 'setLocalDescription' | 'setRemoteDescription' | 'addIceCandidate', Error>> = {};
  constructor(
    readonly config: { iceServers: RTCIceServer[]; iceTransportPolicy: 'all' | 'relay' },
    readonly events: PeerConnectionEvents,
  ) {}
  addLocalMedia(local: FakeStream): void {
    this.local.push(local);
  }
  private async op(name: keyof FakePc['fail'], entry: string): Promise<void> {
    this.log.push(entry);
    const e = this.fail[name];
    if (e) throw e;
  }
  async createOffer(): Promise<RTCSessionDescriptionInit> {
    await this.op('createOffer', 'createOffer');
    return { type: 'offer', sdp: 'local-offer' };
  }
  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    await this.op('createAnswer', 'createAnswer');
    return { type: 'answer', sdp: 'local-answer' };
  }
  setLocalDescription(d: RTCSessionDescriptionInit): Promise<void> {
    return this.op('setLocalDescription', `setLocalDescription:${d.type}`);
  }
  setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
    return this.op('setRemoteDescription', `setRemoteDescription:${d.type}:${d.sdp}`);
  }
  addIceCandidate(c: RTCIceCandidateInit): Promise<void> {
    return this.op('addIceCandidate', `addIceCandidate:${c.candidate}`);
  }
  close(): void {
    this.closed = true;
  }
}

class FakeClock {
  t = 1_000_000;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];
  now = (): number => this.t;
  after = (ms: number, fn: () => void): (() => void) => {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  };
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
  }
}

type Signal = Parameters<CallSignaling['sendCallSignal']>[1];

class FakeSignaling implements CallSignaling {
  readonly calls: string[] = [];
  readonly sent: Signal[] = [];
  failSend: Error | undefined;
  failAccept: Error | undefined;
  async startCall(peer: string, media: 'audio' | 'video'): Promise<string> {
    this.calls.push(`startCall:${peer}:${media}`);
    return 'c1';
  }
  async acceptCall(callId: string): Promise<void> {
    this.calls.push(`acceptCall:${callId}`);
    if (this.failAccept) throw this.failAccept;
  }
  async declineCall(callId: string): Promise<void> {
    this.calls.push(`declineCall:${callId}`);
  }
  async hangupCall(callId: string): Promise<void> {
    this.calls.push(`hangupCall:${callId}`);
  }
  async sendCallSignal(callId: string, signal: Signal): Promise<void> {
    if (this.failSend) throw this.failSend;
    this.sent.push(signal);
    this.calls.push(`sendCallSignal:${callId}:${signal.type}`);
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(opts: { holdMedia?: boolean; mediaError?: Error; iceConfig?: () => Promise<IceConfig> } = {}) {
  const signaling = new FakeSignaling();
  const clock = new FakeClock();
  const pcs: FakePc[] = [];
  const streams: FakeStream[] = [];
  const mediaRequests: Array<{ audio: true; video: boolean }> = [];
  const held: Array<Deferred<FakeStream>> = [];
  const warnings: string[] = [];
  const deps: CallDeps<FakeStream, string> = {
    signaling,
    clock,
    warn: (m) => warnings.push(m),
    iceConfig: opts.iceConfig ?? (async () => ({ iceServers: [{ urls: 'turn:relay.example' }], relayOnly: false })),
    getUserMedia: (c) => {
      mediaRequests.push(c);
      if (opts.mediaError) return Promise.reject(opts.mediaError);
      const d = deferred<FakeStream>();
      d.promise.then((s) => streams.push(s), () => undefined);
      if (opts.holdMedia) held.push(d);
      else d.resolve(new FakeStream(c.video));
      return d.promise;
    },
    createPeerConnection: (config, events) => {
      const pc = new FakePc(config, events);
      pcs.push(pc);
      return pc;
    },
  };
  return { deps, signaling, clock, pcs, streams, mediaRequests, held, warnings };
}

type Env = ReturnType<typeof setup>;

function ev(event: CallEvent['event'], extra: Partial<CallEvent> = {}): CallEvent {
  return { type: 'call', event, callId: 'c1', peer: 'bob', media: 'audio', ...extra };
}

const OFFER = ev('offer', { sdp: 'remote-offer' });
const ANSWER = ev('answer', { sdp: 'remote-answer' });
const ice = (n: number) => ev('ice', { candidate: JSON.stringify({ candidate: `cand-${n}`, sdpMid: '0', sdpMLineIndex: 0 }) });

/** Lets every already-settled promise chain run (the fakes never wait on anything else). */
async function settle(): Promise<void> {
  for (let i = 0; i < 30; i++) await Promise.resolve();
}

function incoming(env: Env, media: 'audio' | 'video' = 'audio') {
  return CallController.incoming(env.deps, { callId: 'c1', peer: 'bob', media });
}

/** An answered incoming call with its peer connection and the offer applied. */
async function answered(env: Env, media: 'audio' | 'video' = 'audio') {
  const call = incoming(env, media);
  await call.accept();
  call.handle(OFFER);
  await settle();
  return call;
}

/** An outgoing call whose accept arrived, with the offer sent. */
async function placed(env: Env, media: 'audio' | 'video' = 'audio') {
  const call = await CallController.place(env.deps, 'bob', media);
  call.handle(ev('accepted'));
  await settle();
  return call;
}

function allStopped(env: Env): boolean {
  return env.streams.length > 0 && env.streams.every((s) => s.tracks.every((t) => t.stopped));
}

/** Every ordering of every subset of `items`. */
function orderings<T>(items: readonly T[]): T[][] {
  const out: T[][] = [[]];
  const walk = (prefix: T[], rest: readonly T[]) => {
    rest.forEach((x, i) => {
      const next = [...prefix, x];
      out.push(next);
      walk(next, [...rest.slice(0, i), ...rest.slice(i + 1)]);
    });
  };
  walk([], items);
  return out;
}

describe('nothing before answer', () => {
  const BEFORE_ACCEPT: Record<string, CallEvent> = {
    ring: ev('incoming'),
    offer: OFFER,
    ice: ice(1),
    answer: ANSWER,
    hangup: ev('ended'),
    'ring timeout': ev('ended', { reason: 'no-answer' }),
  };

  it('callee: for every ordering of ring, offer, ICE, answer and hang-up events before Accept, no media and no peer connection exist, and the early SDP is never used', async () => {
    const sequences = orderings(Object.keys(BEFORE_ACCEPT));
    expect(sequences.length).toBe(1957);
    for (const seq of sequences) {
      const env = setup();
      const call = incoming(env);
      for (const name of seq) {
        call.handle(BEFORE_ACCEPT[name]!);
        await settle();
        expect(env.mediaRequests.length + env.pcs.length + env.signaling.calls.length, seq.join(' > ')).toBe(0);
      }
      await call.accept();
      await settle();
      const hungUp = seq.includes('hangup') || seq.includes('ring timeout');
      if (hungUp) {
        // The call is over: Accept does nothing, and nothing was ever started.
        expect(call.state.end, seq.join(' > ')).toEqual({ kind: 'missed' });
        expect(env.mediaRequests.length + env.pcs.length + env.signaling.calls.length, seq.join(' > ')).toBe(0);
        continue;
      }
      // Accepted: media and the peer connection exist now, and none of the early signals reached it.
      expect(env.signaling.calls, seq.join(' > ')).toEqual(['acceptCall:c1']);
      expect(env.pcs).toHaveLength(1);
      expect(env.pcs[0]!.log, seq.join(' > ')).toEqual([]);
      call.handle(OFFER);
      await settle();
      expect(env.pcs[0]!.log).toEqual(['setRemoteDescription:offer:remote-offer', 'createAnswer', 'setLocalDescription:answer']);
    }
  });

  it('caller: for every ordering of offer, answer, ICE and a repeated ring before the accept arrives, no media and no peer connection exist', async () => {
    const BEFORE = { offer: OFFER, answer: ANSWER, ice: ice(1), ring: ev('incoming') };
    for (const seq of orderings(Object.keys(BEFORE) as Array<keyof typeof BEFORE>)) {
      const env = setup();
      const call = await CallController.place(env.deps, 'bob', 'audio');
      for (const name of seq) {
        call.handle(BEFORE[name]);
        await settle();
      }
      expect(env.mediaRequests.length + env.pcs.length, seq.join(' > ')).toBe(0);
      expect(call.state.phase).toBe('ringing');
      call.handle(ev('accepted'));
      await settle();
      expect(env.pcs).toHaveLength(1);
      expect(env.pcs[0]!.log, seq.join(' > ')).toEqual(['createOffer', 'setLocalDescription:offer']);
    }
  });

  it('events for another call are ignored', async () => {
    const env = setup();
    const call = incoming(env);
    await call.accept();
    call.handle(ev('offer', { callId: 'c2', sdp: 'x' }));
    call.handle(ev('ended', { callId: 'c2' }));
    await settle();
    expect(call.state.phase).toBe('connecting');
    expect(env.pcs[0]!.log).toEqual([]);
  });
});

describe('set-up', () => {
  it('callee: an offer that arrives while media are starting waits for the peer connection; candidates before it are queued, then added in order', async () => {
    const env = setup({ holdMedia: true });
    const call = incoming(env, 'video');
    const accepting = call.accept();
    await settle();
    expect(call.state.phase).toBe('connecting');
    expect(env.mediaRequests).toEqual([{ audio: true, video: true }]);
    call.handle(ice(1));
    call.handle(OFFER);
    call.handle(ice(2));
    await settle();
    expect(env.pcs).toHaveLength(0);
    env.held[0]!.resolve(new FakeStream(true));
    await accepting;
    await settle();
    call.handle(ice(3));
    await settle();
    const pc = env.pcs[0]!;
    expect(pc.local).toEqual([env.streams[0]]);
    expect(pc.log).toEqual([
      'setRemoteDescription:offer:remote-offer',
      'addIceCandidate:cand-1',
      'addIceCandidate:cand-2',
      'createAnswer',
      'setLocalDescription:answer',
      'addIceCandidate:cand-3',
    ]);
    expect(env.signaling.sent).toEqual([{ type: 'answer', sdp: 'local-answer' }]);
    expect(call.streams).toEqual({ local: env.streams[0], remote: 'remote media' });
  });

  it('caller: after the accept, media, offer; the answer then the queued candidates', async () => {
    const env = setup();
    const call = await CallController.place(env.deps, 'bob', 'audio');
    expect(env.signaling.calls).toEqual(['startCall:bob:audio']);
    call.handle(ev('accepted'));
    await settle();
    expect(call.state.phase).toBe('connecting');
    expect(env.signaling.sent).toEqual([{ type: 'offer', sdp: 'local-offer' }]);
    call.handle(ice(1));
    await settle();
    call.handle(ANSWER);
    await settle();
    expect(env.pcs[0]!.log).toEqual(['createOffer', 'setLocalDescription:offer', 'setRemoteDescription:answer:remote-answer', 'addIceCandidate:cand-1']);
  });

  it('uses the ICE servers and relay-only policy it is given, and sends its own candidates through the SDK', async () => {
    const env = setup({ iceConfig: async () => ({ iceServers: [{ urls: 'turn:x' }], relayOnly: true }) });
    await answered(env);
    const pc = env.pcs[0]!;
    expect(pc.config).toEqual({ iceServers: [{ urls: 'turn:x' }], iceTransportPolicy: 'relay' });
    pc.events.onIceCandidate({ candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ relay', sdpMid: '0', sdpMLineIndex: 0 });
    await settle();
    expect(env.signaling.sent.at(-1)).toEqual({ type: 'ice', candidate: JSON.stringify({ candidate: 'candidate:1 1 udp 1 10.0.0.1 5000 typ relay', sdpMid: '0', sdpMLineIndex: 0 }) });
  });

  it('connected makes the call active and stops the connect timeout', async () => {
    const env = setup();
    const call = await answered(env);
    env.clock.advance(5_000);
    env.pcs[0]!.events.onConnectionStateChange('connected');
    expect(call.state.phase).toBe('active');
    expect(call.state.connectedAt).toBe(env.clock.t);
    env.clock.advance(CONNECT_TIMEOUT_MS * 2);
    expect(call.state.phase).toBe('active');
  });

  it('a malformed or refused candidate is skipped with a warning; the call goes on', async () => {
    const env = setup();
    const call = await answered(env);
    call.handle(ev('ice', { candidate: '{not json' }));
    call.handle(ev('ice', { candidate: JSON.stringify({ sdpMid: '0' }) }));
    env.pcs[0]!.fail.addIceCandidate = new Error('OperationError');
    call.handle(ice(7));
    await settle();
    expect(call.state.phase).toBe('connecting');
    expect(env.warnings).toHaveLength(3);
    expect(env.signaling.calls).not.toContain('hangupCall:c1');
  });

  it('at most MAX_PENDING_CANDIDATES candidates wait for the remote description', async () => {
    const env = setup();
    const call = incoming(env);
    await call.accept();
    for (let i = 0; i < MAX_PENDING_CANDIDATES + 5; i++) call.handle(ice(i));
    call.handle(OFFER);
    await settle();
    expect(env.pcs[0]!.log.filter((x) => x.startsWith('addIceCandidate'))).toHaveLength(MAX_PENDING_CANDIDATES);
    expect(env.warnings).toHaveLength(5);
  });

  it('a second offer is ignored (no renegotiation)', async () => {
    const env = setup();
    const call = await answered(env);
    call.handle(ev('offer', { sdp: 'again' }));
    await settle();
    expect(env.pcs[0]!.log.filter((x) => x.startsWith('setRemoteDescription'))).toHaveLength(1);
    expect(call.state.phase).toBe('connecting');
  });

  it('parses only the known candidate fields', () => {
    expect(parseCandidate('{"candidate":"c","sdpMid":"0","sdpMLineIndex":1,"usernameFragment":"u","evil":1}')).toEqual({ candidate: 'c', sdpMid: '0', sdpMLineIndex: 1, usernameFragment: 'u' });
    expect(parseCandidate('{"candidate":"c","sdpMLineIndex":-1}')).toEqual({ candidate: 'c' });
    expect(parseCandidate('[]')).toBeUndefined();
    expect(parseCandidate('null')).toBeUndefined();
    expect(parseCandidate('{"candidate":5}')).toBeUndefined();
  });
});

describe('mute and camera', () => {
  it('switch the local tracks, also when set before the media started', async () => {
    const env = setup({ holdMedia: true });
    const call = incoming(env, 'video');
    const accepting = call.accept();
    await settle();
    call.setMuted(true);
    env.held[0]!.resolve(new FakeStream(true));
    await accepting;
    const [audio, video] = env.streams[0]!.tracks;
    expect([audio!.enabled, video!.enabled]).toEqual([false, true]);
    call.setCameraOff(true);
    expect([audio!.enabled, video!.enabled]).toEqual([false, false]);
    call.setMuted(false);
    expect([audio!.enabled, video!.enabled]).toEqual([true, false]);
    expect(call.state).toMatchObject({ muted: false, cameraOff: true });
  });
});

describe('every way a call ends stops every track and closes the peer connection', () => {
  type Ending = { name: string; run: (env: Env, call: CallController<FakeStream, string>) => Promise<void> | void; end: object; hangsUpThroughSdk: boolean };
  const endings: Ending[] = [
    { name: 'local hang-up while connecting', run: (_, c) => c.hangUp(), end: { kind: 'hung-up', by: 'local' }, hangsUpThroughSdk: true },
    {
      name: 'local hang-up while active',
      run: (env, c) => {
        env.pcs[0]!.events.onConnectionStateChange('connected');
        return c.hangUp();
      },
      end: { kind: 'hung-up', by: 'local' },
      hangsUpThroughSdk: true,
    },
    { name: 'the other side hangs up', run: (_, c) => c.handle(ev('ended')), end: { kind: 'hung-up', by: 'remote' }, hangsUpThroughSdk: false },
    { name: 'nothing connects within the connect timeout', run: (env) => env.clock.advance(CONNECT_TIMEOUT_MS), end: { kind: 'failed', stage: 'no-connection' }, hangsUpThroughSdk: true },
    { name: 'ICE fails', run: (env) => env.pcs[0]!.events.onConnectionStateChange('failed'), end: { kind: 'failed', stage: 'no-connection' }, hangsUpThroughSdk: true },
    {
      name: 'the other side goes silent after connecting',
      run: (env) => {
        env.pcs[0]!.events.onConnectionStateChange('connected');
        env.pcs[0]!.events.onConnectionStateChange('disconnected');
        env.clock.advance(RECONNECT_GRACE_MS);
      },
      end: { kind: 'failed', stage: 'connection-lost' },
      hangsUpThroughSdk: true,
    },
    {
      name: 'connected ICE fails later',
      run: (env) => {
        env.pcs[0]!.events.onConnectionStateChange('connected');
        env.pcs[0]!.events.onConnectionStateChange('failed');
      },
      end: { kind: 'failed', stage: 'connection-lost' },
      hangsUpThroughSdk: true,
    },
  ];

  for (const e of endings) {
    it(`callee: ${e.name}`, async () => {
      const env = setup();
      const call = await answered(env, 'video');
      await e.run(env, call);
      await settle();
      expect(call.state.phase).toBe('ended');
      expect(call.state.end).toMatchObject(e.end);
      expect(allStopped(env)).toBe(true);
      expect(env.pcs[0]!.closed).toBe(true);
      expect(call.streams).toBeUndefined();
      expect(env.signaling.calls.filter((x) => x === 'hangupCall:c1')).toHaveLength(e.hangsUpThroughSdk ? 1 : 0);
      expect(env.clock.pending).toBe(0);
    });
    it(`caller: ${e.name}`, async () => {
      const env = setup();
      const call = await placed(env, 'video');
      call.handle(ANSWER);
      await settle();
      await e.run(env, call);
      await settle();
      expect(call.state.end).toMatchObject(e.end);
      expect(allStopped(env)).toBe(true);
      expect(env.pcs[0]!.closed).toBe(true);
      expect(env.signaling.calls.filter((x) => x === 'hangupCall:c1')).toHaveLength(e.hangsUpThroughSdk ? 1 : 0);
      expect(env.clock.pending).toBe(0);
    });
  }

  it('a connection that comes back within the grace period goes on', async () => {
    const env = setup();
    const call = await answered(env);
    const pc = env.pcs[0]!;
    pc.events.onConnectionStateChange('connected');
    pc.events.onConnectionStateChange('disconnected');
    expect(call.state.reconnecting).toBe(true);
    env.clock.advance(RECONNECT_GRACE_MS - 1);
    pc.events.onConnectionStateChange('connected');
    env.clock.advance(RECONNECT_GRACE_MS * 3);
    expect(call.state).toMatchObject({ phase: 'active', reconnecting: false });
    expect(allStopped(env)).toBe(false);
  });

  it('events from a closed peer connection change nothing', async () => {
    const env = setup();
    const call = await answered(env);
    await call.hangUp();
    const before = call.state;
    env.pcs[0]!.events.onConnectionStateChange('connected');
    env.pcs[0]!.events.onIceCandidate({ candidate: 'late' });
    await settle();
    expect(call.state).toBe(before);
    expect(env.signaling.sent.filter((s) => s.type === 'ice')).toHaveLength(0);
  });
});

describe('failures after the answer end the call on both sides and say why', () => {
  const cases: Array<{ name: string; side: 'callee' | 'caller'; arrange: (env: Env) => void; act: (env: Env, call: CallController<FakeStream, string>) => void; stage: string }> = [
    { name: 'a malformed offer', side: 'callee', arrange: () => undefined, act: (env, c) => ((env.pcs[0]!.fail.setRemoteDescription = new Error('Failed to parse SessionDescription')), c.handle(OFFER)), stage: 'negotiation' },
    { name: 'an answer that cannot be made', side: 'callee', arrange: () => undefined, act: (env, c) => ((env.pcs[0]!.fail.createAnswer = new Error('no codecs')), c.handle(OFFER)), stage: 'negotiation' },
    { name: 'an answer that cannot be sent', side: 'callee', arrange: (env) => (env.signaling.failSend = new Error('SERVER_UNREACHABLE')), act: (_, c) => c.handle(OFFER), stage: 'signaling' },
    { name: 'a malformed answer', side: 'caller', arrange: () => undefined, act: (env, c) => ((env.pcs[0]!.fail.setRemoteDescription = new Error('Failed to parse SessionDescription')), c.handle(ANSWER)), stage: 'negotiation' },
  ];
  for (const c of cases) {
    it(`${c.side}: ${c.name}`, async () => {
      const env = setup();
      let call: CallController<FakeStream, string>;
      if (c.side === 'callee') {
        call = incoming(env);
        await call.accept();
      } else {
        call = await placed(env);
      }
      c.arrange(env);
      c.act(env, call);
      await settle();
      expect(call.state.end).toMatchObject({ kind: 'failed', stage: c.stage });
      expect(env.signaling.calls).toContain('hangupCall:c1');
      expect(allStopped(env)).toBe(true);
      expect(env.pcs[0]!.closed).toBe(true);
      expect(env.warnings.some((w) => w.includes(`failed (${c.stage})`))).toBe(true);
      expect(env.clock.pending).toBe(0);
    });
  }

  it('caller: an offer that cannot be made', async () => {
    const env = setup();
    const call = await CallController.place(env.deps, 'bob', 'audio');
    const orig = env.deps.createPeerConnection;
    env.deps.createPeerConnection = (config, events) => {
      const pc = orig(config, events) as FakePc;
      pc.fail.createOffer = new Error('boom');
      return pc;
    };
    call.handle(ev('accepted'));
    await settle();
    expect(call.state.end).toMatchObject({ kind: 'failed', stage: 'negotiation' });
    expect(allStopped(env)).toBe(true);
    expect(env.signaling.calls).toContain('hangupCall:c1');
  });

  it('callee: the accept cannot be sent', async () => {
    const env = setup();
    env.signaling.failAccept = new Error('TIMEOUT');
    const call = incoming(env);
    await call.accept();
    expect(call.state.end).toMatchObject({ kind: 'failed', stage: 'signaling' });
    expect(env.mediaRequests).toHaveLength(0);
    expect(env.signaling.calls).toContain('hangupCall:c1');
  });

  it('the microphone is refused: no peer connection, and the other side is told', async () => {
    const env = setup({ mediaError: Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }) });
    const call = incoming(env);
    await call.accept();
    expect(call.state.end).toEqual({ kind: 'failed', stage: 'media', errorName: 'NotAllowedError', detail: 'NotAllowedError: Permission denied' });
    expect(env.pcs).toHaveLength(0);
    expect(env.signaling.calls).toEqual(['acceptCall:c1', 'hangupCall:c1']);
  });

  it('relay-only calls on a server without a relay: no media are even asked for', async () => {
    const env = setup({ iceConfig: () => Promise.reject(new Error('relayed calls are not available on this server')) });
    const call = await placed(env);
    expect(call.state.end).toMatchObject({ kind: 'failed', stage: 'relay' });
    expect(env.mediaRequests).toHaveLength(0);
    expect(env.signaling.calls).toContain('hangupCall:c1');
  });

  it('settles once the SDK was told, so the app can show the call log\'s ending', async () => {
    const env = setup();
    const call = await answered(env);
    let settledWith: string[] | undefined;
    call.subscribe(() => {
      if (call.state.phase === 'ended') void call.settled.then(() => (settledWith = [...env.signaling.calls]));
    });
    env.pcs[0]!.events.onConnectionStateChange('failed');
    await settle();
    expect(settledWith?.at(-1)).toBe('hangupCall:c1');
  });

  it('the failure is reported once, even if more goes wrong afterwards', async () => {
    const env = setup();
    const call = await answered(env);
    env.pcs[0]!.events.onConnectionStateChange('failed');
    env.clock.advance(CONNECT_TIMEOUT_MS);
    call.handle(ev('ended'));
    await settle();
    expect(call.state.end).toMatchObject({ kind: 'failed', stage: 'no-connection' });
    expect(env.signaling.calls.filter((x) => x === 'hangupCall:c1')).toHaveLength(1);
    expect(env.warnings).toHaveLength(1);
  });
});

describe('late media', () => {
  for (const how of ['the other side hangs up', 'the local user hangs up'] as const) {
    it(`media that finish starting after ${how} are stopped, not used`, async () => {
      const env = setup({ holdMedia: true });
      const call = incoming(env);
      const accepting = call.accept();
      await settle();
      expect(env.held).toHaveLength(1);
      if (how === 'the other side hangs up') call.handle(ev('ended'));
      else await call.hangUp();
      expect(call.state.end).toEqual({ kind: 'hung-up', by: how === 'the other side hangs up' ? 'remote' : 'local' });
      env.held[0]!.resolve(new FakeStream(true));
      await accepting;
      await settle();
      expect(allStopped(env)).toBe(true);
      expect(env.pcs).toHaveLength(0);
      expect(call.streams).toBeUndefined();
    });
  }

  it('a caller whose media arrive after the callee gave up keeps "hung up by the other side", not a failure', async () => {
    const env = setup({ holdMedia: true });
    const call = await CallController.place(env.deps, 'bob', 'audio');
    call.handle(ev('accepted'));
    await settle();
    call.handle(ev('ended'));
    env.held[0]!.resolve(new FakeStream(false));
    await settle();
    expect(call.state.end).toEqual({ kind: 'hung-up', by: 'remote' });
    expect(allStopped(env)).toBe(true);
    expect(env.signaling.calls).toEqual(['startCall:bob:audio']);
  });
});

describe('endings before the answer', () => {
  it('callee: the caller gives up, or the ring times out: a missed call', () => {
    for (const e of [ev('ended'), ev('ended', { reason: 'no-answer' })]) {
      const env = setup();
      const call = incoming(env);
      call.handle(e);
      expect(call.state).toMatchObject({ phase: 'ended', end: { kind: 'missed' } });
    }
  });

  it('callee: declining sends a decline, not a hang-up', async () => {
    const env = setup();
    const call = incoming(env);
    await call.hangUp();
    expect(call.state.end).toEqual({ kind: 'declined', by: 'local' });
    expect(env.signaling.calls).toEqual(['declineCall:c1']);
  });

  it('caller: declined, busy, no answer, or cancelled here', async () => {
    const outcomes: Array<[CallEvent | 'hang up', object]> = [
      [ev('declined'), { kind: 'declined', by: 'remote' }],
      [ev('busy'), { kind: 'busy' }],
      [ev('ended', { reason: 'no-answer' }), { kind: 'no-answer' }],
      ['hang up', { kind: 'cancelled' }],
    ];
    for (const [what, end] of outcomes) {
      const env = setup();
      const call = await CallController.place(env.deps, 'bob', 'audio');
      if (what === 'hang up') await call.hangUp();
      else call.handle(what);
      expect(call.state.end).toEqual(end);
      expect(env.mediaRequests).toHaveLength(0);
    }
  });

  it('tells subscribers about every change, with a new state object each time', async () => {
    const env = setup();
    const call = incoming(env);
    const seen: unknown[] = [];
    call.subscribe(() => seen.push(call.state));
    await call.accept();
    call.handle(OFFER);
    await settle();
    env.pcs[0]!.events.onConnectionStateChange('connected');
    await call.hangUp();
    const phases = (seen as Array<{ phase: string }>).map((s) => s.phase);
    expect(phases[0]).toBe('connecting');
    expect(phases).toContain('active');
    expect(phases.at(-1)).toBe('ended');
    expect(new Set(seen).size).toBe(seen.length);
  });
});
