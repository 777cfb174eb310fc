/**
 * Call signaling with the hardened flow (DESIGN.md invariant 1): the callee's
 * client acts on nothing but a fixed-schema `ring` until its user accepts; offers,
 * answers and candidates for a call not yet accepted, from someone else, or after
 * it ended are dropped unseen. Strangers' calls never ring (a missed call in their
 * request); every attempt is written to the append-only call log first. An
 * unanswered call stops ringing after RING_TIMEOUT_MS on both sides.
 *
 * State: the calls in progress (memory only; a restart ends them) and ring timers.
 */
import { refuseIfBlocked } from '../contacts/blocking.ts';
import { encodeContent, type Content } from '../content/codec.ts';
import { WireError, type Feature } from '@parley/wire';
import type { CallMessage } from '../content/call.ts';
import { policy } from '../contacts/policy.ts';
import { directConversation } from '../conversations/ids.ts';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { hex, randomBytes } from '../internal/random.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import type { CallLogEntry } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import { callSuspicion, isEarlyHangup } from './suspicion.ts';

/** An unanswered call stops ringing after this long on both sides (the server drops call messages after a minute too). */
export const RING_TIMEOUT_MS = 60_000;
/** A stranger's rings leave one missed-call line per this long (each is still logged). */
export const STRANGER_NOTE_INTERVAL_MS = 3600_000;

interface ActiveCall {
  readonly callId: string;
  readonly peer: string;
  readonly peerAccountId: string;
  readonly direction: 'in' | 'out';
  readonly media: 'audio' | 'video';
  state: 'ringing' | 'accepted' | 'ended';
  /** When both sides had agreed (ms), for the length shown once it ends. */
  answeredAt?: number;
}

