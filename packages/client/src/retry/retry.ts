/**
 * No "unable to decrypt": a device that cannot decrypt a message (a broken or
 * missing session, a missing sender key) asks its sender to send it again, as
 * Signal's retry receipts do. For a 1:1 failure a new session is started first
 * (the old one archived: it still decrypts what is in flight), so the request
 * itself gets through, at most once per device in 10 s. The sender keeps
 * what it sent for a day (the sent log) and re-sends it over a 1:1 session, after
 * its sender key for a group message. Requests are limited per sender so a broken
 * peer cannot make us loop.
 *
 * State: which (sender device, timestamp) we already asked about or answered, a
 * per-account budget, and when we last renewed a session per device (memory only).
 */
import type { IdentifiedEnvelopeFrame } from '@parley/wire';
import { decodeContent, encodeContent, type Content } from '../content/codec.ts';
import { directConversation, groupConversation } from '../conversations/ids.ts';
import { isMember, wasMemberAt } from '../groups/records.ts';
import { ensureSenderKey, forgetShared } from '../groups/sender-keys.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { ConversationId } from '../storage/records.ts';
import type { StoreTx } from '../storage/store.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import { establish } from '../sessions/sessions.ts';
import { syncSent } from '../sync/sync.ts';

/** Retry requests we send (and answers we give) per account per minute. */
export const RETRY_BUDGET_PER_MINUTE = 30;

/** How often one message may be asked for (or re-sent): a re-send can be lost too, e.g. to a second crash. */
export const RETRIES_PER_MESSAGE = 3;

export class RetryLimiter {
  private readonly seen = new Map<string, number>();
  private readonly budget = new Map<string, { start: number; used: number }>();
  private readonly renewed = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** True when no new session was started with `address` in the last 10 s (a burst of failures needs one, not one each). */
  renewSession(address: string): boolean {
    const t = this.now();
    const last = this.renewed.get(address);
    if (last !== undefined && t - last < 10_000) return false;
    if (this.renewed.size > 10_000) this.renewed.clear();
    this.renewed.set(address, t);
    return true;
  }

  /** True the first RETRIES_PER_MESSAGE times for `key`, within the account's budget. */
  take(accountId: string, key: string): boolean {
    const times = this.seen.get(key) ?? 0;
    if (times >= RETRIES_PER_MESSAGE) return false;
    const t = this.now();
    const b = this.budget.get(accountId);
    if (!b || t - b.start > 60_000) this.budget.set(accountId, { start: t, used: 1 });
    else if (b.used >= RETRY_BUDGET_PER_MINUTE) return false;
    else b.used++;
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.set(key, times + 1);
    return true;
  }
}

/**
 * After `e` failed to decrypt: (for 1:1) drop the broken session and start a new one,
 * then ask the sender to send it again. Runs after the envelope was acknowledged.
 */
export async function requestRetry(ctx: ClientContext, limiter: RetryLimiter, e: IdentifiedEnvelopeFrame): Promise<void> {
  if (e.ephemeral || e.messageType === 'group-update') return;
  if (!limiter.take(e.sourceAccountId, `ask:${e.sourceAccountId}.${e.sourceDeviceId}:${e.timestamp}`)) return;
  // A 1:1 message we could not decrypt: our session with that device is out of step. A new
  // one (the old is archived, still able to decrypt what is in flight) carries the request.
  if (e.messageType !== 'senderkey' && limiter.renewSession(`${e.sourceAccountId}.${e.sourceDeviceId}`)) {
    await establish(ctx, e.sourceUsername, [e.sourceDeviceId]);
  }
  const content: Content = { v: 1, kind: 'retry', id: ctx.newId(), ts: ctx.now(), timestamp: e.timestamp, ...(e.groupId ? { group: e.groupId } : {}) };
  await sendToAccount(ctx, e.sourceUsername, encodeContent(content), { timestamp: content.ts });
}

/**
 * What our account sent at `timestamp` in `conversation`: from this device's sent log,
 * else (another of our devices sent it, and may be gone) from the history, as text.
 */
function sentAt(ctx: ClientContext, tx: StoreTx, conversation: ConversationId, timestamp: number, groupId: string | undefined): { content: Content; recipients?: readonly string[] } | undefined {
  const logged = tx.sentLog.get(conversation, timestamp);
  if (logged) return { content: decodeContent(logged.content), ...(logged.recipients ? { recipients: logged.recipients } : {}) };
  const me = requireAccount(ctx);
  const m = tx.messages.list(conversation).find((x) => x.senderAccountId === me.accountId && x.timestamp === timestamp && x.kind === 'text');
  return m ? { content: { v: 1, kind: 'text', id: m.clientId, ts: m.timestamp, text: m.body, ...(groupId ? { group: groupId } : {}) } } : undefined;
}

/** Answers a retry request by sending the message again (after our sender key, for a group). */
export function retryHandler(limiter: RetryLimiter): ContentHandler<'retry'> {
  return (ctx, tx, r, fx) => {
    const groupId = r.content.group;
    const conversation = groupId ? groupConversation(groupId) : directConversation(r.sender.accountId);
    if (r.fromSelf && !groupId) {
      // Another of our devices missed a sync of what we sent then (from any of our devices): tell it again.
      const me = requireAccount(ctx);
      const sent = tx.messages.list().filter((m) => m.senderAccountId === me.accountId && m.timestamp === r.content.timestamp && m.kind === 'text' && m.conversation.startsWith('direct:'));
      if (sent.length === 0 || !limiter.take(r.sender.accountId, `answer:${r.sender.deviceId}:${r.content.timestamp}`)) return;
      fx.after.push(async () => {
        for (const m of sent) await syncSent(ctx, m.conversation, m.clientId, m.timestamp, m.body);
      });
      return;
    }
    const g = groupId ? tx.groups.get(groupId) : undefined;
    const original = sentAt(ctx, tx, conversation, r.content.timestamp, groupId);
    // Only someone it was for may have it again (a group's members when it was sent), even if they left since.
    const allowed = original?.recipients ? original.recipients.includes(r.sender.accountId) : groupId ? wasMemberAt(g, r.sender.accountId, r.content.timestamp) : true;
    if (!original || !allowed) return;
    if (!limiter.take(r.sender.accountId, `answer:${r.sender.accountId}.${r.sender.deviceId}:${r.content.timestamp}`)) return;
    const username = r.sender.username;
    // A member whose device lost our sender key gets it again, for what comes next.
    const reshare = !!g?.senderKey && isMember(g, r.sender.accountId);
    if (reshare) tx.groups.save({ ...g!, senderKey: { ...g!.senderKey!, sharedWith: forgetShared(g!.senderKey!.sharedWith, r.sender.accountId) } });
    fx.after.push(async () => {
      if (reshare) await ensureSenderKey(ctx, groupId!);
      await sendToAccount(ctx, username, encodeContent(original.content), { timestamp: original.content.ts });
    });
  };
}
