// The unidentified socket (/v1/websocket/unidentified) on a real listening server
// (SQLite, and PostgreSQL in the node-postgres project): sealed sends over it are
// answered as the HTTP route answers them and stored with no source; it refuses auth
// frames, wrong keys, malformed and oversize frames, old clients and connection
// floods from one address (loopback, bounded counts); the device socket and its
// session list are unaffected by it.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { KeyPair } from '@parley/protocol';
import { base64Encode, MAX_SEALED_SEND_FRAME_BYTES, UNIDENTIFIED_SOCKET_PATH } from '@parley/wire';
import { credsFor, deviceSocket, listeningApp, openSocket, registerBody, until, V, type Creds, type Frame, type TestApp, type TestSocket } from '../testing.ts';

const PATH = `${UNIDENTIFIED_SOCKET_PATH}?version=0.1.0`;

async function registerReal(t: TestApp, username: string, registrationId = 42): Promise<Creds> {
  const password = new Uint8Array(randomBytes(32));
  const res = await t.req('POST', '/v1/accounts', {}, { ...registerBody(username, password, registrationId), identityKey: base64Encode(KeyPair.generate().publicKey.serialize()) });
  expect(res.statusCode).toBe(201);
  return credsFor(res.json().accountId as string, 1, password, username, registrationId);
}

async function setAccessKey(t: TestApp, accountId: string): Promise<Uint8Array> {
  const key = new Uint8Array(randomBytes(16));
  await t.storage.setProfile({ accountId, version: 'v'.repeat(64), name: new Uint8Array(81), avatar: undefined, accessKey: key, updatedAt: 1 });
  return key;
}

const CONTENT = new Uint8Array([0x11, 7, 7, 7]);

function sealedSend(requestId: number, to: string, key: Uint8Array, deviceId = 1, registrationId = 42): Record<string, unknown> {
  return { type: 'sealed-send', requestId, to, accessKey: base64Encode(key), request: { timestamp: 5, messages: [{ deviceId, registrationId, content: base64Encode(CONTENT) }] } };
}

const answerTo = (s: TestSocket, requestId: number) => s.next((f) => (f.type === 'sent' || f.type === 'send-failed') && f.requestId === requestId, `the answer to request ${requestId}`);

async function accepted(t: TestApp, transport: string): Promise<number> {
  return (await t.app.metrics.accepted.get()).values.find((v) => v.labels.transport === transport)?.value ?? 0;
}

