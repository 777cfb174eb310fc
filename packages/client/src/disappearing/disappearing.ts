/**
 * Disappearing messages. A conversation's timer (set by anyone in it, announced
 * to everyone with a system line) makes every message sent while it is on carry
 * `expire` seconds; a message is deleted on each device that many seconds after it
 * was read there (after it was sent, for the sender's devices). The sweeper
 * deletes what is due, on every device by itself; nothing needs to be sent for it.
 * On the server, a message is gone once every device acknowledged it (queues are
 * deleted on ack), so this module only deals with devices.
 * Owns: the timer content, the conversation setting, expiry and the sweep. Not:
 * starting a message's clock when it is read (the stores' `markSeen`).
 */
import { encodeContent, type Content } from '../content/codec.ts';
import { MAX_EXPIRE_SECONDS } from '../content/timer.ts';
import { ClientError } from '../errors.ts';
import type { ClientEvent } from '../events.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { Effects, Received } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import type { ConversationId, StoredMessage } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import { parseConversation } from '../conversations/ids.ts';
import { sendToConversation, SENT_LOG_MS } from '../conversations/messages.ts';

/** How often the sweeper looks for messages that are due (ms). */
export const SWEEP_INTERVAL_MS = 1000;

const UNITS: ReadonlyArray<[number, string]> = [
  [7 * 24 * 3600, 'week'],
  [24 * 3600, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** "30 seconds", "5 minutes", "1 hour", "1 day", "2 weeks", "90 minutes". */
export function describeTimer(seconds: number): string {
  for (const [size, name] of UNITS) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

/** Parses `30s`, `5m`, `1h`, `1d`, `1w` (or `off`, 0) into seconds; undefined if it is none of these or out of range. */
export function parseTimer(text: string): number | undefined {
  if (text === 'off' || text === '0') return 0;
  const m = /^(\d{1,7})([smhdw])$/.exec(text.trim().toLowerCase());
  if (!m) return undefined;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return seconds >= 1 && seconds <= MAX_EXPIRE_SECONDS ? seconds : undefined;
}

/** The timer of `conversation` in seconds (0: off). */
export function timerOf(ctx: ClientContext | { store: ClientContext['store'] }, conversation: ConversationId): number {
  return ctx.store.conversationSettings.get(conversation)?.expireSeconds ?? 0;
}

/** Stores the timer and writes the system line everyone in the conversation sees. */
function applyTimer(tx: StoreTx, conversation: ConversationId, seconds: number, actor: { accountId: string; name: string }, self: boolean, id: string, ts: number): ClientEvent[] {
  const prev = tx.conversationSettings.get(conversation)?.expireSeconds ?? 0;
  tx.conversationSettings.save(conversation, { ...(tx.conversationSettings.get(conversation) ?? {}), expireSeconds: seconds });
  const events: ClientEvent[] = [{ type: 'conversation-settings', conversation }];
  if (prev === seconds) return events;
  const who = self ? 'You' : actor.name;
  const body = seconds === 0 ? `${who} turned off disappearing messages` : `${who} set disappearing messages to ${describeTimer(seconds)}`;
  const m = tx.messages.add({ conversation, direction: self ? 'out' : 'in', kind: 'system', clientId: id, senderAccountId: actor.accountId, timestamp: ts, body, status: self ? 'sent' : 'received', seen: self });
  if (m) events.push({ type: 'message', message: m });
  return events;
}

/** Sets the timer of `conversation` for everyone in it (0 turns it off). */
export async function setTimer(ctx: ClientContext, conversation: ConversationId, seconds: number): Promise<void> {
  const me = requireAccount(ctx);
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRE_SECONDS) throw new ClientError('INVALID_TIMER', 'a disappearing-message timer is 1 second to 4 weeks, or off');
  await ctx.lock.run(async () => {
    const p = parseConversation(conversation);
    const content = { v: 1, kind: 'timer', id: ctx.newId(), ts: ctx.now(), seconds, ...(p.kind === 'group' ? { group: p.groupId } : {}) } as Extract<Content, { kind: 'timer' }>;
    await sendToConversation(ctx, conversation, content);
    const events = await ctx.store.transaction(async (tx) => {
      tx.sentLog.prune(ctx.now() - SENT_LOG_MS);
      const recipients = p.kind === 'group' ? (tx.groups.get(p.groupId)?.members.map((m) => m.accountId) ?? []) : [p.accountId];
      tx.sentLog.add({ conversation, timestamp: content.ts, content: encodeContent(content), sentAt: ctx.now(), recipients });
      return applyTimer(tx, conversation, seconds, { accountId: me.accountId, name: me.username }, true, content.id, content.ts);
    });
    ctx.events.emitAll(events);
    // A group's timer reaches our other devices by itself; a direct chat's is told to them.
    if (p.kind === 'direct') await sendToAccount(ctx, me.username, encodeContent({ ...content, to: conversation }), { timestamp: content.ts }).catch(() => undefined);
  });
}

export function onTimer(_ctx: ClientContext, tx: StoreTx, r: Received & { readonly content: Extract<Content, { kind: 'timer' }> }, fx: Effects): void {
  let conversation: ConversationId = r.conversation;
  if (r.content.to !== undefined) {
    // Why: only our own devices may say which direct chat a timer was set in.
    if (!r.fromSelf || r.content.group || !r.content.to.startsWith('direct:')) return;
    conversation = r.content.to as ConversationId;
  } else if (r.fromSelf && !r.group) return;
  fx.events.push(...applyTimer(tx, conversation, r.content.seconds, { accountId: r.sender.accountId, name: r.sender.username }, r.fromSelf, r.content.id, r.content.ts));
}

/** The expiry fields of a message that carries `expire` seconds: sent (or sent by us) messages start at once, received ones when read. */
export function expiryFields(expire: number | undefined, startedAt: number | undefined): Pick<StoredMessage, 'expiresInMs' | 'expiresAt'> {
  if (!expire) return {};
  return { expiresInMs: expire * 1000, ...(startedAt !== undefined ? { expiresAt: startedAt + expire * 1000 } : {}) };
}

/** Deletes every message whose time is up. Caller holds the lock. Resolves with what was deleted. */
export async function sweepExpired(ctx: ClientContext): Promise<StoredMessage[]> {
  const due = ctx.store.messages.expiring(ctx.now());
  if (due.length === 0) return [];
  await ctx.store.transaction(async (tx) => tx.messages.remove(due.map((m) => m.rowId)));
  for (const c of new Set(due.map((m) => m.conversation))) ctx.events.emit({ type: 'messages', conversation: c });
  return due;
}

/** Runs the sweep every SWEEP_INTERVAL_MS while the client is open (a cheap read; the lock only when something is due). */
export class ExpirySweeper {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly afterSweep: (deleted: StoredMessage[]) => void,
    private readonly intervalMs = SWEEP_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // Why: a CLI command must be able to exit while the sweeper is armed.
    (this.timer as { unref?: () => void }).unref?.();
  }

  tick(): void {
    const next = this.ctx.store.messages.nextExpiry();
    if (next === undefined || next > this.ctx.now()) return;
    this.ctx.later(async () => {
      const deleted = await sweepExpired(this.ctx);
      if (deleted.length) this.afterSweep(deleted);
    }, 'disappearing messages');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
