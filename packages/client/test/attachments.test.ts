// Attachments through a real server: a file sent to a stranger is kept as a pointer
// but not downloaded until the request is accepted; contacts' files download by
// themselves and verify; a group request's files wait for the group; the sender's
// linked device gets them too; anything tampered with is ATTACHMENT_INVALID and
// nothing of it is kept; uploads and downloads resume after failures (a download
// across a restart too); and neither the file's bytes nor its name reach the
// server's disk.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { attachmentCiphertextSize, LIMITS, WireError } from '@parley/wire';
import { bytesSource, ClientError, readAll, type ClientEvent, type StoredMessage } from '../src/index.ts';
import { DirectoryAttachmentFiles, SqliteClientStore } from '../src/node/index.ts';
import { sendRawContent } from '../src/test-support.ts';
import { linkedDevice, person, registered, startServer, stopAll, tempDir, type Person, type TestServer } from './harness.ts';

afterAll(stopAll);

/** Bytes that look like a file: a pattern with the canary written into it in several places. */
function fileWith(size: number, canary: string): Uint8Array {
  const b = Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 9)) & 255);
  const c = new TextEncoder().encode(canary);
  for (const at of [0, Math.floor(size / 2), size - c.length]) if (at >= 0 && size >= c.length) b.set(c, at);
  return b;
}

/** Every file under the server's data directory (database, WAL, secret, blobs), as one buffer. */
function serverBytes(server: TestServer): Buffer {
  const files = readdirSync(server.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  return Buffer.concat(files.map((f) => readFileSync(join(f.parentPath, f.name))));
}

const withAttachment = (e: ClientEvent): e is Extract<ClientEvent, { type: 'message' }> => e.type === 'message' && !!e.message.attachment;

async function attachmentArrives(p: Person): Promise<StoredMessage> {
  return ((await p.waitFor(withAttachment, `${p.name} to get a message with an attachment`)) as Extract<ClientEvent, { type: 'message' }>).message;
}

async function stateBecomes(p: Person, m: StoredMessage, state: string): Promise<StoredMessage> {
  const e = await p.waitFor((x) => x.type === 'attachment' && x.message.clientId === m.clientId && x.message.attachment?.state === state, `${p.name}'s attachment to be ${state}`);
  return (e as Extract<ClientEvent, { type: 'attachment' }>).message;
}

/** Byte equality (vitest's deep equality takes seconds on megabytes). */
function same(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length);
  expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
}

function code(e: unknown): string | undefined {
  return e instanceof ClientError || e instanceof WireError ? e.code : undefined;
}

/** Alice and Bob, contacts of each other. */
async function contacts(server: TestServer, bobOptions: Parameters<typeof registered>[4] = {}) {
  const alice = await registered(server, 'alice');
  const bob = await registered(server, 'bob', undefined, undefined, bobOptions);
  await alice.client.sendText('bob', 'hi');
  await bob.receives('hi');
  await bob.client.acceptRequest('alice');
  return { alice, bob };
}

