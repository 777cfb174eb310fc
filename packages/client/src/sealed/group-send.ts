/**
 * Sending group messages sealed (sealed sender v2, as Signal): the Sender Key message
 * is wrapped with our sender certificate in a USMC (type sender-key, content hint
 * resendable, groupId = the group id's 16 bytes), sealed once for every device of
 * every member we can reach this way (`sealedSenderMultiRecipientEncrypt`) and sent
 * as ONE request, `PUT /v1/messages/multi-recipient`, with no credentials and the
 * XOR of those members' access keys. The server learns the recipients, never the
 * sender, and stores each device's part with no source.
 *
 * Who goes sealed: a member other than us whose profile key we hold (they shared it:
 * profiles/group-sharing.ts), not blocked, with a session at the registration id the
 * group lists for each of their devices. The others go identified, as Signal sends
 * them: our own other devices (they know who sent it; the server knows whose devices
 * they are), members who have not shared their profile key, and devices we have no
 * current session with. Why per-account 1:1 sends for those, not the group route:
 * the server's group route (`PUT /v1/groups/:id/messages`) insists on every member
 * device, and a per-account send of the same content (it names its group) is what
 * a retry answer already does; `sendToAccount` also starts the missing sessions.
 *
 * The whole send goes by the identified group route (groups/send.ts) instead when the
 * server issues no certificate we trust, when nobody can be reached sealed, when a
 * member's identity changed and is not approved yet (the group route is how that
 * worked before), for ephemeral content (typing: the multi-recipient route stores
 * what it takes as lasting messages), and when the server refuses the combined
 * access key (ACCESS_KEY_REFUSED: someone rotated their profile key, for instance
 * after blocking us; we cannot tell who). MISMATCHED_DEVICES / STALE_DEVICES (the
 * server names the accounts in `details.accounts`) refetch the group, share our
 * sender key with those accounts' devices again (over fresh sessions), and retry.
 * Sender-key distribution stays on the 1:1 path (groups/sender-keys.ts).
 */
import { groupEncrypt, ProtocolAddress, sealedSenderMultiRecipientEncrypt, UnidentifiedSenderMessageContent, type SenderCertificate } from '@parley/protocol';
import { base64Encode, MULTI_RECIPIENT_CONTENT_TYPE, sendResponse, UNIDENTIFIED_ACCESS_KEY_HEADER, WireError } from '@parley/wire';
import { relationship } from '../contacts/policy.ts';
import { ClientError } from '../errors.ts';
import { refreshGroup } from '../groups/groups.ts';
import { sendToGroup } from '../groups/send.ts';
import { ensureSenderKey, forgetShared } from '../groups/sender-keys.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { fromHex } from '../internal/random.ts';
import { ACCESS_KEY_BYTES, deriveAccessKey } from '../profiles/access-key.ts';
import { shareWithGroup } from '../profiles/group-sharing.ts';
import { memberProfileKey } from '../profiles/profile-key.ts';
import { sendToAccount, type SendOptions } from '../send/outbox.ts';
import type { GroupRecord } from '../storage/records.ts';

/** libsignal's content hint for a message the recipient may ask for again (a retry request) when it cannot decrypt it. */
export const CONTENT_HINT_RESENDABLE = 1;

/** How one group message goes: sealed to these members, identified (1:1) to those. */
export interface GroupRoute {
  readonly sealed: ReadonlyArray<{ readonly accountId: string; readonly accessKey: Uint8Array; readonly devices: readonly number[] }>;
  readonly identified: ReadonlyArray<{ readonly accountId: string; readonly username: string }>;
}

/** How the message goes, or undefined when the whole send goes by the identified group route. */
export async function groupRoute(ctx: ClientContext, g: GroupRecord): Promise<GroupRoute | undefined> {
  const me = requireAccount(ctx);
  const sealed: Array<GroupRoute['sealed'][number]> = [];
  const identified: Array<GroupRoute['identified'][number]> = [];
  const nowSec = Math.floor(ctx.now() / 1000);
  for (const m of g.members) {
    const devices = m.devices.filter((d) => !(m.accountId === me.accountId && d.deviceId === me.deviceId));
    if (devices.length === 0) continue;
    const profileKey = m.accountId === me.accountId ? undefined : memberProfileKey(ctx, m.accountId);
    let ready = !!profileKey;
    for (const d of devices) {
      const address = new ProtocolAddress(m.accountId, d.deviceId);
      const identity = await ctx.store.protocol.getIdentity(address);
      // A changed identity not approved yet: the identified group route, as before sealed sends (see the header).
      if (identity && (await ctx.store.protocol.getTrustLevel(address)) === 'changed') return undefined;
      const session = await ctx.store.protocol.loadSession(address);
      if (!identity || !session?.hasUsableSenderChain(nowSec) || session.remoteRegistrationId() !== d.registrationId) ready = false;
    }
    if (ready && profileKey) sealed.push({ accountId: m.accountId, accessKey: deriveAccessKey(profileKey), devices: devices.map((d) => d.deviceId) });
    else identified.push({ accountId: m.accountId, username: m.username });
  }
  return sealed.length ? { sealed, identified } : undefined;
}

