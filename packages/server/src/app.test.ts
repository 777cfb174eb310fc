// Server behaviour through buildApp: inject() for HTTP, a real loopback port for WebSockets.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { base64Encode, LIMITS } from '@parley/wire';
import { buildApp, type ParleyApp } from './app.ts';
import { SqliteStorage } from './storage/sqlite.ts';

const V = { 'x-parley-version': '0.1.0', 'content-type': 'application/json' };
const apps: ParleyApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function makeApp(opts: { now?: () => number; perMinute?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-app-'));
  dirs.push(dir);
  const app = await buildApp(
    { minClientVersion: '0.1.0', bundleFetchesPerMinute: opts.perMinute ?? 60, logLevel: 'silent' },
    { storage: new SqliteStorage(join(dir, 'db.sqlite')), serverSecret: new Uint8Array(32).fill(7), ...(opts.now ? { now: opts.now } : {}) },
  );
  apps.push(app);
  return app;
}

/** An app on a real loopback port, with its storage at hand for checking what was stored. */
async function listeningApp(opts: { pingIntervalMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-app-'));
  dirs.push(dir);
  const storage = new SqliteStorage(join(dir, 'db.sqlite'));
  const app = await buildApp({ minClientVersion: '0.1.0', bundleFetchesPerMinute: 60, logLevel: 'silent', ...opts }, { storage, serverSecret: new Uint8Array(32) });
  apps.push(app);
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  return { app, storage, port: (app.app.server.address() as { port: number }).port };
}

const key33 = () => base64Encode(new Uint8Array(33).fill(5));
const kem = () => base64Encode(new Uint8Array(1569).fill(8));
const sig = () => base64Encode(new Uint8Array(64).fill(1));

async function register(app: ParleyApp, username: string, registrationId = 42) {
  const password = new Uint8Array(32).map(() => Math.floor(Math.random() * 256));
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/accounts',
    headers: V,
    payload: JSON.stringify({
      username,
      password: base64Encode(password),
      registrationId,
      identityKey: key33(),
      signedPreKey: { keyId: 1, publicKey: key33(), signature: sig() },
      pqLastResortPreKey: { keyId: 1, publicKey: kem(), signature: sig() },
    }),
  });
  expect(res.statusCode).toBe(201);
  const { accountId } = res.json() as { accountId: string };
  const auth = `Basic ${Buffer.from(`${accountId}.1:${base64Encode(password)}`).toString('base64')}`;
  return { accountId, password, headers: { ...V, authorization: auth } };
}

function sendBody(deviceId = 1, registrationId = 42, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ timestamp: 1, messages: [{ deviceId, registrationId, type: 'whisper', content: base64Encode(new Uint8Array([1, 2, 3])) }], ...extra });
}

