/**
 * The receive pipeline, one envelope at a time in server order:
 *   decrypt (1:1 or Sender Key) -> decode (strict, per kind) -> classify (who sent
 *   it, which conversation, the "strangers get less" relationship, group membership)
 *   -> dispatch to the handler for its kind -> commit -> acknowledge -> emit events
 *   -> run follow-up work (receipts, repairs).
 * Decryption, the ratchet step and everything a handler stores commit in ONE
 * transaction, so a crash can neither lose a message nor make its redelivery look
 * like a replay. A message that cannot be decrypted is acknowledged (it would
 * block the queue) and its sender asked to send it again (retry/retry.ts).
 * `group-update` envelopes (server-written, not encrypted) go to groups/updates.ts.
 * `sealed` envelopes are opened first (sealed/receive.ts) into the identified
 * envelope their sender certificate names, then go the same way.
 */
import {
  DuplicateMessage,
  groupDecrypt,
  NoSenderKeyState,
  PreKeySignalMessage,
  ProtocolAddress,
  type PublicKey,
  ProtocolError,
  SignalMessage,
  signalDecrypt,
  signalDecryptPreKey,
} from '@parley/protocol';
import { base64Decode, type EnvelopeFrame, type IdentifiedEnvelopeFrame } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { ContentError, decodeContent, type Content, type ContentKind } from '../content/codec.ts';
import { relationship } from '../contacts/policy.ts';
import { directConversation, groupConversation } from '../conversations/ids.ts';
import { wasMemberAt } from '../groups/records.ts';
import { refreshGroup } from '../groups/groups.ts';
import { onGroupUpdate } from '../groups/updates.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import type { SenderCertificates } from '../sealed/certificates.ts';
import { checkSealedIdentity, openSealed } from '../sealed/receive.ts';
import { identityChanged, reportIdentityChange } from '../sessions/sessions.ts';
import type { StoreTx } from '../storage/store.ts';
import type { ContentHandler, Effects, Received } from './types.ts';

export type HandlerTable = { readonly [K in ContentKind]: ContentHandler<K> };

/** Our record of a group may be behind (updates reordered): refetch it, then process the envelope again. */
class GroupBehind extends Error {
  constructor(readonly groupId: string) {
    super(`group ${groupId} must be refetched`);
  }
}

/** Thrown by the decrypt step only: the envelope could not be decrypted (worth a retry request). */
class Undecryptable extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

async function decrypt(tx: StoreTx, e: IdentifiedEnvelopeFrame): Promise<Uint8Array> {
  const from = new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId);
  const bytes = base64Decode(e.content);
  try {
    if (e.messageType === 'senderkey') return await groupDecrypt(from, tx.protocol, bytes);
    if (e.messageType === 'prekey') return await signalDecryptPreKey(PreKeySignalMessage.deserialize(bytes), from, tx.protocol, tx.protocol, tx.protocol, tx.protocol, tx.protocol);
    return await signalDecrypt(SignalMessage.deserialize(bytes), from, tx.protocol, tx.protocol);
  } catch (err) {
    // Why a group "duplicate" is worth asking about: a sender key handed over late (in a
    // retry answer) starts at the sender's current iteration, so a message sent just
    // before looks already used. A real duplicate costs one re-send, dropped by id.
    if (err instanceof DuplicateMessage && e.messageType !== 'senderkey') throw err;
    throw new Undecryptable(err);
  }
}

/** The group a content belongs to: the envelope's (Sender Key), or the one it names (keys, or a re-send over 1:1). */
function groupOf(e: IdentifiedEnvelopeFrame, c: Content): string | undefined {
  if (e.groupId) return e.groupId;
  // Not `retry`: its group names where the message asked for was sent, not where it belongs.
  if (c.kind !== 'retry' && 'group' in c && c.group) return c.group;
  return undefined;
}

/**
 * Group messages that arrived before the sender's key (reordered on the way): kept in
 * memory, bounded, and decrypted again when that device's keys arrive. The retry
 * request goes out anyway, so a crash that loses these loses nothing.
 */
