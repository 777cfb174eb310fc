// The attachment endpoints through buildApp().inject() and a real port: chunked
// uploads at the committed offset (and resuming one cut mid-chunk), downloads
// whole and by range, expiry and abandoned uploads deleted from disk by the
// sweeper on an injected clock, and every malformed request refused with a
// typed 4xx.
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { attachmentCiphertextSize, attachmentUploadResponse, createAttachmentRequest, LIMITS } from '@parley/wire';
import { parseConfig } from '../config.ts';
import { fuzzBody, listeningApp, makeApp, register, V, type Creds, type TestApp } from '../testing.ts';

const CHUNK = LIMITS.attachmentChunkBytes;
const octet = (c: Creds) => ({ ...c.headers, 'content-type': 'application/octet-stream' });
const blob = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));

async function begin(t: TestApp, c: Creds, size: number): Promise<string> {
  const r = await t.req('POST', '/v1/attachments', c.headers, { size });
  expect(r.statusCode, r.body).toBe(201);
  const up = attachmentUploadResponse(r.json(), '');
  expect(up).toMatchObject({ size, committed: 0, chunkSize: CHUNK });
  return up.attachmentId;
}

async function put(t: TestApp, c: Creds, id: string, offset: number, chunk: Buffer) {
  return t.req('PUT', `/v1/attachments/${id}?offset=${offset}`, octet(c), chunk);
}

/** Uploads `data` in chunks; answers the id. */
async function upload(t: TestApp, c: Creds, data: Buffer): Promise<string> {
  const id = await begin(t, c, data.length);
  for (let o = 0; o < data.length; o += CHUNK) {
    const r = await put(t, c, id, o, data.subarray(o, o + CHUNK));
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().committed).toBe(Math.min(data.length, o + CHUNK));
  }
  return id;
}

const get = (t: TestApp, id: string, headers: Record<string, string> = {}) => t.req('GET', `/v1/attachments/${id}`, { 'x-parley-version': V['x-parley-version'], ...headers });

