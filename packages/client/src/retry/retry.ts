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
import type { EnvelopeFrame } from '@parley/wire';
import { decodeContent, encodeContent, type Content } from '../content/codec.ts';
import { directConversation, groupConversation } from '../conversations/ids.ts';
import { isMember } from '../groups/records.ts';
import { ensureSenderKey, forgetShared } from '../groups/sender-keys.ts';
import type { ClientContext } from '../internal/context.ts';
import type { ContentHandler } from '../receive/types.ts';
import { sendToAccount } from '../send/outbox.ts';
import { establish } from '../sessions/sessions.ts';

/** Retry requests we send (and answers we give) per account per minute. */
export const RETRY_BUDGET_PER_MINUTE = 30;

export class RetryLimiter {
  private readonly seen = new Set<string>();
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

  /** True the first time for `key`, within the account's budget. */
  take(accountId: string, key: string): boolean {
    if (this.seen.has(key)) return false;
    const t = this.now();
    const b = this.budget.get(accountId);
    if (!b || t - b.start > 60_000) this.budget.set(accountId, { start: t, used: 1 });
    else if (b.used >= RETRY_BUDGET_PER_MINUTE) return false;
    else b.used++;
    if (this.seen.size > 10_000) this.seen.clear();
    this.seen.add(key);
    return true;
  }
}

/**
 * After `e` failed to decrypt: (for 1:1) drop the broken session and start a new one,
 * then ask the sender to send it again. Runs after the envelope was acknowledged.
 */
export async function requestRetry(ctx: ClientContext, limiter: RetryLimiter, e: EnvelopeFrame): Promise<void> {
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

/** Answers a retry request by sending the message again (after our sender key, for a group). */
export function retryHandler(limiter: RetryLimiter): ContentHandler<'retry'> {
  return (ctx, tx, r, fx) => {
    const groupId = r.content.group;
    const conversation = groupId ? groupConversation(groupId) : directConversation(r.sender.accountId);
    const sent = tx.sentLog.get(conversation, r.content.timestamp);
    // Only someone it was for may have it again (a group's members when it was sent), even if they left since.
    if (!sent?.recipients?.includes(r.sender.accountId)) return;
    if (!limiter.take(r.sender.accountId, `answer:${r.sender.accountId}.${r.sender.deviceId}:${r.content.timestamp}`)) return;
    const username = r.sender.username;
    const g = groupId ? tx.groups.get(groupId) : undefined;
    // A member whose device lost our sender key gets it again, for what comes next.
    const reshare = !!g?.senderKey && isMember(g, r.sender.accountId);
    if (reshare) tx.groups.save({ ...g!, senderKey: { ...g!.senderKey!, sharedWith: forgetShared(g!.senderKey!.sharedWith, r.sender.accountId) } });
    fx.after.push(async () => {
      if (reshare) await ensureSenderKey(ctx, groupId!);
      const original = decodeContent(sent.content);
      await sendToAccount(ctx, username, encodeContent(original), { timestamp: original.ts });
    });
  };
}