export class WaitingForKeys {
  private readonly byDevice = new Map<string, IdentifiedEnvelopeFrame[]>();
  private count = 0;
  static readonly MAX = 500;

  add(e: IdentifiedEnvelopeFrame): void {
    if (this.count >= WaitingForKeys.MAX) return;
    const k = `${e.sourceAccountId}.${e.sourceDeviceId}`;
    this.byDevice.set(k, [...(this.byDevice.get(k) ?? []), e]);
    this.count++;
  }

  take(accountId: string, deviceId: number): IdentifiedEnvelopeFrame[] {
    const k = `${accountId}.${deviceId}`;
    const list = this.byDevice.get(k) ?? [];
    this.byDevice.delete(k);
    this.count -= list.length;
    return list;
  }
}

export interface PipelineDeps {
  readonly ctx: ClientContext;
  readonly waiting: WaitingForKeys;
  readonly handlers: HandlerTable;
  /** Called (after the ack) for an envelope that could not be decrypted. */
  readonly onUndecryptable: (e: IdentifiedEnvelopeFrame) => Promise<void>;
  /** Our sender certificate and the trust root sealed envelopes must chain to. */
  readonly certificates: SenderCertificates;
  /** Called for every envelope, to acknowledge it once processed. */
  readonly ack: (id: number) => void;
}

/** Processes one envelope (the caller holds the operation lock). */
export async function handleEnvelope(deps: PipelineDeps, raw: EnvelopeFrame): Promise<void> {
  let e: IdentifiedEnvelopeFrame;
  let sealedKey;
  if (raw.messageType === 'sealed') {
    // A sealed envelope is opened first; from then on it is handled as the identified envelope its certificate makes it.
    try {
      ({ envelope: e, identityKey: sealedKey } = await openSealed(deps.ctx, deps.certificates, raw));
    } catch (err) {
      if (!(err instanceof ClientError && err.code === 'SEALED_SENDER_REJECTED')) throw err;
      deps.ack(raw.id);
      deps.ctx.events.emit({ type: 'decrypt-error', from: SEALED_UNKNOWN, error: err.message, code: err.code });
      return;
    }
  } else {
    e = raw;
  }
  try {
    await processEnvelope(deps, e, true, sealedKey);
  } catch (err) {
    if (!(err instanceof GroupBehind)) throw err;
    // Nothing was kept (the transaction rolled back): with the group refetched, once more.
    await refreshGroup(deps.ctx, err.groupId).catch(() => undefined);
    await processEnvelope(deps, e, false, sealedKey);
  }
}

/** Who a refused sealed envelope is from, as far as we can tell. */
const SEALED_UNKNOWN = 'an unknown sender (sealed)';

