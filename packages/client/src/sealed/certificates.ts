/**
 * Our sender certificate and the trust root it chains to. The certificate
 * (`GET /v1/certificate/delivery`) is kept in memory and fetched again when less
 * than an hour of it is left. The trust root is the one the app configured
 * (`ClientOptions.sealedSenderTrustRoot`), else the one the server answered the
 * first time, pinned in the account's settings (trust on first use, as notice keys
 * are): a server that later presents another root gets no certificate used, and
 * sealed messages certified under it are refused. This device's own certificate is
 * checked before use: it must chain to the root and name this device and key.
 */
import { PublicKey, SenderCertificate } from '@parley/protocol';
import { base64Decode, base64Encode, deliveryCertificateResponse, WireError } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { requireAccount, type ClientContext } from '../internal/context.ts';

/** A certificate with less than this left is replaced before it is used. */
export const CERTIFICATE_REFRESH_MS = 3600_000;

export function sealedSenderRejected(reason: string): ClientError {
  return new ClientError('SEALED_SENDER_REJECTED', `a sealed message was refused: ${reason}; it was dropped, nothing was changed (if it keeps happening, the sender's app or the server is misbehaving)`);
}

export class SenderCertificates {
  private cached: SenderCertificate | undefined;
  /** Why one at a time: concurrent sends would otherwise each fetch a certificate. */
  private fetching: Promise<SenderCertificate | undefined> | undefined;

  constructor(private readonly configuredRoot?: Uint8Array) {}

  /** The trust root sealed messages must chain to: configured, pinned, or (first time) fetched and pinned. Undefined when the server has none. */
  async trustRoot(ctx: ClientContext): Promise<PublicKey | undefined> {
    const known = this.knownRoot(ctx);
    if (known) return known;
    await this.current(ctx);
    return this.knownRoot(ctx);
  }

  private knownRoot(ctx: ClientContext): PublicKey | undefined {
    const bytes = this.configuredRoot ?? pinned(ctx);
    return bytes ? PublicKey.deserialize(bytes) : undefined;
  }

  /** A certificate valid for at least CERTIFICATE_REFRESH_MS, or undefined when the server issues none we trust (send identified then). */
  async current(ctx: ClientContext): Promise<SenderCertificate | undefined> {
    if (this.cached && this.cached.expiration - ctx.now() > CERTIFICATE_REFRESH_MS) return this.cached;
    this.fetching ??= this.fetch(ctx).finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetch(ctx: ClientContext): Promise<SenderCertificate | undefined> {
    const me = requireAccount(ctx);
    let answer;
    try {
      answer = await ctx.http.request('GET', '/v1/certificate/delivery', undefined, deliveryCertificateResponse);
    } catch (e) {
      // Sealed sender switched off, or the server unreachable: messages go identified.
      if (e instanceof WireError) return undefined;
      throw e;
    }
    const root = this.configuredRoot ?? pinned(ctx);
    if (root && base64Encode(root) !== base64Encode(answer.trustRoot)) return undefined;
    let cert: SenderCertificate;
    let rootKey: PublicKey;
    try {
      cert = SenderCertificate.deserialize(answer.certificate);
      rootKey = PublicKey.deserialize(answer.trustRoot);
    } catch {
      return undefined;
    }
    const ours = (await ctx.store.protocol.getIdentityKeyPair()).publicKey;
    const forUs = cert.senderUuid === me.accountId && cert.senderDeviceId === me.deviceId && cert.senderE164 === me.username && cert.hasIdentityKey(ours);
    if (!forUs || !cert.validate(rootKey, ctx.now() + CERTIFICATE_REFRESH_MS)) return undefined;
    if (!root) await ctx.store.transaction(async (tx) => tx.settings.save({ ...tx.settings.get(), sealedSenderTrustRoot: base64Encode(answer.trustRoot) }));
    this.cached = cert;
    return cert;
  }
}

function pinned(ctx: ClientContext): Uint8Array | undefined {
  const s = ctx.store.settings.get().sealedSenderTrustRoot;
  return s ? base64Decode(s) : undefined;
}