/** The XOR of the recipients' access keys: what the multi-recipient route checks (Signal's scheme). */
export function combinedAccessKey(keys: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(ACCESS_KEY_BYTES);
  for (const k of keys) for (let i = 0; i < ACCESS_KEY_BYTES; i++) out[i]! ^= k[i]!;
  return out;
}

/** Hands a multi-recipient message to the server: no credentials, the combined access key (never over our authenticated socket, which would name us). */
export async function sendMultiRecipient(ctx: ClientContext, body: Uint8Array, accessKey: Uint8Array, timestamp: number): Promise<void> {
  await ctx.http.request('PUT', `/v1/messages/multi-recipient?ts=${timestamp}`, body, sendResponse, {
    auth: false,
    headers: { 'content-type': MULTI_RECIPIENT_CONTENT_TYPE, [UNIDENTIFIED_ACCESS_KEY_HEADER]: base64Encode(accessKey) },
  });
}

/** The accounts a MISMATCHED_DEVICES / STALE_DEVICES answer of the multi-recipient route names. */
function namedAccounts(e: WireError): string[] {
  const accounts = (e.details.accounts as ReadonlyArray<{ accountId: string }> | undefined) ?? [];
  return accounts.map((a) => a.accountId);
}

/**
 * Sends `plaintext` (group content: it names `groupId`) to every member device of the
 * group but this one: sealed where it can, identified where it cannot (see the
 * header). Resolves when the server has stored every copy. Caller holds the lock.
 * Returns how it went, for callers that show it.
 */
export async function sendGroupMessage(ctx: ClientContext, groupId: string, plaintext: Uint8Array, opts: SendOptions): Promise<'sealed' | 'identified'> {
  const me = requireAccount(ctx);
  const identifiedSend = async () => {
    await sendToGroup(ctx, groupId, plaintext, opts);
    return 'identified' as const;
  };
  if (opts.ephemeral) return identifiedSend();
  for (let attempt = 0; attempt < 4; attempt++) {
    let g = ctx.store.groups.get(groupId);
    if (g?.stale || (g && g.members.length === 0)) g = await refreshGroup(ctx, groupId);
    if (!g?.active) throw new ClientError('NOT_A_MEMBER', 'you are no longer a member of this group');
    const certificate = await ctx.certificates.current(ctx);
    if (!certificate) return identifiedSend();
    const distributionId = await ensureSenderKey(ctx, groupId);
    g = ctx.store.groups.get(groupId)!;
    // Writing in a group is accepting it: members who lack our profile key get it, after this send.
    if (g.members.some((m) => m.accountId !== me.accountId && !ctx.store.contacts.byId(m.accountId)?.profileKeyShared && relationship(ctx.store.contacts.byId(m.accountId), me.accountId) !== 'blocked')) {
      ctx.later(() => shareWithGroup(ctx, groupId), `profile key for group ${groupId}`);
    }
    const route = await groupRoute(ctx, g);
    if (!route) return identifiedSend();
    const body = await sealForMembers(ctx, groupId, distributionId, plaintext, route, certificate);
    try {
      await sendMultiRecipient(ctx, body, combinedAccessKey(route.sealed.map((r) => r.accessKey)), opts.timestamp);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      if (e.code === 'ACCESS_KEY_REFUSED') return identifiedSend();
      if (e.code === 'MISMATCHED_DEVICES' || e.code === 'STALE_DEVICES') {
        await refreshGroup(ctx, groupId);
        // Their devices get our sender key again over fresh sessions (sendToAccount repairs those), then we retry.
        const named = namedAccounts(e);
        await ctx.store.transaction(async (tx) => {
          const cur = tx.groups.get(groupId);
          if (!cur?.senderKey) return;
          let sharedWith = cur.senderKey.sharedWith;
          for (const id of named) sharedWith = forgetShared(sharedWith, id);
          tx.groups.save({ ...cur, senderKey: { ...cur.senderKey, sharedWith } });
        });
        continue;
      }
      throw e;
    }
    for (const r of route.identified) await sendToAccount(ctx, r.username, plaintext, opts);
    return 'sealed';
  }
  throw new ClientError('SEND_FAILED', 'could not send to the group: its members keep changing; try again');
}

/** One Sender Key message, wrapped in a USMC naming `groupId` and sealed for every device of the sealed members (in one transaction). */
export function sealForMembers(ctx: ClientContext, groupId: string, distributionId: string, plaintext: Uint8Array, route: GroupRoute, certificate: SenderCertificate): Promise<Uint8Array> {
  const me = requireAccount(ctx);
  return ctx.store.transaction(async (tx) => {
    const message = await groupEncrypt(new ProtocolAddress(me.accountId, me.deviceId), distributionId, tx.protocol, plaintext);
    const content = UnidentifiedSenderMessageContent.create('sender-key', certificate, message.serialize(), CONTENT_HINT_RESENDABLE, fromHex(groupId));
    const recipients = route.sealed.flatMap((r) => r.devices.map((d) => new ProtocolAddress(r.accountId, d)));
    return sealedSenderMultiRecipientEncrypt({ content, recipients, identityStore: tx.protocol, sessionStore: tx.protocol });
  });
}