describe('attachments: uploads', () => {
  it('a blob goes up in chunks at the committed offset and comes down whole, by range and by suffix', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const data = blob(2 * CHUNK + 12345);
    const id = await upload(t, alice, data);
    const whole = await get(t, id);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'content-length': String(data.length), 'accept-ranges': 'bytes', 'cache-control': 'no-store' });
    expect(whole.rawBody!.equals(data)).toBe(true);
    const part = await get(t, id, { range: `bytes=${CHUNK - 5}-${CHUNK + 4}` });
    expect(part.statusCode).toBe(206);
    expect(part.headers!['content-range']).toBe(`bytes ${CHUNK - 5}-${CHUNK + 4}/${data.length}`);
    expect(part.rawBody!.equals(data.subarray(CHUNK - 5, CHUNK + 5))).toBe(true);
    const rest = await get(t, id, { range: `bytes=${data.length - 100}-` });
    expect(rest.rawBody!.equals(data.subarray(data.length - 100))).toBe(true);
    const tail = await get(t, id, { range: 'bytes=-7' });
    expect(tail.headers!['content-range']).toBe(`bytes ${data.length - 7}-${data.length - 1}/${data.length}`);
    expect(tail.rawBody!.equals(data.subarray(-7))).toBe(true);
    // An end past the file is cut to it.
    const over = await get(t, id, { range: `bytes=${data.length - 2}-${data.length + 1000}` });
    expect(over.rawBody!.equals(data.subarray(-2))).toBe(true);
    const head = await t.req('HEAD', `/v1/attachments/${id}`, { 'x-parley-version': '0.1.0' });
    expect(head.statusCode).toBe(200);
    expect(head.headers!['content-length']).toBe(String(data.length));
    expect(head.rawBody!.length).toBe(0);
    // Blobs are files of their own under the data directory, readable by the server only.
    const file = join(t.dir, 'attachments', id);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.dir, 'attachments')).mode & 0o777).toBe(0o700);
  });

  it('a chunk at the wrong offset, past the size, empty, too large or not octet-stream is refused; nothing moves', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const id = await begin(t, alice, 3000);
    expect((await put(t, alice, id, 0, blob(1000))).statusCode).toBe(200);
    for (const offset of [0, 999, 1001, 5000]) {
      const r = await put(t, alice, id, offset, blob(10));
      expect(r.statusCode).toBe(409);
      expect(r.json().error).toMatchObject({ code: 'CONFLICT', committed: 1000 });
    }
    const past = await put(t, alice, id, 1000, blob(2001));
    expect([past.statusCode, past.json().error.code]).toEqual([400, 'BAD_REQUEST']);
    const empty = await put(t, alice, id, 1000, Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    const json = await t.req('PUT', `/v1/attachments/${id}?offset=1000`, alice.headers, { chunk: 'AAAA' });
    expect(json.statusCode).toBe(400);
    const huge = await begin(t, alice, CHUNK * 3);
    const tooBig = await put(t, alice, huge, 0, blob(CHUNK + 1));
    expect([tooBig.statusCode, tooBig.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(tooBig.json().error.message).toContain(`${CHUNK} bytes`);
    const status = await t.req('GET', `/v1/attachments/${id}/upload`, alice.headers);
    expect(status.json()).toMatchObject({ attachmentId: id, size: 3000, committed: 1000 });
    // Finishing it, then any further chunk.
    expect((await put(t, alice, id, 1000, blob(2000))).json().committed).toBe(3000);
    expect((await put(t, alice, id, 3000, blob(1))).statusCode).toBe(400);
  });

  it('uploads belong to their account; downloads need no credentials but a finished upload', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    const id = await begin(t, alice, 10);
    expect((await t.req('POST', '/v1/attachments', { 'x-parley-version': '0.1.0', 'content-type': 'application/json' }, { size: 10 })).statusCode).toBe(401);
    expect((await t.req('PUT', `/v1/attachments/${id}?offset=0`, { 'x-parley-version': '0.1.0', 'content-type': 'application/octet-stream' }, blob(10))).statusCode).toBe(401);
    for (const r of [await put(t, bob, id, 0, blob(10)), await t.req('GET', `/v1/attachments/${id}/upload`, bob.headers)]) {
      expect([r.statusCode, r.json().error.code]).toEqual([404, 'NOT_FOUND']);
    }
    // Not downloadable until finished.
    expect((await get(t, id)).statusCode).toBe(404);
    expect((await put(t, alice, id, 0, blob(10))).statusCode).toBe(200);
    expect((await get(t, id)).rawBody!.equals(blob(10))).toBe(true);
    // Downloads still carry the client version.
    expect((await t.req('GET', `/v1/attachments/${id}`, { 'x-parley-version': '0.0.1' })).statusCode).toBe(426);
  });

  it('sizes over the server limit, and more unfinished uploads than allowed, are refused', async () => {
    const t = await makeApp({ maxAttachmentBytes: 5000 });
    const alice = await register(t, 'alice');
    const max = attachmentCiphertextSize(5000);
    const over = await t.req('POST', '/v1/attachments', alice.headers, { size: max + 1 });
    expect([over.statusCode, over.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(over.json().error.message).toContain('at most 5000 bytes');
    for (let i = 0; i < LIMITS.maxPendingUploadsPerAccount; i++) await begin(t, alice, max);
    const more = await t.req('POST', '/v1/attachments', alice.headers, { size: 10 });
    expect([more.statusCode, more.json().error.code]).toEqual([429, 'RATE_LIMITED']);
    // Another account is not affected.
    await begin(t, await register(t, 'bob'), 10);
  });

  it('beginning uploads is limited per account per minute', async () => {
    let clock = 1_000_000;
    const t = await makeApp({ now: () => clock });
    const alice = await register(t, 'alice');
    for (let i = 0; i < LIMITS.attachmentsPerMinute; i++) {
      const id = await begin(t, alice, 1);
      expect((await put(t, alice, id, 0, blob(1))).statusCode).toBe(200);
    }
    expect((await t.req('POST', '/v1/attachments', alice.headers, { size: 1 })).statusCode).toBe(429);
    clock += 60_000;
    await begin(t, alice, 1);
  });
});

describe('attachments: malformed requests', () => {
  it('malformed ids, offsets and ranges are BAD_REQUEST; unknown ids NOT_FOUND; ranges outside the file RANGE_NOT_SATISFIABLE', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const id = await upload(t, alice, blob(100));
    for (const bad of ['short', `${id}x`, `..%2F..%2F${id.slice(10)}`, `${id.slice(1)}.`, `${id.slice(2)}%00`, encodeURIComponent(`/etc/passwd${id.slice(11)}`)]) {
      expect((await get(t, bad)).statusCode, bad).toBe(400);
      expect((await t.req('GET', `/v1/attachments/${bad}/upload`, alice.headers)).statusCode, bad).toBe(400);
    }
    expect((await get(t, 'A'.repeat(32))).json().error.code).toBe('NOT_FOUND');
    for (const q of ['', '?offset=', '?offset=-1', '?offset=01', '?offset=1e2', '?offset=1&offset=1', '?offset=0&x=1', '?o=0']) {
      const r = await t.req('PUT', `/v1/attachments/${id}${q}`, octet(alice), blob(1));
      expect([r.statusCode, r.json().error.code], q).toEqual([400, 'BAD_REQUEST']);
    }
    for (const range of ['bytes=5-1', 'bytes=0-1,3-4', 'chars=0-1', 'bytes=x-']) expect((await get(t, id, { range })).statusCode, range).toBe(400);
    const outside = await get(t, id, { range: 'bytes=100-' });
    expect([outside.statusCode, outside.json().error.code]).toEqual([416, 'RANGE_NOT_SATISFIABLE']);
    expect(outside.headers!['content-range']).toBe('bytes */100');
  });

  it('property: a mutated create body is refused with a typed 4xx and reserves nothing', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    await fuzzBody({ size: 100 }, createAttachmentRequest, (body) => t.req('POST', '/v1/attachments', alice.headers, body), 100);
    expect(await t.storage.pendingUploads(alice.accountId)).toBe(0);
  });

  it('property: any offset query or Range header is answered (never a 5xx), and a refused chunk commits nothing', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const done = await upload(t, alice, blob(50));
    const open = await begin(t, alice, 10);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 24 }), fc.integer({ min: -5, max: 60 }).map(String)), async (s) => {
        const before = (await t.storage.attachment(open))!.committed;
        const q = await t.req('PUT', `/v1/attachments/${open}?offset=${encodeURIComponent(s)}`, octet(alice), blob(3));
        const after = (await t.storage.attachment(open))!.committed;
        // Only a chunk at the committed offset that fits is taken; everything else is a typed 4xx and moves nothing.
        if (q.statusCode === 200) expect([s, after]).toEqual([String(before), before + 3]);
        else {
          expect(q.statusCode).toBeGreaterThanOrEqual(400);
          expect(q.statusCode).toBeLessThan(500);
          expect(typeof q.json().error.code).toBe('string');
          expect(after).toBe(before);
        }
        const r = await get(t, done, { range: s.replace(/[^\x20-\x7e]/g, '') });
        expect([200, 206, 400, 416]).toContain(r.statusCode);
      }),
      { numRuns: 200 },
    );
    expect((await t.storage.attachment(open))!.committed).toBeLessThanOrEqual(9);
  });
});

