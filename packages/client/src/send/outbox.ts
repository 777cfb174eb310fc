/**
 * Sending to one account: encrypt a content once per device of the account (our
 * own other devices when the account is ours), in one transaction that also
 * starts any missing sessions, then hand the copies to the server: over the live
 * socket when it is up, else over HTTP. The server answers which devices were
 * missing, extra or re-registered; the device list is repaired and the send
 * retried. Network I/O never happens inside a store transaction.
 *
 * To a contact who shared their profile key the copies go sealed (sealed/send.ts):
 * the server does not learn the sender. If the server refuses the access key, the
 * message is encrypted again and sent identified, and the refusal is remembered
 * (sealed/refusals.ts): later sends to them go identified at once until their profile
 * key changes.
 */
import { ProtocolAddress, signalEncrypt, UntrustedIdentity } from '@parley/protocol';
import { WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';
import { identityChanged, fetchBundles, reportIdentityChange, startSessions, unknownUser } from '../sessions/sessions.ts';
import { sendBody, type OutgoingMessages } from '../transport/http.ts';
import { rememberRefusal, sealedRefused } from '../sealed/refusals.ts';
import { sealedRoute, sealFor, sendSealed, type SealedRoute } from '../sealed/send.ts';
import { deliver } from './deliver.ts';

export interface SendOptions {
  /** The content's timestamp (the sender's clock); recipients see it as the envelope's. */
  readonly timestamp: number;
  /** Call signaling and typing: the server drops them after a minute. */
  readonly ephemeral?: boolean;
}

/**
 * Encrypts `plaintext` for every device of `username`'s account and sends it. For our
 * own username, "every device" means our other devices; with none, nothing is sent.
 * Runs under the operation lock (the caller holds it).
 */
export async function sendToAccount(ctx: ClientContext, username: string, plaintext: Uint8Array, opts: SendOptions): Promise<void> {
  const me = requireAccount(ctx);
  const user = username.toLowerCase();
  const self = user === me.username;
  const store = ctx.store;
  try {
    const known = store.contacts.byUsername(user);
    if (!known || known.deviceIds.length === 0) {
      if (self) return; // we know of no other device of ours
      const res = await fetchBundles(ctx, user);
      await store.transaction((tx) => startSessions(ctx, tx, res));
    }
    // Cleared when the server refuses the access key: from then on this send goes identified
    // (and later ones, while the refused key is their current one).
    let mayGoSealed = !self && !sealedRefused(store.contacts.byUsername(user)!);
    for (let attempt = 0; attempt < 5; attempt++) {
      const contact = store.contacts.byUsername(user)!;
      const route: SealedRoute | undefined = mayGoSealed ? await sealedRoute(ctx, contact.accountId) : undefined;
      const devices = contact.deviceIds.filter((d) => !(self && d === me.deviceId));
      if (devices.length === 0 && self) return;
      // Devices without a usable session need a bundle first (network, outside the transaction).
      const nowSec = Math.floor(ctx.now() / 1000);
      const missing: number[] = [];
      for (const d of devices) if (!(await store.protocol.loadSession(new ProtocolAddress(contact.accountId, d)))?.hasUsableSenderChain(nowSec)) missing.push(d);
      const res = missing.length ? await fetchBundles(ctx, user) : undefined;
      const unready: number[] = [];
      const messages = await store.transaction(async (tx) => {
        if (res) await startSessions(ctx, tx, res, missing);
        const out: Array<OutgoingMessages['messages'][number]> = [];
        for (const deviceId of tx.contacts.byUsername(user)!.deviceIds) {
          if (self && deviceId === me.deviceId) continue;
          const address = new ProtocolAddress(contact.accountId, deviceId);
          // A device learnt of (or a session lost) since the check above: fetch its bundle, then try again.
          if (!(await tx.protocol.loadSession(address))?.hasUsableSenderChain(nowSec)) {
            unready.push(deviceId);
            continue;
          }
          let m: { type: 'prekey' | 'whisper'; content: Uint8Array };
          try {
            if (route) {
              m = { type: 'whisper', content: await sealFor(tx, plaintext, address, route, ctx.now()) };
            } else {
              const sm = await signalEncrypt(plaintext, address, tx.protocol, tx.protocol, ctx.now());
              m = { type: sm.type, content: sm.serialize() };
            }
          } catch (e) {
            if (e instanceof UntrustedIdentity) throw await identityChanged(ctx, user, contact.accountId, (await tx.protocol.getIdentity(address))!);
            throw e;
          }
          const session = await tx.protocol.loadSession(address);
          // (A sealed copy's type is inside the seal; the one here is not sent.)
          out.push({ deviceId, registrationId: session!.remoteRegistrationId() ?? 0, type: m.type, content: m.content });
        }
        return out;
      });
      if (unready.length) {
        const fresh = await fetchBundles(ctx, user);
        await store.transaction((tx) => startSessions(ctx, tx, fresh, unready));
        continue;
      }
      if (messages.length === 0) return;
      try {
        const req: OutgoingMessages = { timestamp: opts.timestamp, ...(opts.ephemeral ? { ephemeral: true } : {}), messages };
        if (route) await sendSealed(ctx, user, req, route.accessKey);
        else await deliver(ctx, (conn) => conn.send(user, sendBody(req)), () => ctx.http.sendMessages(user, req));
        return;
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        if (e.code === 'ACCESS_KEY_REFUSED' && route) {
          // Their profile key changed (they may have blocked us), or the account is gone: identified from here on.
          mayGoSealed = false;
          await rememberRefusal(ctx, contact.accountId, route.accessKey);
          continue;
        }
        if (e.code === 'MISMATCHED_DEVICES') {
          const gone = (e.details.extraDevices as number[] | undefined) ?? [];
          const added = (e.details.missingDevices as number[] | undefined) ?? [];
          // Gone devices: no longer encrypted for (their sessions stay, to read what they sent before).
          await store.transaction(async (tx) => {
            const c = tx.contacts.byUsername(user)!;
            tx.contacts.save({ ...c, deviceIds: c.deviceIds.filter((d) => !gone.includes(d)) });
          });
          if (added.length) {
            const fresh = await fetchBundles(ctx, user);
            await store.transaction((tx) => startSessions(ctx, tx, fresh, added));
          }
          continue;
        }
        if (e.code === 'STALE_DEVICES') {
          const stale = (e.details.staleDevices as number[] | undefined) ?? [];
          const fresh = await fetchBundles(ctx, user);
          await store.transaction((tx) => startSessions(ctx, tx, fresh, stale));
          continue;
        }
        if (e.code === 'UNKNOWN_USER') throw unknownUser(user);
        throw e;
      }
    }
  } catch (e) {
    throw reportIdentityChange(ctx, e);
  }
  throw new ClientError('SEND_FAILED', `could not send to ${user}: their device list keeps changing; try again`);
}