describe('server', () => {
  it('registers unique usernames and rejects bad ones with typed errors', async () => {
    const app = await makeApp();
    await register(app, 'alice');
    const dup = await app.app.inject({ method: 'POST', url: '/v1/accounts', headers: V, payload: JSON.stringify({ username: 'alice' }) });
    expect(dup.statusCode).toBe(400);
    const again = await app.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: V,
      payload: JSON.stringify({
        username: 'alice',
        password: base64Encode(new Uint8Array(32)),
        registrationId: 1,
        identityKey: key33(),
        signedPreKey: { keyId: 1, publicKey: key33(), signature: sig() },
        pqLastResortPreKey: { keyId: 1, publicKey: kem(), signature: sig() },
      }),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('USERNAME_TAKEN');
  });

  it('authenticates every request; wrong credentials change nothing', async () => {
    const app = await makeApp();
    const a = await register(app, 'alice');
    await register(app, 'bob');
    expect((await app.app.inject({ method: 'GET', url: '/v1/accounts/me', headers: a.headers })).json().username).toBe('alice');
    const wrong = `Basic ${Buffer.from(`${a.accountId}.1:${base64Encode(new Uint8Array(32))}`).toString('base64')}`;
    for (const authorization of [wrong, 'Basic !!!', 'Bearer x', '']) {
      const r = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: { ...V, authorization }, payload: sendBody() });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHORIZED');
    }
    expect(app.hub.size).toBe(0);
  });

  it('answers mismatched and stale devices, and unknown users', async () => {
    const app = await makeApp();
    const a = await register(app, 'alice');
    await register(app, 'bob', 77);
    const extra = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody(2, 77) });
    expect(extra.statusCode).toBe(409);
    expect(extra.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [1], extraDevices: [2] });
    const stale = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody(1, 78) });
    expect(stale.statusCode).toBe(410);
    expect(stale.json().error).toMatchObject({ code: 'STALE_DEVICES', staleDevices: [1] });
    const ok = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody(1, 77) });
    expect(ok.statusCode).toBe(200);
    const unknown = await app.app.inject({ method: 'PUT', url: '/v1/messages/nobody', headers: a.headers, payload: sendBody() });
    expect(unknown.json().error.code).toBe('UNKNOWN_USER');
  });

  it('hands out each one-time prekey once, falls back to the last-resort KEM key, and rate-limits bundle fetches', async () => {
    const app = await makeApp({ perMinute: 3 });
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    const up = await app.app.inject({
      method: 'PUT',
      url: '/v1/keys',
      headers: b.headers,
      payload: JSON.stringify({ preKeys: [{ keyId: 10, publicKey: key33() }, { keyId: 11, publicKey: key33() }], pqPreKeys: [{ keyId: 20, publicKey: kem(), signature: sig() }] }),
    });
    expect(up.json()).toEqual({ preKeys: 2, pqPreKeys: 1 });
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = (await app.app.inject({ method: 'GET', url: '/v1/keys/bob', headers: a.headers })).json();
      ids.push([r.devices[0].preKey?.keyId, r.devices[0].pqPreKey.keyId]);
    }
    expect(ids).toEqual([
      [10, 20],
      [11, 1],
      [undefined, 1],
    ]);
    const limited = await app.app.inject({ method: 'GET', url: '/v1/keys/bob', headers: a.headers });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect((await app.app.inject({ method: 'GET', url: '/v1/keys/count', headers: b.headers })).json()).toEqual({ preKeys: 0, pqPreKeys: 0 });
  });

  it('refuses old clients with UPGRADE_REQUIRED and the required version', async () => {
    const app = await makeApp();
    const r = await app.app.inject({ method: 'GET', url: '/v1/accounts/me', headers: { 'x-parley-version': '0.0.9' } });
    expect(r.statusCode).toBe(426);
    expect(r.json().error).toMatchObject({ code: 'UPGRADE_REQUIRED', requiredVersion: '0.1.0' });
  });

  it('malformed, oversized and unknown-field bodies get typed errors and store nothing; the server keeps serving', async () => {
    const app = await makeApp();
    const a = await register(app, 'alice');
    await register(app, 'bob');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), async (payload) => {
        const r = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload });
        expect([400, 409, 410, 413]).toContain(r.statusCode);
        expect(typeof r.json().error.code).toBe('string');
      }),
      { numRuns: 200 },
    );
    const big = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: 'x'.repeat(2 * 1024 * 1024) });
    expect(big.statusCode).toBe(413);
    const unknownField = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody(1, 42, { sender: 'mallory' }) });
    expect(unknownField.json().error.code).toBe('BAD_REQUEST');
    expect((await app.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('WebSocket: delivers queued envelopes in order, deletes only on ack, redelivers unacked, refuses bad frames', async () => {
    const app = await makeApp();
    await app.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.app.server.address() as { port: number }).port;
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    for (let i = 0; i < 3; i++) {
      const r = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() });
      expect(r.statusCode).toBe(200);
    }
    const open = () =>
      new Promise<{ ws: WebSocket; frames: Array<Record<string, unknown>> }>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
        const frames: Array<Record<string, unknown>> = [];
        ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
        ws.on('open', () => {
          ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(b.password) }));
          resolve({ ws, frames });
        });
      });
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 20));
      expect(pred()).toBe(true);
    };
    const c1 = await open();
    await until(() => c1.frames.some((f) => f.type === 'queue-empty'));
    const env1 = c1.frames.filter((f) => f.type === 'envelope');
    expect(env1.map((f) => f.id)).toEqual([...env1.map((f) => f.id)].sort((x, y) => (x as number) - (y as number)));
    expect(env1.length).toBe(3);
    c1.ws.send(JSON.stringify({ type: 'ack', id: env1[0]!.id }));
    await new Promise((r) => setTimeout(r, 100));
    c1.ws.close();
    const c2 = await open();
    await until(() => c2.frames.some((f) => f.type === 'queue-empty'));
    expect(c2.frames.filter((f) => f.type === 'envelope').map((f) => f.id)).toEqual([env1[1]!.id, env1[2]!.id]);
    // A malformed frame closes that socket with a typed error; others keep working.
    c2.ws.send('{"type":"ack","id":"x"}');
    await until(() => c2.frames.some((f) => f.type === 'error' && f.code === 'BAD_REQUEST'));
    const c3 = await open();
    await until(() => c3.frames.some((f) => f.type === 'queue-empty'));
    c3.ws.close();
  });

  it('WebSocket: wrong password and raw garbage split across writes are refused without harming the server', async () => {
    const app = await makeApp();
    await app.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.app.server.address() as { port: number }).port;
    const b = await register(app, 'bob');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(new Uint8Array(32)) })));
    expect(await closed).toBe(4401);
    // A large frame before authenticating is refused at once (only devices may send big frames).
    const big = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    const bigClosed = new Promise<number>((r) => big.on('close', (code) => r(code)));
    big.on('open', () => big.send(JSON.stringify({ type: 'auth', pad: 'x'.repeat(20_000) })));
    expect(await bigClosed).toBe(1009);
    // An HTTP upgrade followed by garbage bytes, written in pieces, then dropped mid-frame.
    await new Promise<void>((resolve) => {
      const sock = netConnect(port, '127.0.0.1', () => {
        sock.write('GET /v1/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
        sock.write('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
        setTimeout(() => {
          sock.write(Buffer.from([0x81, 0xff, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]));
          sock.destroy();
          resolve();
        }, 50);
      });
      sock.on('error', () => resolve());
    });
    expect((await app.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('a send whose connection closes in the middle of the body stores nothing; the server keeps serving', async () => {
    const { app, storage, port } = await listeningApp();
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    const payload = sendBody();
    for (const cut of [1, Math.floor(payload.length / 2), payload.length - 1]) {
      await new Promise<void>((resolve) => {
        const sock = netConnect(port, '127.0.0.1', () => {
          sock.write(
            `PUT /v1/messages/bob HTTP/1.1\r\nHost: x\r\nx-parley-version: 0.1.0\r\ncontent-type: application/json\r\n` +
              `authorization: ${a.headers.authorization}\r\ncontent-length: ${payload.length}\r\n\r\n`,
          );
          sock.write(payload.slice(0, cut));
          setTimeout(() => {
            sock.destroy();
            resolve();
          }, 50);
        });
        sock.on('error', () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await storage.queueLength(b.accountId, 1)).toBe(0);
    // The same request sent whole still works.
    const whole = await fetch(`http://127.0.0.1:${port}/v1/messages/bob`, { method: 'PUT', headers: a.headers, body: payload });
    expect(whole.status).toBe(200);
    expect(await storage.queueLength(b.accountId, 1)).toBe(1);
  });

  it('WebSocket sends: answered per request id, refusals keep the socket open, nothing before auth', async () => {
    const { app, storage, port } = await listeningApp();
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    const request = JSON.parse(sendBody()) as unknown;

    // Before authenticating, a send closes the socket with UNAUTHORIZED and stores nothing.
    const early = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    const earlyClose = new Promise<number>((r) => early.on('close', (code) => r(code)));
    early.on('open', () => early.send(JSON.stringify({ type: 'send', requestId: 1, to: 'bob', request })));
    expect(await earlyClose).toBe(4401);
    expect(await storage.queueLength(b.accountId, 1)).toBe(0);

    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    const frames: Array<Record<string, unknown>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await new Promise<void>((r) => ws.on('open', () => r()));
    ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: a.accountId, deviceId: 1, password: base64Encode(a.password) }));
    const answer = async (requestId: number) => {
      for (let i = 0; i < 100; i++) {
        const f = frames.find((x) => x.requestId === requestId);
        if (f) return f;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no answer to request ${requestId}`);
    };
    ws.send(JSON.stringify({ type: 'send', requestId: 7, to: 'bob', request }));
    expect(await answer(7)).toMatchObject({ type: 'sent', requestId: 7 });
    expect(await storage.queueLength(b.accountId, 1)).toBe(1);
    // A wrong device list is refused like over HTTP, with the lists, and the socket stays usable.
    ws.send(JSON.stringify({ type: 'send', requestId: 8, to: 'bob', request: JSON.parse(sendBody(2)) }));
    expect(await answer(8)).toEqual({ type: 'send-failed', requestId: 8, code: 'MISMATCHED_DEVICES', message: expect.any(String), missingDevices: [1], extraDevices: [2] });
    ws.send(JSON.stringify({ type: 'send', requestId: 9, to: 'nobody_here', request }));
    expect(await answer(9)).toMatchObject({ type: 'send-failed', code: 'UNKNOWN_USER' });
    ws.send(JSON.stringify({ type: 'send', requestId: 10, to: 'bob', request }));
    expect(await answer(10)).toMatchObject({ type: 'sent' });
    expect(await storage.queueLength(b.accountId, 1)).toBe(2);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/parley_messages_accepted_total\{transport="ws"\} 2/);
    // A malformed send frame is a protocol violation: typed error, socket closed.
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.send(JSON.stringify({ type: 'send', requestId: 11, to: 'bob', request: { timestamp: 1, messages: [], extra: 1 } }));
    expect(await closed).toBe(4400);
    expect(await storage.queueLength(b.accountId, 1)).toBe(2);
  });

  it('a reader that stops acknowledging gets at most the unacked limit, then the rest in order once it acks', async () => {
    const { app, port } = await listeningApp();
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    const ids: number[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { type: string; id?: number };
      if (f.type === 'envelope') ids.push(f.id!);
    });
    await new Promise<void>((r) => ws.on('open', () => r()));
    ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(b.password) }));
    await new Promise((r) => setTimeout(r, 100));
    // Sent while Bob is connected and caught up: the first ones go out straight from memory.
    const total = LIMITS.maxUnackedEnvelopes + 50;
    for (let i = 0; i < total; i++) {
      expect((await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() })).statusCode).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(ids.length).toBe(LIMITS.maxUnackedEnvelopes);
    for (const id of ids.slice()) ws.send(JSON.stringify({ type: 'ack', id }));
    for (let i = 0; i < 100 && ids.length < total; i++) await new Promise((r) => setTimeout(r, 20));
    expect(ids.length).toBe(total);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(total);
    ws.close();
  });

  it('a socket that stops answering pings is dropped, and its unacknowledged envelope goes to the next connection', async () => {
    const { app, port } = await listeningApp({ pingIntervalMs: 100 });
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    const connect = (autoPong: boolean) =>
      new Promise<{ ws: WebSocket; ids: number[] }>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`, { autoPong });
        const ids: number[] = [];
        ws.on('message', (d) => {
          const f = JSON.parse(d.toString()) as { type: string; id?: number };
          if (f.type === 'envelope') ids.push(f.id!);
          if (f.type === 'ready') resolve({ ws, ids });
        });
        ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(b.password) })));
      });
    // A phone whose network vanished: it still has the socket but never answers a ping.
    const dead = await connect(false);
    const closed = new Promise<void>((r) => dead.ws.on('close', () => r()));
    expect((await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() })).statusCode).toBe(200);
    for (let i = 0; i < 50 && dead.ids.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(dead.ids.length).toBe(1);
    await closed;
    for (let i = 0; i < 50 && app.hub.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(app.hub.size).toBe(0);
    // A live client (it answers pings) gets the envelope the dead one never acknowledged, and stays.
    const live = await connect(true);
    for (let i = 0; i < 50 && live.ids.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(live.ids).toEqual(dead.ids);
    await new Promise((r) => setTimeout(r, 400));
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
  });

  it('a full queue answers RATE_LIMITED and stores nothing more', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-app-'));
    dirs.push(dir);
    const storage = new SqliteStorage(join(dir, 'db.sqlite'));
    const app = await buildApp({ minClientVersion: '0.1.0', bundleFetchesPerMinute: 60, maxQueuedPerDevice: 2, logLevel: 'silent' }, { storage, serverSecret: new Uint8Array(32) });
    apps.push(app);
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    for (let i = 0; i < 2; i++) expect((await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() })).statusCode).toBe(200);
    const full = await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() });
    expect(full.json().error.code).toBe('RATE_LIMITED');
    expect(await storage.queueLength(b.accountId, 1)).toBe(2);
  });

  it('drops ephemeral (call) envelopes older than a minute instead of delivering them', async () => {
    let t = 1_000_000;
    const app = await makeApp({ now: () => t });
    await app.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.app.server.address() as { port: number }).port;
    const a = await register(app, 'alice');
    const b = await register(app, 'bob');
    await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody(1, 42, { ephemeral: true }) });
    await app.app.inject({ method: 'PUT', url: '/v1/messages/bob', headers: a.headers, payload: sendBody() });
    t += 61_000;
    const frames: Array<Record<string, unknown>> = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/websocket`);
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(b.password) })));
    for (let i = 0; i < 100 && !frames.some((f) => f.type === 'queue-empty'); i++) await new Promise((r) => setTimeout(r, 20));
    const envs = frames.filter((f) => f.type === 'envelope');
    expect(envs.length).toBe(1);
    expect(envs[0]!.ephemeral).toBe(false);
    ws.close();
  });
});
