/**
 * Sealed group sends (sealed sender v2): `PUT /v1/messages/multi-recipient?ts=<ms>`
 * with the multi-recipient sent message as the body
 * (`Content-Type: application/vnd.signal-messenger.mrm`), no credentials, and the
 * recipients' *combined* access key in `Unidentified-Access-Key`: the XOR of every
 * recipient account's 16-byte access key (Signal's scheme for group sends).
 *
 * The server parses the message with the protocol's strict parser (it needs no keys),
 * checks the combined key, checks every recipient's devices and registration ids
 * against its own lists (MISMATCHED_DEVICES / STALE_DEVICES naming each account), and
 * queues each recipient device its part with no source, in one transaction. It learns
 * the recipients, the excluded accounts, the time and the size; never the sender.
 *
 * Unknown recipients (and PNIs: Parley accounts are ACIs) are refused exactly like a
 * wrong key. Excluded recipients are not checked: they get nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { InvalidSealedSender, SealedSenderMultiRecipientMessage } from '@parley/protocol';
import {
  ACCESS_KEY_BYTES,
  LIMITS,
  MAX_MULTI_RECIPIENT_BODY_BYTES,
  MAX_MULTI_RECIPIENT_SPLIT_BYTES,
  MULTI_RECIPIENT_CONTENT_TYPE,
  multiRecipientQuery,
  UNIDENTIFIED_ACCESS_KEY_HEADER,
  WireError,
  type SendResponse,
} from '@parley/wire';
import { addressKey } from '../abuse/address.ts';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import type { RateLimiter } from '../abuse/rate-limiter.ts';
import type { Sends } from '../messages/sends.ts';
import { checkDeviceCoverage } from '../messages/sends.ts';
import type { AccountStore, DeviceStore, NewEnvelope, ProfileStore } from '../storage/storage.ts';
import { accessKeyRefused, parseAccessKey } from './access.ts';

export interface MultiRecipientSendsDeps {
  readonly storage: AccountStore & DeviceStore & Pick<ProfileStore, 'accessKey'>;
  readonly sends: Sends;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly abuse: Pick<AbuseLimits, 'sealedSendsPerAddressPerMinute'>;
}

/** Looked up for a recipient that is not an account, so the refusal costs the same work. */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

type DeviceProblem = { accountId: string } & ({ missingDevices: number[]; extraDevices: number[] } | { staleDevices: number[] });

export class MultiRecipientSends {
  private readonly byAddress: RateLimiter;

  constructor(private readonly deps: MultiRecipientSendsDeps) {
    this.byAddress = deps.limiters.make('sealed-group-sends-by-address', { limit: deps.abuse.sealedSendsPerAddressPerMinute, windowMs: MINUTE_MS });
  }

  /** One sealed group send from network address `ip`. Resolves once every part is stored durably. */
  async accept(body: Uint8Array, accessKey: Uint8Array | undefined, timestamp: number, ip: string | undefined): Promise<SendResponse> {
    this.byAddress.check(addressKey(ip), 'too many sealed messages sent from this address');
    let message: SealedSenderMultiRecipientMessage;
    try {
      message = SealedSenderMultiRecipientMessage.parse(body, MAX_MULTI_RECIPIENT_BODY_BYTES);
    } catch (e) {
      if (e instanceof InvalidSealedSender) throw new WireError('BAD_REQUEST', e.message);
      throw e;
    }
    const recipients = [...message.recipients()];
    if (recipients.length === 0) throw new WireError('BAD_REQUEST', 'the multi-recipient message has no recipients; send it to at least one device');
    if (recipients.length > LIMITS.maxGroupMembers) throw new WireError('BAD_REQUEST', `at most ${LIMITS.maxGroupMembers} recipient accounts per message`);
    const { storage } = this.deps;
    // Why the filter: only ACIs can be account ids (a PNI string is not even a UUID for the database).
    const found = new Set((await storage.accountsByIds(recipients.map(([id]) => id).filter((id) => !id.startsWith('PNI:')))).map((a) => a.id));
    await this.checkCombinedKey(
      recipients.map(([id]) => (found.has(id) ? id : undefined)),
      accessKey,
    );

    const problems: DeviceProblem[] = [];
    for (const [accountId, r] of recipients) {
      try {
        checkDeviceCoverage(await storage.devices(accountId), r.devices);
      } catch (e) {
        if (!(e instanceof WireError) || (e.code !== 'MISMATCHED_DEVICES' && e.code !== 'STALE_DEVICES')) throw e;
        problems.push({ accountId, ...(e.details as { missingDevices: number[]; extraDevices: number[] } | { staleDevices: number[] }) });
      }
    }
    // As for 1:1 sends: devices missing or extra come first; stale ones only when the lists match.
    const mismatched = problems.filter((p) => 'missingDevices' in p);
    if (mismatched.length) throw new WireError('MISMATCHED_DEVICES', `the device lists of ${mismatched.length} recipient(s) do not match`, { accounts: mismatched });
    if (problems.length) throw new WireError('STALE_DEVICES', `${problems.length} recipient(s) have re-registered devices`, { accounts: problems });

    // Why: each account's part is a copy of the shared content; bound what one request makes the server hold and store.
    const partBytes = message.messageForRecipient(recipients[0]![0]).length;
    if (partBytes > LIMITS.maxSealedMessageBytes) throw new WireError('PAYLOAD_TOO_LARGE', `a sealed message is at most ${LIMITS.maxSealedMessageBytes} bytes`);
    if (partBytes * recipients.length > MAX_MULTI_RECIPIENT_SPLIT_BYTES) {
      throw new WireError('PAYLOAD_TOO_LARGE', `${recipients.length} recipients of a ${partBytes}-byte message is more than one send may carry (${MAX_MULTI_RECIPIENT_SPLIT_BYTES} bytes in all); send it to fewer recipients at a time`);
    }
    const serverTimestamp = this.deps.now();
    const envelopes: NewEnvelope[] = [];
    for (const [accountId, r] of recipients) {
      const content = message.messageForRecipient(accountId);
      for (const d of r.devices) {
        envelopes.push({ destinationAccountId: accountId, destinationDeviceId: d.deviceId, timestamp, serverTimestamp, messageType: 'sealed', content, ephemeral: false });
      }
    }
    await this.deps.sends.store({ envelopes }, 'http');
    return { serverTimestamp };
  }

