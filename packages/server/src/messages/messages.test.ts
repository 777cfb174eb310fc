// 1:1 messages through the real endpoints: HTTP sends, the WebSocket's delivery,
// acks, heartbeat and socket sends.
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { LIMITS } from '@parley/wire';
import { deviceSocket, listeningApp, makeApp, openSocket, register, sendBody, until } from '../testing.ts';

describe('HTTP sends', () => {
  it('answers mismatched and stale devices, and unknown users', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    await register(t, 'bob', 77);
    const extra = await t.req('PUT', '/v1/messages/bob', a.headers, sendBody(2, 77));
    expect(extra.statusCode).toBe(409);
    expect(extra.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [1], extraDevices: [2] });
    const stale = await t.req('PUT', '/v1/messages/bob', a.headers, sendBody(1, 78));
    expect(stale.statusCode).toBe(410);
    expect(stale.json().error).toMatchObject({ code: 'STALE_DEVICES', staleDevices: [1] });
    const ok = await t.req('PUT', '/v1/messages/BOB', a.headers, sendBody(1, 77));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ serverTimestamp: expect.any(Number) });
    const unknown = await t.req('PUT', '/v1/messages/nobody', a.headers, sendBody());
    expect(unknown.json().error.code).toBe('UNKNOWN_USER');
  });

  it('malformed, oversized and unknown-field bodies get typed errors and store nothing; the server keeps serving', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify(v))), async (payload) => {
        const r = await t.req('PUT', '/v1/messages/bob', a.headers, payload);
        expect([400, 409, 410, 413]).toContain(r.statusCode);
        expect(typeof r.json().error.code).toBe('string');
      }),
      { numRuns: 200 },
    );
    const big = await t.req('PUT', '/v1/messages/bob', a.headers, 'x'.repeat(2 * 1024 * 1024));
    expect(big.statusCode).toBe(413);
    const unknownField = await t.req('PUT', '/v1/messages/bob', a.headers, sendBody(1, 42, { sender: 'mallory' }));
    expect(unknownField.json().error.code).toBe('BAD_REQUEST');
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(0);
    expect((await t.req('GET', '/healthz')).statusCode).toBe(200);
  });

  it('a full queue answers RATE_LIMITED and stores nothing more', async () => {
    const t = await makeApp({ maxQueuedPerDevice: 2 });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    for (let i = 0; i < 2; i++) expect((await t.req('PUT', '/v1/messages/bob', a.headers, sendBody())).statusCode).toBe(200);
    const full = await t.req('PUT', '/v1/messages/bob', a.headers, sendBody());
    expect(full.json().error.code).toBe('RATE_LIMITED');
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(2);
  });

  it('a send whose connection closes in the middle of the body stores nothing; the server keeps serving', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const payload = sendBody();
    for (const cut of [1, Math.floor(payload.length / 2), payload.length - 1]) {
      await new Promise<void>((resolve) => {
        const sock = netConnect(t.port, '127.0.0.1', () => {
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
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(0);
    // The same request sent whole still works.
    const whole = await fetch(`http://127.0.0.1:${t.port}/v1/messages/bob`, { method: 'PUT', headers: a.headers, body: payload });
    expect(whole.status).toBe(200);
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(1);
  });
});

describe('WebSocket delivery', () => {
  it('delivers queued envelopes in order, deletes only on ack, redelivers unacked, refuses bad frames', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    for (let i = 0; i < 3; i++) expect((await t.req('PUT', '/v1/messages/bob', a.headers, sendBody())).statusCode).toBe(200);
    const c1 = await deviceSocket(t.port, b);
    await c1.next((f) => f.type === 'queue-empty');
    const env1 = c1.envelopes();
    expect(env1.map((f) => f.id)).toEqual([...env1.map((f) => f.id)].sort((x, y) => x - y));
    expect(env1.length).toBe(3);
    expect(env1[0]).toEqual({
      type: 'envelope',
      id: expect.any(Number),
      sourceAccountId: a.accountId,
      sourceUsername: 'alice',
      sourceDeviceId: 1,
      timestamp: 1,
      serverTimestamp: expect.any(Number),
      messageType: 'whisper',
      content: 'AQID',
      ephemeral: false,
    });
    c1.send({ type: 'ack', id: env1[0]!.id });
    await until(async () => (await t.storage.queueLength(b.accountId, 1)) === 2, 'ack stored');
    c1.ws.close();
    const c2 = await deviceSocket(t.port, b);
    await c2.next((f) => f.type === 'queue-empty');
    expect(c2.envelopes().map((f) => f.id)).toEqual([env1[1]!.id, env1[2]!.id]);
    // A malformed frame closes that socket with a typed error; others keep working.
    c2.send('{"type":"ack","id":"x"}');
    await c2.next((f) => f.type === 'error' && f.code === 'BAD_REQUEST');
    expect(await c2.closed).toBe(4400);
    const c3 = await deviceSocket(t.port, b);
    await c3.next((f) => f.type === 'queue-empty');
    c3.ws.close();
  });

  it('wrong password and raw garbage split across writes are refused without harming the server', async () => {
    const t = await listeningApp();
    const b = await register(t, 'bob');
    const ws = await openSocket(t.port);
    ws.send({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: Buffer.alloc(32).toString('base64') });
    expect(await ws.closed).toBe(4401);
    // A large frame before authenticating is refused at once (only devices may send big frames).
    const big = await openSocket(t.port);
    big.send({ type: 'auth', pad: 'x'.repeat(20_000) });
    expect(await big.closed).toBe(1009);
    // An HTTP upgrade followed by garbage bytes, written in pieces, then dropped mid-frame.
    await new Promise<void>((resolve) => {
      const sock = netConnect(t.port, '127.0.0.1', () => {
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
    expect((await t.req('GET', '/healthz')).statusCode).toBe(200);
  });

  it('a reader that stops acknowledging gets at most the unacked limit, then the rest in order once it acks', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const s = await deviceSocket(t.port, b);
    await s.next((f) => f.type === 'queue-empty');
    // Sent while Bob is connected and caught up: the first ones go out straight from memory.
    const total = LIMITS.maxUnackedEnvelopes + 50;
    for (let i = 0; i < total; i++) expect((await t.req('PUT', '/v1/messages/bob', a.headers, sendBody())).statusCode).toBe(200);
    await until(() => s.envelopes().length === LIMITS.maxUnackedEnvelopes, 'the first envelopes');
    // Another round trip through the server: nothing more came meanwhile.
    await t.req('GET', '/healthz');
    await new Promise((r) => setTimeout(r, 50));
    expect(s.envelopes().length).toBe(LIMITS.maxUnackedEnvelopes);
    // One frame acknowledges them all (the form clients send; single-id acks are above).
    s.send({ type: 'ack', ids: s.envelopes().map((f) => f.id as number) });
    await until(() => s.envelopes().length === total, 'the rest');
    const ids = s.envelopes().map((f) => f.id as number);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(total);
    s.ws.close();
  });

  it('envelopes stored while a slow queue read is in progress arrive in order, each once', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    // Every queue read takes a while, as over a network: sends and acks land in the middle of reads.
    const read = t.storage.pending.bind(t.storage);
    t.storage.pending = async (...args) => {
      const rows = await read(...args);
      await new Promise((r) => setTimeout(r, 5));
      return rows;
    };
    for (let i = 0; i < 30; i++) await t.req('PUT', '/v1/messages/bob', a.headers, sendBody());
    const s = await deviceSocket(t.port, b);
    s.ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { type: string; id?: number };
      if (f.type === 'envelope') s.send({ type: 'ack', id: f.id });
    });
    const total = 30 + 2 * LIMITS.maxUnackedEnvelopes;
    const sends = [];
    for (let i = 30; i < total; i++) sends.push(t.req('PUT', '/v1/messages/bob', a.headers, sendBody()));
    expect(new Set((await Promise.all(sends)).map((r) => r.statusCode))).toEqual(new Set([200]));
    await until(() => s.envelopes().length >= total, 'every envelope');
    const ids = s.envelopes().map((f) => f.id as number);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(total);
    await until(async () => (await t.storage.queueLength(b.accountId, 1)) === 0, 'every ack stored');
    s.ws.close();
  });

  it('a socket that stops answering pings is dropped, and its unacknowledged envelope goes to the next connection', async () => {
    const t = await listeningApp({ pingIntervalMs: 100 });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    // A phone whose network vanished: it still has the socket but never answers a ping.
    const dead = await deviceSocket(t.port, b, { autoPong: false });
    expect((await t.req('PUT', '/v1/messages/bob', a.headers, sendBody())).statusCode).toBe(200);
    await dead.next((f) => f.type === 'envelope');
    await dead.closed;
    await until(() => t.app.hub.size === 0, 'the dead socket is gone');
    // A live client (it answers pings) gets the envelope the dead one never acknowledged, and stays.
    const live = await deviceSocket(t.port, b);
    await live.next((f) => f.type === 'envelope');
    expect(live.envelopes().map((f) => f.id)).toEqual(dead.envelopes().map((f) => f.id));
    // It answers pings: several heartbeats later it is still open.
    await live.next((f) => f.type === 'ping');
    await until(() => live.frames.filter((f) => f.type === 'ping').length >= 3, 'three heartbeats');
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
  });

  it('drops ephemeral (call) envelopes older than a minute instead of delivering them', async () => {
    let now = 1_000_000;
    const t = await listeningApp({ now: () => now });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    await t.req('PUT', '/v1/messages/bob', a.headers, sendBody(1, 42, { ephemeral: true }));
    await t.req('PUT', '/v1/messages/bob', a.headers, sendBody());
    now += 61_000;
    const s = await deviceSocket(t.port, b);
    await s.next((f) => f.type === 'queue-empty');
    expect(s.envelopes().map((f) => f.ephemeral)).toEqual([false]);
    await until(async () => (await t.storage.queueLength(b.accountId, 1)) === 1, 'the expired one is deleted');
    s.ws.close();
  });
});

describe('WebSocket sends', () => {
  it('answered per request id, refusals keep the socket open, nothing before auth', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const request = JSON.parse(sendBody()) as unknown;

    // Before authenticating, a send closes the socket with UNAUTHORIZED and stores nothing.
    const early = await openSocket(t.port);
    early.send({ type: 'send', requestId: 1, to: 'bob', request });
    expect(await early.closed).toBe(4401);
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(0);

    const ws = await deviceSocket(t.port, a);
    const answer = (requestId: number) => ws.next((f) => f.requestId === requestId, `the answer to ${requestId}`);
    ws.send({ type: 'send', requestId: 7, to: 'bob', request });
    expect(await answer(7)).toMatchObject({ type: 'sent', requestId: 7 });
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(1);
    // A wrong device list is refused like over HTTP, with the lists, and the socket stays usable.
    ws.send({ type: 'send', requestId: 8, to: 'bob', request: JSON.parse(sendBody(2)) });
    expect(await answer(8)).toEqual({ type: 'send-failed', requestId: 8, code: 'MISMATCHED_DEVICES', message: expect.any(String), missingDevices: [1], extraDevices: [2] });
    ws.send({ type: 'send', requestId: 9, to: 'nobody_here', request });
    expect(await answer(9)).toMatchObject({ type: 'send-failed', code: 'UNKNOWN_USER' });
    ws.send({ type: 'send', requestId: 10, to: 'bob', request });
    expect(await answer(10)).toMatchObject({ type: 'sent' });
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(2);
    const metrics = await t.app.metrics.registry.metrics();
    expect(metrics).toMatch(/parley_messages_accepted_total\{transport="ws"\} 2/);
    // A malformed send frame is a protocol violation: typed error, socket closed.
    ws.send({ type: 'send', requestId: 11, to: 'bob', request: { timestamp: 1, messages: [], extra: 1 } });
    expect(await ws.closed).toBe(4400);
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(2);
  });

  it('an auth frame followed at once by a send is handled in order', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const ws = await openSocket(t.port);
    ws.send({ type: 'auth', version: '0.1.0', accountId: a.accountId, deviceId: 1, password: Buffer.from(a.password).toString('base64') });
    ws.send({ type: 'send', requestId: 1, to: 'bob', request: JSON.parse(sendBody()) });
    expect(await ws.next((f) => f.requestId === 1)).toMatchObject({ type: 'sent' });
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(1);
    ws.ws.close();
  });
});