const noun = (media: 'audio' | 'video') => (media === 'video' ? 'video' : 'voice');
/** "Voice call, 2:05": the system line for a call that was answered. */
function lengthNote(a: ActiveCall, now: number): string {
  const s = Math.max(0, Math.round((now - (a.answeredAt ?? now)) / 1000));
  return `${a.media === 'video' ? 'Video' : 'Voice'} call, ${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export class Calls {
  private readonly calls = new Map<string, ActiveCall>();
  private readonly ringTimers = new Set<ReturnType<typeof setTimeout>>();
  /** When the last call-warning was raised (ms); at most one an hour. */
  private lastWarning = -Infinity;

  constructor(
    private readonly ctx: ClientContext,
    private readonly ringTimeoutMs = RING_TIMEOUT_MS,
    /** How a call message reaches the peer (the outbox; tests record instead). */
    private readonly deliver: (peer: string, call: CallMessage) => Promise<void> = (peer, call) => {
      const content: Content = { v: 1, kind: 'call', id: ctx.newId(), ts: ctx.now(), call };
      // Ephemeral: the server keeps call messages for a minute at most.
      return sendToAccount(ctx, peer, encodeContent(content), { timestamp: content.ts, ephemeral: true });
    },
    /** The server's kill switch (notices/notices.ts): calls, or video calls, switched off for everyone. */
    private readonly switchedOff: (f: Feature) => boolean = () => false,
  ) {}

  private callsOff(media: 'audio' | 'video'): boolean {
    return this.switchedOff('calls') || (media === 'video' && this.switchedOff('video-calls'));
  }

  private log(tx: StoreTx, a: ActiveCall, event: CallLogEntry['event']): void {
    tx.callLog.append({ callId: a.callId, peer: a.peer, direction: a.direction, media: a.media, event, timestamp: this.ctx.now() });
  }

  /** A system line in the conversation ("Missed voice call"); no bubble, no ticks. */
  private note(tx: StoreTx, a: ActiveCall, body: string): void {
    const me = requireAccount(this.ctx);
    tx.messages.add({
      conversation: directConversation(a.peerAccountId),
      direction: a.direction,
      kind: 'system',
      clientId: `call-${a.callId}`,
      senderAccountId: a.direction === 'in' ? a.peerAccountId : me.accountId,
      timestamp: this.ctx.now(),
      body,
      status: a.direction === 'in' ? 'received' : 'sent',
    });
  }

  private send(peer: string, call: CallMessage): Promise<void> {
    return this.deliver(peer, call);
  }

  /** Runs `fn` once the ring timeout has passed; never keeps a Node process alive by itself. */
  private afterRingTimeout(fn: () => void): void {
    const t = setTimeout(() => {
      this.ringTimers.delete(t);
      fn();
    }, this.ringTimeoutMs);
    (t as { unref?: () => void }).unref?.();
    this.ringTimers.add(t);
  }

  /** The receive pipeline's handler for call messages (inside the envelope's transaction). */
  readonly onCallMessage: ContentHandler<'call'> = (ctx, tx, r, fx) => {
    const c = r.content.call;
    const peer = r.sender.username;
    if (r.fromSelf || r.group) return;
    if (c.type === 'ring') {
      const ring = policy.ringsFor(r.relationship);
      const off = this.callsOff(c.media);
      // Why first: every call attempt is on the local log before anything else happens with it.
      tx.callLog.append({ callId: c.callId, peer, direction: 'in', media: c.media, event: ring === 'log-only' ? 'blocked' : off ? 'switched-off' : ring === 'ring' ? 'ring' : 'stranger', timestamp: ctx.now() });
      if (ring === 'log-only' || off) return;
      if (ring === 'missed-call') {
        // Strangers' calls do not ring: they land as a missed call in the message request,
        // one per caller per hour (every attempt is still in the call log above).
        const recent = tx.messages.list(r.conversation).some((x) => x.kind === 'system' && x.senderAccountId === r.sender.accountId && x.timestamp > ctx.now() - STRANGER_NOTE_INTERVAL_MS);
        if (recent) return;
        const m = tx.messages.add({ conversation: r.conversation, direction: 'in', kind: 'system', clientId: r.content.id, senderAccountId: r.sender.accountId, timestamp: ctx.now(), body: `Missed ${noun(c.media)} call`, status: 'received' });
        if (m) fx.events.push({ type: 'message', message: m });
        return;
      }
      if (this.calls.has(c.callId)) return; // a repeated ring
      const busy = [...this.calls.values()].some((x) => x.state !== 'ended');
      const a: ActiveCall = { callId: c.callId, peer, peerAccountId: r.sender.accountId, direction: 'in', media: c.media, state: busy ? 'ended' : 'ringing' };
      this.calls.set(c.callId, a);
      if (busy) {
        this.log(tx, a, 'busy');
        fx.after.push(() => this.send(peer, { type: 'busy', callId: c.callId }));
        return;
      }
      fx.events.push({ type: 'call', event: 'incoming', callId: c.callId, peer, media: c.media });
      // If the caller's hang-up never arrives (they went offline), stop ringing anyway.
      this.afterRingTimeout(() =>
        void ctx.lock
          .run(async () => {
            if (a.state !== 'ringing') return;
            a.state = 'ended';
            await ctx.store.transaction(async (t) => {
              this.log(t, a, 'missed');
              this.note(t, a, `Missed ${noun(a.media)} call`);
            });
            ctx.events.emit({ type: 'call', event: 'ended', callId: a.callId, peer, media: a.media, reason: 'no-answer' });
          })
          .catch(() => undefined),
      );
      return;
    }
    // Why: anything but a ring for an unknown call, from someone else, from a stranger, or
    // (for the callee) before the local user accepted, is dropped unseen: no SDP or
    // candidate reaches the app before the answer.
    if (!policy.actsOnCallSignals(r.relationship)) {
      if (c.type === 'hangup' && r.relationship === 'stranger') this.markEarlyHangup(tx, fx, c.callId, peer);
      return;
    }
    const call = this.calls.get(c.callId);
    if (!call || call.peer !== peer || call.state === 'ended') return;
    const base = { callId: call.callId, peer, media: call.media };
    switch (c.type) {
      case 'accept':
        if (call.direction !== 'out' || call.state !== 'ringing') return;
        call.state = 'accepted';
        call.answeredAt = ctx.now();
        this.log(tx, call, 'answered');
        fx.events.push({ type: 'call', event: 'accepted', ...base });
        return;
      case 'decline':
      case 'busy':
        if (call.direction !== 'out') return;
        call.state = 'ended';
        this.log(tx, call, c.type === 'decline' ? 'declined' : 'busy');
        fx.events.push({ type: 'call', event: c.type === 'decline' ? 'declined' : 'busy', ...base });
        return;
      case 'hangup': {
        const missed = call.direction === 'in' && call.state === 'ringing';
        const answered = call.state === 'accepted';
        call.state = 'ended';
        this.log(tx, call, missed ? 'missed' : 'ended');
        if (missed) this.note(tx, call, `Missed ${noun(call.media)} call`);
        if (answered) this.note(tx, call, lengthNote(call, ctx.now()));
        fx.events.push({ type: 'call', event: 'ended', ...base });
        return;
      }
      case 'offer':
      case 'answer':
      case 'ice':
        if (call.state !== 'accepted') return;
        if (c.type === 'offer' && call.direction !== 'in') return;
        if (c.type === 'answer' && call.direction !== 'out') return;
        fx.events.push({ type: 'call', event: c.type, ...base, ...(c.type === 'ice' ? { candidate: c.candidate } : { sdp: c.sdp }) });
        return;
    }
  };

  /**
   * A stranger's hang-up before or right after their ring is marked in the call log;
   * when the marks make a pattern, a `call-warning` (at most one per hour).
   */
  private markEarlyHangup(tx: StoreTx, fx: Parameters<ContentHandler<'call'>>[3], callId: string, peer: string): void {
    const now = this.ctx.now();
    const log = tx.callLog.list();
    if (!isEarlyHangup(log, callId, peer, now)) return;
    const ring = log.find((e) => e.callId === callId && e.peer === peer);
    const mark: CallLogEntry = { callId, peer, direction: 'in', media: ring?.media ?? 'audio', event: 'hung-up-early', timestamp: now };
    tx.callLog.append(mark);
    const s = callSuspicion([...log, mark], now);
    if (s.warn && now - this.lastWarning >= 3600_000) {
      this.lastWarning = now;
      fx.events.push({ type: 'call-warning', count: s.count, callers: s.callers });
    }
  }

  /** The marked calls of the last day and whether they are a pattern (for a warning with a switch to strict mode). */
  suspicion(): ReturnType<typeof callSuspicion> {
    return callSuspicion(this.ctx.store.callLog.list(), this.ctx.now());
  }

  /** Rings `username`. Only a `ring` is sent; the offer follows after they accept. */
  async start(username: string, media: 'audio' | 'video'): Promise<string> {
    const me = requireAccount(this.ctx);
    if (this.callsOff(media)) throw new WireError('FEATURE_DISABLED', `${media === 'video' ? 'video calls are' : 'calls are'} switched off on this server for now`);
    const peer = username.toLowerCase();
    const callId = hex(randomBytes(16));
    await this.ctx.lock.run(async () => {
      const known = this.ctx.store.contacts.byUsername(peer);
      if (known) refuseIfBlocked(this.ctx, known.accountId);
      await this.ctx.store.transaction(async (tx) => tx.callLog.append({ callId, peer, direction: 'out', media, event: 'ring', timestamp: this.ctx.now() }));
      await this.send(peer, { type: 'ring', callId, media });
      const contact = this.ctx.store.contacts.byUsername(peer)!;
      // Calling someone is consent: they are a contact from now on.
      if (!contact.accepted && contact.accountId !== me.accountId) await this.ctx.store.transaction(async (tx) => tx.contacts.save({ ...contact, accepted: true, blocked: false }));
      this.calls.set(callId, { callId, peer, peerAccountId: contact.accountId, direction: 'out', media, state: 'ringing' });
    });
    const call = this.calls.get(callId)!;
    this.afterRingTimeout(() => {
      if (call.state !== 'ringing') return;
      void this.hangup(callId, 'Unanswered').then(
        () => this.ctx.events.emit({ type: 'call', event: 'ended', callId, peer, media, reason: 'no-answer' }),
        () => undefined,
      );
    });
    return callId;
  }

  private active(callId: string, direction: 'in' | 'out'): ActiveCall {
    const call = this.calls.get(callId);
    if (!call || call.direction !== direction || call.state === 'ended') throw new ClientError('SEND_FAILED', 'no such call in progress');
    return call;
  }

  /** The local user accepts an incoming call; only now may the caller's offer come through. */
  async accept(callId: string): Promise<void> {
    const call = this.active(callId, 'in');
    if (call.state !== 'ringing') return;
    call.state = 'accepted';
    call.answeredAt = this.ctx.now();
    await this.ctx.lock.run(async () => {
      await this.ctx.store.transaction(async (tx) => this.log(tx, call, 'answered'));
      await this.send(call.peer, { type: 'accept', callId });
    });
  }

  async decline(callId: string): Promise<void> {
    const call = this.active(callId, 'in');
    call.state = 'ended';
    await this.ctx.lock.run(async () => {
      await this.ctx.store.transaction(async (tx) => this.log(tx, call, 'declined'));
      await this.send(call.peer, { type: 'decline', callId });
    });
  }

  /** Ends a call (or cancels an outgoing one that was not answered; `unansweredNote` is how the conversation shows that). */
  async hangup(callId: string, unansweredNote: 'Cancelled' | 'Unanswered' = 'Cancelled'): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.state === 'ended') return;
    const unanswered = call.direction === 'out' && call.state === 'ringing';
    const answered = call.state === 'accepted';
    call.state = 'ended';
    await this.ctx.lock.run(async () => {
      await this.ctx.store.transaction(async (tx) => {
        this.log(tx, call, unanswered ? 'missed' : 'ended');
        if (unanswered) this.note(tx, call, `${unansweredNote} ${noun(call.media)} call`);
        if (answered) this.note(tx, call, lengthNote(call, this.ctx.now()));
      });
      await this.send(call.peer, { type: 'hangup', callId });
    });
  }

  /** Sends SDP or an ICE candidate; only for a call both sides accepted. */
  async signal(callId: string, signal: { type: 'offer' | 'answer'; sdp: string } | { type: 'ice'; candidate: string }): Promise<void> {
    const call = this.calls.get(callId);
    if (!call || call.state !== 'accepted') throw new ClientError('SEND_FAILED', 'the call is not accepted; signaling waits for the answer');
    await this.ctx.lock.run(() => this.send(call.peer, { ...signal, callId }));
  }

  close(): void {
    for (const t of this.ringTimers) clearTimeout(t);
    this.ringTimers.clear();
  }
}