  /**
   * The presented key must be the XOR of every recipient's access key. Every recipient's
   * key is looked up (a stand-in for unknown ones) and compared once, in constant time,
   * so the refusal does not tell which recipient failed.
   */
  private async checkCombinedKey(accountIds: ReadonlyArray<string | undefined>, presented: Uint8Array | undefined): Promise<void> {
    const combined = new Uint8Array(ACCESS_KEY_BYTES);
    let complete = true;
    for (const id of accountIds) {
      const key = await this.deps.storage.accessKey(id ?? NO_ACCOUNT);
      if (id === undefined || key?.length !== ACCESS_KEY_BYTES) complete = false;
      else for (let i = 0; i < ACCESS_KEY_BYTES; i++) combined[i]! ^= key[i]!;
    }
    const got = presented?.length === ACCESS_KEY_BYTES ? presented : new Uint8Array(ACCESS_KEY_BYTES);
    const same = timingSafeEqual(combined, got);
    if (!same || !complete || presented?.length !== ACCESS_KEY_BYTES) throw accessKeyRefused();
  }
}

export interface MultiRecipientOptions {
  readonly multiRecipientSends: MultiRecipientSends;
}

/** The route, in its own scope: its body is bytes (every other route reads JSON). */
export const multiRecipientPlugin: FastifyPluginAsync<MultiRecipientOptions> = async (app, { multiRecipientSends }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(MULTI_RECIPIENT_CONTENT_TYPE, { parseAs: 'buffer', bodyLimit: MAX_MULTI_RECIPIENT_BODY_BYTES }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_MULTI_RECIPIENT_BODY_BYTES }, (_req, _body, done) =>
    done(new WireError('BAD_REQUEST', `send the multi-recipient message as Content-Type: ${MULTI_RECIPIENT_CONTENT_TYPE}`), undefined),
  );
  app.setErrorHandler((err, _req, _reply) => {
    // Why: the root handler's message names the JSON body limit; this body has its own.
    if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw new WireError('PAYLOAD_TOO_LARGE', `a multi-recipient message is at most ${MAX_MULTI_RECIPIENT_BODY_BYTES} bytes`);
    throw err;
  });

  app.put('/v1/messages/multi-recipient', async (req) => {
    if (req.headers.authorization !== undefined) throw new WireError('BAD_REQUEST', 'a sealed send carries an access key, not credentials');
    const { ts } = multiRecipientQuery(req.query, 'query');
    if (!Buffer.isBuffer(req.body)) throw new WireError('BAD_REQUEST', `send the multi-recipient message as Content-Type: ${MULTI_RECIPIENT_CONTENT_TYPE}`);
    const body = new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.length);
    return multiRecipientSends.accept(body, parseAccessKey(req.headers[UNIDENTIFIED_ACCESS_KEY_HEADER]), ts, req.ip);
  });
};