describe('attachments', () => {
  it('a stranger\'s file is not downloaded until the request is accepted; then it arrives by itself, verified; the server never holds its bytes or name', async () => {
    const server = await startServer();
    const canary = 'CANARY-attachment-4c1e';
    const alice = await registered(server, 'alice');
    const alice2 = await linkedDevice(server, alice);
    const downloads: string[] = [];
    const bob = await registered(server, 'bob', undefined, undefined, {
      fetch: (input, init) => {
        const url = String(input);
        if (/\/v1\/attachments\/[^/]+$/.test(url) && (init?.method ?? 'GET') === 'GET') downloads.push(url);
        return fetch(input, init);
      },
    });
    const content = fileWith(3 * 1024 * 1024 + 123, canary);
    const progress: Array<[number, number]> = [];
    const sent = await alice.client.attachments.send('bob', bytesSource(content), {
      fileName: `holiday ${canary}.jpg`,
      contentType: 'image/JPEG',
      width: 800,
      height: 600,
      caption: 'look',
      onProgress: (done, total) => progress.push([done, total]),
    });
    const total = attachmentCiphertextSize(content.length);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1]![0])).toBe(true);
    expect(sent).toMatchObject({ body: 'look', direction: 'out', attachment: { state: 'downloaded', contentType: 'image/jpeg', size: content.length, width: 800 } });
    // The sender keeps its own copy.
    same(await readAll(await alice.client.attachments.open(sent)), content);

    const got = await attachmentArrives(bob);
    expect(got).toMatchObject({ body: 'look', attachment: { state: 'remote', fileName: `holiday ${canary}.jpg`, size: content.length } });
    await expect(bob.client.attachments.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_FROM_STRANGER' && /accept the message request from alice/.test((e as Error).message));
    await expect(bob.client.attachments.open(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_FROM_STRANGER');
    expect(bob.client.attachments.allowed(got)).toBe(false);
    // A round trip later, still nothing was fetched.
    await bob.client.http.whoami();
    expect(downloads).toEqual([]);
    expect(bob.events.some((e) => e.type === 'attachment-progress')).toBe(false);

    await bob.client.acceptRequest('alice');
    const done = await stateBecomes(bob, got, 'downloaded');
    expect(downloads).toHaveLength(1);
    same(await readAll(await bob.client.attachments.open(done)), content);
    const blob = await bob.client.attachments.blob(done);
    expect(blob.type).toBe('image/jpeg');
    same(new Uint8Array(await blob.arrayBuffer()), content);
    const last = bob.events.filter((e) => e.type === 'attachment-progress').at(-1) as Extract<ClientEvent, { type: 'attachment-progress' }>;
    expect([last.done, last.total]).toEqual([total, total]);
    expect(bob.client.messages('alice').find((m) => m.clientId === got.clientId)?.attachment?.state).toBe('downloaded');

    // Alice's other device learns of it (a sync message) and fetches it itself.
    const mirrored = await attachmentArrives(alice2);
    expect(mirrored).toMatchObject({ direction: 'out', body: 'look', attachment: { state: 'remote' } });
    await stateBecomes(alice2, mirrored, 'downloaded');
    same(await readAll(await alice2.client.attachments.open(mirrored)), content);

    // On the server: one blob of the padded, encrypted size; no plaintext, no name anywhere.
    const blobs = readdirSync(join(server.dataDir, 'attachments'));
    expect(blobs).toEqual([sent.attachment!.id]);
    expect(statSync(join(server.dataDir, 'attachments', blobs[0]!)).size).toBe(total);
    const disk = serverBytes(server);
    expect(disk.includes(Buffer.from(canary))).toBe(false);
    expect(disk.includes(Buffer.from(content.subarray(100_000, 100_064)))).toBe(false);
  });

  it('a group request\'s files wait until the group is accepted; empty files work', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const g = await alice.client.groups.create('Climbing', ['bob']);
    await bob.waitFor((e) => e.type === 'group' && bob.client.groups.list().some((x) => x.groupId === g.groupId && x.name === 'Climbing'), 'the group');
    const sent = await alice.client.groups.sendAttachment(g.groupId, bytesSource(new Uint8Array(0)), { fileName: 'empty.txt', contentType: 'text/plain' });
    expect(sent.attachment).toMatchObject({ size: 0, state: 'downloaded' });
    const got = await attachmentArrives(bob);
    expect(got.conversation).toBe(`group:${g.groupId}`);
    await expect(bob.client.attachments.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_FROM_STRANGER' && /accept the group/.test((e as Error).message));
    await bob.client.groups.accept(g.groupId);
    const done = await stateBecomes(bob, got, 'downloaded');
    expect((await bob.client.attachments.open(done)).size).toBe(0);
  });

  it('a blob changed on the server, a wrong digest or a wrong key is ATTACHMENT_INVALID: nothing is kept, and it is not fetched again', async () => {
    const server = await startServer();
    const { alice, bob } = await contacts(server, { autoDownloadMaxBytes: 0 });
    const files = bob.client.attachments;
    const content = fileWith(200_000, 'x');
    await alice.client.attachments.send('bob', bytesSource(content), { fileName: 'a.bin' });
    const got = await attachmentArrives(bob);
    // The server (or anyone with its disk) flips one byte of the ciphertext.
    const path = join(server.dataDir, 'attachments', got.attachment!.id);
    const blob = readFileSync(path);
    blob[5000] = blob[5000]! ^ 1;
    writeFileSync(path, blob);
    await expect(files.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_INVALID');
    expect(bob.client.messages('alice').find((m) => m.clientId === got.clientId)?.attachment?.state).toBe('invalid');
    await expect(files.open(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_UNAVAILABLE');
    await expect(files.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_INVALID');

    // A sender (or someone replaying a pointer) with a wrong digest, or a wrong key, for a good blob.
    const good = await alice.client.attachments.send('bob', bytesSource(content), {});
    const { state: _state, ...pointer } = good.attachment!;
    for (const [i, change] of [{ digest: new Uint8Array(32).fill(1) }, { key: new Uint8Array(64).fill(2) }].entries()) {
      const id = `0f0e0d0c-0000-4000-8000-00000000000${i}`;
      await sendRawContent(alice.client, 'bob', { v: 1, kind: 'text', id, ts: Date.now(), text: '', attachment: { ...pointer, ...change } });
      const bad = (await bob.waitFor((e) => e.type === 'message' && e.message.clientId === id, 'the forged pointer')) as Extract<ClientEvent, { type: 'message' }>;
      await expect(files.download(bad.message)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_INVALID');
    }
    // The good one still downloads; only its file is on the device.
    const fine = bob.client.messages('alice').find((m) => m.clientId === good.clientId)!;
    await files.download(fine);
    same(await readAll(await files.open(fine)), content);
    expect(bob.client.messages('alice').filter((m) => m.attachment).map((m) => m.attachment!.state)).toEqual(['invalid', 'downloaded', 'invalid', 'invalid']);
  });

  it('an upload whose answers are lost, or whose requests fail, resumes at what the server has; a download that breaks off resumes by range', async () => {
    const server = await startServer();
    const chunk = LIMITS.attachmentChunkBytes;
    const statusChecks: string[] = [];
    let putCount = 0;
    const aliceFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.endsWith('/upload')) statusChecks.push(url);
      if (init?.method === 'PUT' && url.includes('/v1/attachments/')) {
        putCount++;
        // The second chunk reaches the server but its answer is lost; the third never leaves.
        if (putCount === 2) {
          await fetch(input, init);
          throw new TypeError('fetch failed: answer lost');
        }
        if (putCount === 3) throw new TypeError('fetch failed: no route');
      }
      return fetch(input, init);
    };
    const ranges: string[] = [];
    let cut = true;
    const bobFetch: typeof fetch = async (input, init) => {
      const url = String(input);
      const res = await fetch(input, init);
      if (!/\/v1\/attachments\/[^/]+$/.test(url) || init?.method === 'PUT') return res;
      ranges.push(new Headers(init?.headers).get('range') ?? '');
      if (!cut) return res;
      cut = false;
      // The first download breaks off after 300,000 bytes.
      const reader = res.body!.getReader();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (sent >= 300_000) return c.error(new TypeError('terminated'));
          const { value, done } = await reader.read();
          if (done) return c.close();
          sent += value.length;
          c.enqueue(value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const alice = await registered(server, 'alice', undefined, undefined, { fetch: aliceFetch });
    const bob = await registered(server, 'bob', undefined, undefined, { fetch: bobFetch, autoDownloadMaxBytes: 0 });
    await bob.client.sendText('alice', 'hello');
    await alice.receives('hello');
    const content = fileWith(3 * chunk + 999, 'resume');
    await alice.client.attachments.send('bob', bytesSource(content), { fileName: 'big.bin' });
    expect(putCount).toBe(5);
    expect(statusChecks).toHaveLength(2);
    const got = await attachmentArrives(bob);
    const done = await bob.client.attachments.download(got);
    expect(done.attachment!.state).toBe('downloaded');
    expect(ranges[0]).toBe('');
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/=(\d+)-/.exec(ranges[1]!)![1])).toBeGreaterThanOrEqual(300_000);
    same(await readAll(await bob.client.attachments.open(done)), content);
  });

  it('a download stopped halfway resumes after a restart from what is on disk; the file stays after reopening', async () => {
    const server = await startServer();
    const { alice } = await contacts(server);
    const dir = tempDir('bob-profile');
    const ranges: string[] = [];
    const bobFetch: typeof fetch = (input, init) => {
      if (/\/v1\/attachments\/[^/]+$/.test(String(input)) && init?.method !== 'PUT') ranges.push(new Headers(init?.headers).get('range') ?? '');
      return fetch(input, init);
    };
    const open = () =>
      person(server, 'bob-device', new SqliteClientStore(join(dir, 'state.sqlite')), undefined, { fetch: bobFetch, attachmentFiles: new DirectoryAttachmentFiles(join(dir, 'attachments')), autoDownloadMaxBytes: 0 });
    // Bob's first device is in `contacts`; this is a new account on disk.
    const bob = open();
    await bob.client.register('bobdisk');
    await bob.client.connect();
    await bob.client.sendText('alice', 'hi');
    await alice.receives('hi');
    const content = fileWith(2 * 1024 * 1024, 'restart');
    await alice.client.attachments.send('bobdisk', bytesSource(content), { fileName: 'r.bin' });
    const got = await attachmentArrives(bob);
    const stop = new AbortController();
    await expect(bob.client.attachments.download(got, { signal: stop.signal, onProgress: (d) => d > 500_000 && stop.abort(new Error('stopped')) })).rejects.toThrow('stopped');
    const partial = statSync(join(dir, 'attachments', `${got.senderAccountId}_${got.clientId}.part`)).size;
    expect(partial).toBeGreaterThan(500_000);
    bob.client.close();

    const again = open();
    await again.client.connect();
    const m = again.client.messages('alice').find((x) => x.clientId === got.clientId)!;
    const done = await again.client.attachments.download(m);
    expect(ranges.at(-1)).toBe(`bytes=${partial}-`);
    same(await readAll(await again.client.attachments.open(done)), content);
    again.client.close();
    const third = open();
    same(await readAll(await third.client.attachments.open(third.client.messages('alice').find((x) => x.clientId === got.clientId)!)), content);
    expect(readdirSync(join(dir, 'attachments'))).toEqual([`${got.senderAccountId}_${got.clientId}`]);
  });

  it('an expired attachment is ATTACHMENT_UNAVAILABLE; one over the server\'s limit is refused before a message is sent', async () => {
    const server = await startServer({ maxAttachmentBytes: 100_000 });
    const { alice, bob } = await contacts(server, { autoDownloadMaxBytes: 0 });
    await alice.client.attachments.send('bob', bytesSource(fileWith(50_000, 'e')), {});
    const got = await attachmentArrives(bob);
    await server.storage.deleteAttachment(got.attachment!.id);
    await expect(bob.client.attachments.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_UNAVAILABLE');
    expect(bob.client.messages('alice').find((m) => m.clientId === got.clientId)?.attachment?.state).toBe('expired');
    // The server sees only padded sizes: a file past the bucket of the limit.
    await expect(alice.client.attachments.send('bob', bytesSource(new Uint8Array(200_000)), {})).rejects.toSatisfy((e) => code(e) === 'PAYLOAD_TOO_LARGE');
    await expect(alice.client.attachments.send('nobody', bytesSource(new Uint8Array(10)), {})).rejects.toSatisfy((e) => code(e) === 'UNKNOWN_USER');
    await alice.client.sendText('bob', 'after');
    await bob.receives('after');
    expect(bob.client.messages('alice').filter((m) => m.attachment)).toHaveLength(1);
  });

  it('a failed download or upload is an attachment-failed event, after the new state is stored; a cancelled one is not', async () => {
    const server = await startServer({ maxAttachmentBytes: 100_000 });
    const { alice, bob } = await contacts(server, { autoDownloadMaxBytes: 0 });
    await alice.client.attachments.send('bob', bytesSource(fileWith(20_000, 'f')), { fileName: 'gone.bin' });
    const got = await attachmentArrives(bob);
    await server.storage.deleteAttachment(got.attachment!.id);
    const seen: string[] = [];
    // What the store holds when the event arrives: the failure is already recorded.
    const off = bob.client.on((e) => {
      if (e.type === 'attachment-failed' && e.transfer === 'download') seen.push(`${e.code} ${e.message.attachment?.state} ${bob.client.messages('alice').find((m) => m.clientId === got.clientId)?.attachment?.state}`);
    });
    await expect(bob.client.attachments.download(got)).rejects.toSatisfy((e) => code(e) === 'ATTACHMENT_UNAVAILABLE');
    off();
    expect(seen).toEqual(['ATTACHMENT_UNAVAILABLE expired expired']);
    const failed = bob.events.filter((e) => e.type === 'attachment-failed');
    expect(failed).toHaveLength(1);
    // The state change came first, then the failure.
    const order = bob.events.filter((e) => (e.type === 'attachment' || e.type === 'attachment-failed') && 'message' in e && e.message.clientId === got.clientId).map((e) => e.type);
    expect(order).toEqual(['attachment', 'attachment-failed']);

    // An upload over the server's limit: nothing is sent, and the event names the conversation and the file.
    const bobChat = alice.client.conversation('bob')!;
    await expect(alice.client.attachments.send('bob', bytesSource(new Uint8Array(200_000)), { fileName: 'big.bin' })).rejects.toSatisfy((e) => code(e) === 'PAYLOAD_TOO_LARGE');
    expect(alice.events.filter((e) => e.type === 'attachment-failed')).toEqual([{ type: 'attachment-failed', transfer: 'upload', conversation: bobChat, fileName: 'big.bin', code: 'PAYLOAD_TOO_LARGE', error: expect.any(String) }]);

    // Cancelled by its signal: no event.
    const abort = new AbortController();
    abort.abort();
    await expect(alice.client.attachments.send('bob', bytesSource(new Uint8Array(1000)), { fileName: 'cancelled.bin', signal: abort.signal })).rejects.toBeDefined();
    expect(alice.events.filter((e) => e.type === 'attachment-failed')).toHaveLength(1);
  });
});