async function processEnvelope(deps: PipelineDeps, e: IdentifiedEnvelopeFrame, mayRefetch: boolean, sealedKey?: PublicKey): Promise<void> {
  const { ctx } = deps;
  if (e.messageType === 'group-update') {
    const events = await onGroupUpdate(ctx, e);
    deps.ack(e.id);
    ctx.events.emitAll(events);
    return;
  }
  const me = requireAccount(ctx);
  // A group message for a group we do not know yet: fetch it first (network, outside the transaction).
  if (e.groupId && !ctx.store.groups.get(e.groupId)) await refreshGroup(ctx, e.groupId).catch(() => undefined);
  const fx: Effects = { events: [], after: [] };
  let undecryptable = false;
  try {
    await ctx.store.transaction(async (tx) => {
      const plaintext = await decrypt(tx, e);
      // Why inside the transaction: a sealed message whose certificate names another key than the session's leaves no trace.
      if (sealedKey) await checkSealedIdentity(tx, e, sealedKey);
      let content: Content;
      try {
        content = decodeContent(plaintext);
      } catch (err) {
        // Decrypted but malformed: the ratchet step commits; the content is dropped.
        if (err instanceof ContentError) {
          fx.events.push({ type: 'decrypt-error', from: e.sourceUsername, error: err.message });
          return;
        }
        throw err;
      }
      const fromSelf = e.sourceAccountId === me.accountId;
      // Remember the sender's device (and name) for replies.
      const known = tx.contacts.byId(e.sourceAccountId);
      if (!fromSelf || known) {
        const devs = new Set([...(known?.deviceIds ?? []), e.sourceDeviceId]);
        tx.contacts.save({ ...(known ?? {}), accountId: e.sourceAccountId, username: e.sourceUsername, deviceIds: [...devs].sort((x, y) => x - y), ...(fromSelf ? { accepted: true } : {}) });
      }
      const rel = relationship(tx.contacts.byId(e.sourceAccountId), me.accountId);
      const groupId = groupOf(e, content);
      const group = groupId ? tx.groups.get(groupId) : undefined;
      // Group content from someone our record does not list as a member is dropped, once we
      // know our record is current (updates can arrive after the messages they allow).
      if (groupId && !wasMemberAt(group, e.sourceAccountId, content.ts)) {
        // A stale record of a large group (fetched lazily) is not asked: the server only
        // fans out a member's message, and a member's keys only open what the server fanned
        // out, so the sender is trusted until the fetch.
        const lazy = !!group?.stale && group.active && (e.messageType === 'senderkey' || content.kind === 'group-keys');
        if (!lazy) {
          if (mayRefetch && (!group || group.stale || group.active)) throw new GroupBehind(groupId);
          return;
        }
      }
      // A blocked sender's messages are decrypted (to keep the session in step) and dropped; their rings are still logged.
      if (rel === 'blocked' && content.kind !== 'call') return;
      const received: Received = {
        sender: { accountId: e.sourceAccountId, username: e.sourceUsername, deviceId: e.sourceDeviceId },
        timestamp: e.timestamp,
        content,
        conversation: groupId ? groupConversation(groupId) : directConversation(e.sourceAccountId),
        relationship: rel,
        fromSelf,
        ...(group ? { group } : {}),
        viaSenderKey: e.messageType === 'senderkey',
      };
      const handler = deps.handlers[content.kind] as ContentHandler;
      await handler(ctx, tx, received, fx);
      if (content.kind === 'group-keys') {
        // Messages of this device that came before its key can be read now.
        const early = deps.waiting.take(e.sourceAccountId, e.sourceDeviceId);
        if (early.length) fx.after.push(async () => {
          for (const x of early) await processEnvelope({ ...deps, ack: () => undefined }, x, true).catch(() => undefined);
        });
      }
      if ((await tx.protocol.getTrustLevel(new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId))) === 'changed') {
        fx.after.push(async () => {
          const key = await ctx.store.protocol.getIdentity(new ProtocolAddress(e.sourceAccountId, e.sourceDeviceId));
          if (key) reportIdentityChange(ctx, await identityChanged(ctx, e.sourceUsername, e.sourceAccountId, key));
        });
      }
    });
  } catch (err) {
    if (err instanceof GroupBehind) throw err;
    if (err instanceof Undecryptable) {
      undecryptable = true;
      if (e.messageType === 'senderkey' && err.reason instanceof NoSenderKeyState) deps.waiting.add(e);
      fx.events.push({ type: 'decrypt-error', from: e.sourceUsername, error: err.reason instanceof ProtocolError || err.reason instanceof Error ? err.reason.message : String(err.reason) });
    } else if (err instanceof ClientError && err.code === 'SEALED_SENDER_REJECTED') {
      fx.events.push({ type: 'decrypt-error', from: SEALED_UNKNOWN, error: err.message, code: err.code });
    } else if (!(err instanceof DuplicateMessage)) {
      // A handler failed: nothing it wrote was kept. Tell the app; the envelope is not retried forever.
      fx.events.push({ type: 'decrypt-error', from: e.sourceUsername, error: err instanceof Error ? err.message : String(err) });
    }
  }
  deps.ack(e.id);
  ctx.events.emitAll(fx.events);
  for (const task of fx.after) ctx.later(task, `after ${e.messageType} envelope from ${e.sourceUsername}`);
  if (undecryptable) ctx.later(() => deps.onUndecryptable(e), `retry request to ${e.sourceUsername}`);
}