describe('attachments: expiry and sweeping', () => {
  it('a finished blob expires after its time to live: no longer served, then deleted from disk', async () => {
    let clock = 1_000_000;
    const t = await makeApp({ now: () => clock, attachmentTtlMs: 3_600_000 });
    const alice = await register(t, 'alice');
    const id = await upload(t, alice, blob(300));
    const file = join(t.dir, 'attachments', id);
    expect(existsSync(file)).toBe(true);
    clock += 3_599_999;
    expect(await t.app.attachments!.sweep()).toBe(0);
    expect((await get(t, id)).statusCode).toBe(200);
    clock += 1;
    expect((await get(t, id)).statusCode).toBe(404);
    expect(await t.app.attachments!.sweep()).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(await t.storage.attachment(id)).toBeUndefined();
  });

  it('an upload not finished within a day is abandoned: refused, then its partial blob deleted; blobs without a record go too', async () => {
    let clock = 1_000_000;
    const t = await makeApp({ now: () => clock });
    const alice = await register(t, 'alice');
    const id = await begin(t, alice, 5000);
    expect((await put(t, alice, id, 0, blob(1000))).statusCode).toBe(200);
    const finished = await upload(t, alice, blob(10));
    const orphan = join(t.dir, 'attachments', 'Z'.repeat(32));
    writeFileSync(orphan, 'left by a crash');
    clock += LIMITS.attachmentUploadWindowMs;
    expect((await put(t, alice, id, 1000, blob(10))).statusCode).toBe(404);
    expect((await t.req('GET', `/v1/attachments/${id}/upload`, alice.headers)).statusCode).toBe(404);
    expect(await t.app.attachments!.sweep()).toBe(1);
    expect(readdirSync(join(t.dir, 'attachments'))).toEqual([finished]);
    // The abandoned upload no longer counts against the account.
    expect(await t.storage.pendingUploads(alice.accountId)).toBe(0);
  });
});