/** Opens an unidentified socket; resolves with the HTTP status when the upgrade is refused. */
function tryOpen(port: number): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${PATH}`);
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('error', (e) => reject(e));
  });
}

describe('the unidentified socket', () => {
  it('stores a sealed send with no source, answers it by request id, and the recipient gets it sealed', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob', 77);
    const key = await setAccessKey(t, bob.accountId);
    const s = await openSocket(t.port, { path: PATH });
    s.send(sealedSend(7, 'bob', key, 1, 77));
    expect(await answerTo(s, 7)).toEqual({ type: 'sent', requestId: 7, serverTimestamp: expect.any(Number) });
    const [stored] = await t.storage.pending(bob.accountId, 1, 0, 10);
    expect(stored).toMatchObject({ messageType: 'sealed', timestamp: 5, content: CONTENT });
    expect(Object.keys(stored!).filter((k) => k.startsWith('source'))).toEqual([]);
    expect(await accepted(t, 'unidentified-ws')).toBe(1);
    expect(await accepted(t, 'unidentified')).toBe(0);
    // A second send on the same socket: the socket stays open between sends.
    s.send(sealedSend(8, 'bob', key, 1, 77));
    expect((await answerTo(s, 8)).type).toBe('sent');
    const d = await deviceSocket(t.port, bob);
    const envs = await until(() => d.envelopes().length === 2, 'both envelopes').then(() => d.envelopes());
    for (const e of envs) expect(e).toEqual({ type: 'envelope', id: expect.any(Number), timestamp: 5, serverTimestamp: expect.any(Number), messageType: 'sealed', content: base64Encode(CONTENT), ephemeral: false });
    // The unidentified socket got nothing but its two answers.
    expect(s.frames.filter((f) => f.type !== 'ping').map((f) => f.type)).toEqual(['sent', 'sent']);
    s.ws.close();
    d.ws.close();
  });

  it('answers wrong keys, unknown names and device mismatches as HTTP does, stores nothing, and stays open', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob', 77);
    const key = await setAccessKey(t, bob.accountId);
    const carol = await registerReal(t, 'carol');
    const s = await openSocket(t.port, { path: PATH });
    const wrong = new Uint8Array(16).fill(1);
    const cases: Array<[Record<string, unknown>, Frame]> = [
      [sealedSend(1, 'bob', wrong, 1, 77), { code: 'ACCESS_KEY_REFUSED' }],
      [sealedSend(2, 'nobody', key, 1, 77), { code: 'ACCESS_KEY_REFUSED' }],
      [sealedSend(3, 'NOT-A-NAME', key, 1, 77), { code: 'ACCESS_KEY_REFUSED' }],
      // carol has no access key at all: refused, even with bob's key.
      [sealedSend(4, 'carol', key), { code: 'ACCESS_KEY_REFUSED' }],
      [sealedSend(5, 'bob', key, 2, 77), { code: 'MISMATCHED_DEVICES', missingDevices: [1], extraDevices: [2] }],
      [sealedSend(6, 'bob', key, 1, 78), { code: 'STALE_DEVICES', staleDevices: [1] }],
    ];
    for (const [frame, want] of cases) {
      s.send(frame);
      expect(await answerTo(s, frame.requestId as number)).toMatchObject({ type: 'send-failed', ...want });
    }
    // The refusal reads as the HTTP route's, word for word.
    const http = await t.req('PUT', '/v1/messages/bob', { ...V, 'unidentified-access-key': base64Encode(wrong) }, JSON.stringify({ timestamp: 5, messages: [{ deviceId: 1, registrationId: 77, content: base64Encode(CONTENT) }] }));
    expect(s.frames.find((f) => f.requestId === 1)!.message).toBe(http.json().error.message);
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
    expect(await t.storage.queueLength(carol.accountId, 1)).toBe(0);
    s.send(sealedSend(9, 'bob', key, 1, 77));
    expect((await answerTo(s, 9)).type).toBe('sent');
    s.ws.close();
  });

  it('shares the per-address sealed-send limit and the queue\'s sealed bucket with the HTTP route', async () => {
    const t = await listeningApp({ abuse: { sealedSendsPerAddressPerMinute: 3 } });
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    const body = JSON.stringify({ timestamp: 5, messages: [{ deviceId: 1, registrationId: 42, content: base64Encode(CONTENT) }] });
    // Two over HTTP (inject: the same loopback address key as the socket's 127.0.0.1).
    for (let i = 0; i < 2; i++) expect((await t.req('PUT', '/v1/messages/bob', { ...V, 'unidentified-access-key': base64Encode(key) }, body)).statusCode).toBe(200);
    const s = await openSocket(t.port, { path: PATH });
    s.send(sealedSend(1, 'bob', key));
    s.send(sealedSend(2, 'bob', key));
    expect((await answerTo(s, 1)).type).toBe('sent');
    expect(await answerTo(s, 2)).toMatchObject({ type: 'send-failed', code: 'RATE_LIMITED', message: expect.stringMatching(/address/) });
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(3);
    s.ws.close();
  });

  it('refuses auth frames, other sockets\' frames, binary and malformed frames with a typed error and closes', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob');
    const bad: unknown[] = [
      { type: 'auth', version: '0.1.0', accountId: bob.accountId, deviceId: 1, password: base64Encode(bob.password) },
      { type: 'ack', id: 1 },
      { type: 'send', requestId: 1, to: 'bob', request: { timestamp: 1, messages: [{ deviceId: 1, registrationId: 42, type: 'whisper', content: 'AQ==' }] } },
      { ...sealedSend(1, 'bob', new Uint8Array(16)), accessKey: base64Encode(new Uint8Array(15)) },
      { ...sealedSend(1, 'bob', new Uint8Array(16)), from: bob.accountId },
      'not json',
    ];
    for (const frame of bad) {
      const s = await openSocket(t.port, { path: PATH });
      s.send(frame);
      const err = await s.next((f) => f.type === 'error', 'the error frame');
      expect(err.code).toBe('BAD_REQUEST');
      if ((frame as { type?: string }).type === 'auth') expect(err.message).toMatch(/never authenticates; authenticate on \/v1\/websocket/);
      expect(await s.closed).toBe(4400);
      // It never became a device connection.
      expect(s.frames.map((f) => f.type)).toEqual(['error']);
    }
    const s = await openSocket(t.port, { path: PATH });
    s.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await s.next((f) => f.type === 'error')).code).toBe('BAD_REQUEST');
    await s.closed;
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
    expect(await t.req('GET', '/v1/devices/sessions', bob.headers).then((r) => r.json().sessions)).toEqual([]);
  });

  it('drops a frame larger than the largest sealed send as its header arrives, and keeps serving', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    const s = await openSocket(t.port, { path: PATH });
    s.send('x'.repeat(MAX_SEALED_SEND_FRAME_BYTES + 1));
    expect(await s.closed).toBe(1009);
    const again = await openSocket(t.port, { path: PATH });
    again.send(sealedSend(1, 'bob', key));
    expect((await answerTo(again, 1)).type).toBe('sent');
    again.ws.close();
  });

  it('tells an outdated client UPGRADE_REQUIRED, and one that names no version', async () => {
    const t = await listeningApp({ minClientVersion: '0.5.0' });
    for (const path of [`${UNIDENTIFIED_SOCKET_PATH}?version=0.1.0`, UNIDENTIFIED_SOCKET_PATH]) {
      const s = await openSocket(t.port, { path });
      expect((await s.next((f) => f.type === 'error')).code).toBe('UPGRADE_REQUIRED');
      await s.closed;
    }
  });

  it('caps open sockets per address (the rest are refused 429 before the upgrade); the device socket is unaffected', async () => {
    const t = await listeningApp({ abuse: { unidentifiedSocketsPerAddress: 4 } });
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    const tries = await Promise.all(Array.from({ length: 40 }, () => tryOpen(t.port)));
    const open = tries.filter((r): r is { ws: WebSocket } => 'ws' in r);
    expect(open).toHaveLength(4);
    expect(tries.filter((r) => 'status' in r && r.status === 429)).toHaveLength(36);
    // The device socket and HTTP go on as before.
    const d = await deviceSocket(t.port, bob);
    expect((await t.req('GET', '/v1/devices/sessions', bob.headers)).json().sessions).toHaveLength(1);
    // The open ones still carry sends; a closed one frees its place.
    const first = open[0]!.ws;
    const answered = new Promise<Frame>((r) => first.on('message', (m) => r(JSON.parse(m.toString()) as Frame)));
    first.send(JSON.stringify(sealedSend(1, 'bob', key)));
    expect((await answered).type).toBe('sent');
    first.close();
    await until(async () => 'ws' in (await tryOpen(t.port).then((r) => ('ws' in r ? (r.ws.close(), r) : r))), 'a place freed');
    for (const o of open.slice(1)) o.ws.close();
    d.ws.close();
  });

  it('property: random frames get an answer or a typed error, and change nothing', async () => {
    const t = await listeningApp();
    const bob = await registerReal(t, 'bob');
    const key = await setAccessKey(t, bob.accountId);
    const s = await openSocket(t.port, { path: PATH });
    let requestId = 100;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ type: fc.constant('sealed-send'), requestId: fc.constant(0), to: fc.constantFrom('bob', 'x'), accessKey: fc.oneof(fc.constant(base64Encode(new Uint8Array(16))), fc.jsonValue()), request: fc.jsonValue() }, { requiredKeys: ['type'] })), async (v) => {
        const frame = typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { requestId?: unknown }).requestId === 0 ? { ...v, requestId: ++requestId } : v;
        const u = await openSocket(t.port, { path: PATH });
        u.send(frame);
        const f = await u.next((x) => x.type === 'error' || x.type === 'send-failed', 'a refusal');
        expect(typeof f.code).toBe('string');
        u.ws.close();
      }),
      { numRuns: 60 },
    );
    expect(await t.storage.queueLength(bob.accountId, 1)).toBe(0);
    s.send(sealedSend(1, 'bob', key));
    expect((await answerTo(s, 1)).type).toBe('sent');
    s.ws.close();
  });
});
