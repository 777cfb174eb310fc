/**
 * The attachment endpoints (wire `schemas/attachments.ts`): reserving an upload,
 * its chunks (`application/octet-stream`, at most one chunk size each, a body
 * limit of their own beside the JSON one), where an upload stands, and downloads
 * by id with byte ranges. Uploads need a device's credentials; downloads need
 * only the id, which is the capability (see the wire schema's header for why).
 * The rules live in service.ts; the sweeper runs here on a timer.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import {
  attachmentId as attachmentIdDecoder,
  byteRange,
  chunkQuery,
  createAttachmentRequest,
  LIMITS,
  WireError,
} from '@parley/wire';
import type { Authenticator } from '../auth/auth.ts';
import { addressKey } from '../abuse/address.ts';
import { MINUTE_MS, type AbuseLimits } from '../abuse/policy.ts';
import type { Limiters } from '../abuse/limiters.ts';
import { readBody } from '../requests.ts';
import type { AttachmentService, BlobSlice } from './service.ts';

export interface AttachmentsOptions {
  readonly service: AttachmentService;
  readonly auth: Authenticator;
  readonly now: () => number;
  readonly limiters: Limiters;
  readonly abuse: Pick<AbuseLimits, 'uploadsPerAccountPerMinute' | 'uploadsPerAddressPerMinute'>;
  readonly chunkBytes: number;
  /** The kill switch: no new uploads (downloads of what exists go on). */
  readonly disabled?: boolean;
  /** How often expired blobs and abandoned uploads are deleted. */
  readonly sweepIntervalMs: number;
}

const idParam = (raw: string): string => attachmentIdDecoder(raw, 'attachmentId');

function rangeHeader(raw: string | string[] | undefined) {
  if (raw === undefined) return undefined;
  return byteRange(raw, 'Range');
}

function sliceHeaders(reply: FastifyReply, s: BlobSlice): void {
  void reply
    .status(s.status)
    .header('content-type', 'application/octet-stream')
    .header('content-length', String(s.end - s.start))
    .header('accept-ranges', 'bytes')
    // Ciphertext only, but nothing between client and server needs a copy.
    .header('cache-control', 'no-store');
  if (s.status === 206) void reply.header('content-range', `bytes ${s.start}-${s.end - 1}/${s.size}`);
}

export const attachmentsPlugin: FastifyPluginAsync<AttachmentsOptions> = async (app, { service, auth, now, abuse, limiters, chunkBytes, sweepIntervalMs, disabled = false }) => {
  const createsByAccount = limiters.make('uploads-by-account', { limit: abuse.uploadsPerAccountPerMinute, windowMs: MINUTE_MS });
  const createsByAddress = limiters.make('uploads-by-address', { limit: abuse.uploadsPerAddressPerMinute, windowMs: MINUTE_MS });
  const downloadsByAddress = limiters.make('downloads-by-address', { limit: LIMITS.attachmentDownloadsPerMinute, windowMs: MINUTE_MS });

  // Chunks only, in this plugin's scope: every other route keeps reading JSON.
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: chunkBytes }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, _req, reply) => {
    // Why: the root handler's message names the JSON body limit; a chunk has its own.
    if ((err as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw new WireError('PAYLOAD_TOO_LARGE', `a chunk is at most ${chunkBytes} bytes`);
    if (err instanceof WireError && err.code === 'RANGE_NOT_SATISFIABLE') void reply.header('content-range', `bytes */${String(err.details.size)}`);
    throw err;
  });

  app.post('/v1/attachments', async (req, reply) => {
    const a = await auth.request(req);
    const { size } = readBody(req, createAttachmentRequest);
    if (disabled) throw new WireError('FEATURE_DISABLED', 'attachments are switched off on this server for now');
    createsByAddress.check(addressKey(req.ip), 'too many uploads begun from this address');
    createsByAccount.check(a.accountId, 'too many uploads begun');
    return reply.status(201).send(await service.create(a, size));
  });

  app.get<{ Params: { id: string } }>('/v1/attachments/:id/upload', async (req) => {
    const a = await auth.request(req);
    return service.status(a, idParam(req.params.id));
  });

  app.put<{ Params: { id: string } }>('/v1/attachments/:id', async (req) => {
    const a = await auth.request(req);
    const id = idParam(req.params.id);
    const { offset } = chunkQuery(req.query, 'query');
    if (!Buffer.isBuffer(req.body)) throw new WireError('BAD_REQUEST', 'send the chunk as Content-Type: application/octet-stream');
    const body = req.body;
    return service.writeChunk(a, id, offset, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  });

  // Downloads in progress: a reader that stops reading must not hold the server open when it stops.
  const sending = new Set<FastifyReply['raw']>();
  app.addHook('preClose', async () => {
    for (const res of sending) res.destroy();
  });

  const download = async (req: { ip: string; params: { id: string }; headers: Record<string, string | string[] | undefined> }, reply: FastifyReply, withBody: boolean) => {
    const id = idParam(req.params.id);
    const range = rangeHeader(req.headers.range);
    downloadsByAddress.check(addressKey(req.ip), 'too many downloads from this address');
    const slice = await service.open(id, range);
    sliceHeaders(reply, slice);
    if (!withBody) return reply.send();
    sending.add(reply.raw);
    reply.raw.once('close', () => sending.delete(reply.raw));
    return reply.send(slice.body());
  };
  app.get<{ Params: { id: string } }>('/v1/attachments/:id', { exposeHeadRoute: false }, (req, reply) => download(req, reply, true));
  app.head<{ Params: { id: string } }>('/v1/attachments/:id', (req, reply) => download(req, reply, false));

  const sweep = setInterval(() => {
    service.sweep().catch((err: unknown) => app.log.error({ err }, 'attachment sweep failed'));
  }, sweepIntervalMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
};