describe('attachments: on a real port', () => {
  it('an upload cut mid-chunk commits nothing of it and resumes at the committed offset; a download resumes by range', async () => {
    const t = await listeningApp();
    const alice = await register(t, 'alice');
    const data = blob(CHUNK + 5000, 7);
    const id = await begin(t, alice, data.length);
    expect((await put(t, alice, id, 0, data.subarray(0, CHUNK))).statusCode).toBe(200);
    // The second chunk's connection dies after 2,000 of its 5,000 bytes.
    await new Promise<void>((resolve, reject) => {
      const s = connect(t.port, '127.0.0.1', () => {
        const head = [
          `PUT /v1/attachments/${id}?offset=${CHUNK} HTTP/1.1`,
          'Host: 127.0.0.1',
          `Authorization: ${alice.headers.authorization}`,
          'X-Parley-Version: 0.1.0',
          'Content-Type: application/octet-stream',
          'Content-Length: 5000',
          '',
          '',
        ].join('\r\n');
        s.write(head);
        s.write(data.subarray(CHUNK, CHUNK + 2000), () => {
          s.destroy();
          resolve();
        });
      });
      s.on('error', reject);
    });
    const status = await fetch(`http://127.0.0.1:${t.port}/v1/attachments/${id}/upload`, { headers: alice.headers });
    expect(((await status.json()) as { committed: number }).committed).toBe(CHUNK);
    const resumed = await fetch(`http://127.0.0.1:${t.port}/v1/attachments/${id}?offset=${CHUNK}`, { method: 'PUT', headers: octet(alice), body: data.subarray(CHUNK) });
    expect(((await resumed.json()) as { committed: number }).committed).toBe(data.length);
    // A download that breaks off after 100,000 bytes, then the rest by range, is the blob.
    const url = `http://127.0.0.1:${t.port}/v1/attachments/${id}`;
    const got: Buffer[] = [];
    let have = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpGet(url, { headers: { 'x-parley-version': '0.1.0' } }, (res) => {
        res.on('data', (d: Buffer) => {
          got.push(d);
          have += d.length;
          if (have >= 100_000) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      setImmediate(() => req.on('error', reject));
    });
    expect(have).toBeLessThan(data.length);
    const rest = await fetch(url, { headers: { 'x-parley-version': '0.1.0', range: `bytes=${have}-` } });
    expect(rest.status).toBe(206);
    expect(Buffer.concat([...got, new Uint8Array(await rest.arrayBuffer())]).equals(data)).toBe(true);
  });
});

describe('attachment settings', () => {
  it('--max-attachment-bytes and --attachment-ttl-days, with their defaults and bounds', () => {
    expect(parseConfig([], {})).toMatchObject({ maxAttachmentBytes: 104857600, attachmentTtlDays: 30 });
    expect(parseConfig(['--max-attachment-bytes', '1000', '--attachment-ttl-days=2'], {})).toMatchObject({ maxAttachmentBytes: 1000, attachmentTtlDays: 2 });
    expect(parseConfig([], { PARLEY_MAX_ATTACHMENT_BYTES: '77' }).maxAttachmentBytes).toBe(77);
    expect(() => parseConfig(['--attachment-ttl-days', '0'], {})).toThrow(/positive integer/);
    expect(() => parseConfig(['--max-attachment-bytes', String(2 ** 31)], {})).toThrow(/room for padding/);
  });
});
