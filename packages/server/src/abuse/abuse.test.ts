/**
 * The abuse limits (issue 12) through the real endpoints: each answers RATE_LIMITED
 * with a Retry-After header and `retryAfter` in the body once over, per address and
 * per account as configured; a refused request changes nothing. The rate limiter
 * itself: aligned windows, and no forgetting under a flood of keys.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressKey } from './address.ts';
import { RateLimiter } from './rate-limiter.ts';
import { credsFor, deviceSocket, key33, kem, listeningApp, makeApp, register, registerBody, sendBody, sig, V, type TestApp } from '../testing.ts';

function from(t: TestApp, ip: string, method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, payload?: unknown) {
  return t.app.app.inject({ method, url, remoteAddress: ip, headers: { ...V, ...headers }, ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }) });
}

function expectLimited(r: { statusCode: number; headers: Record<string, unknown>; json(): any }): void {
  expect(r.statusCode).toBe(429);
  expect(r.json().error.code).toBe('RATE_LIMITED');
  expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(r.json().error.retryAfter).toBe(Number(r.headers['retry-after']));
}

describe('rate limiter', () => {
  it('counts per key in aligned windows and says how long to wait', () => {
    let now = 60_000 * 10 + 15_000;
    const l = new RateLimiter({ limit: 2, windowMs: 60_000 }, () => now);
    expect([l.take('a'), l.take('a')]).toEqual([0, 0]);
    expect(l.take('a')).toBe(45_000);
    expect(l.take('b')).toBe(0);
    now += 45_000;
    expect(l.take('a')).toBe(0);
  });

  it('a flood of new keys never resets a counted key (past the cap new keys are refused instead)', () => {
    const l = new RateLimiter({ limit: 3, windowMs: 60_000 }, () => 5, { maxKeys: 1000 });
    for (let i = 0; i < 3; i++) l.take('victim-counter');
    for (let i = 0; i < 200_000; i++) l.take(`flood-${i}`);
    expect(l.take('victim-counter')).toBeGreaterThan(0);
    expect(l.size).toBe(1000);
    expect(l.take('newcomer')).toBeGreaterThan(0);
  });

  it('IPv6 addresses count by /64; IPv4-mapped ones as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:3::1')).not.toBe(addressKey('2001:db8:1:2::1'));
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
  });
});

describe('abuse limits', () => {
  it('registrations per address', async () => {
    const t = await makeApp({ abuse: { registrationsPerAddressPerHour: 3 } });
    for (let i = 0; i < 3; i++) expect((await from(t, '10.0.0.1', 'POST', '/v1/accounts', {}, registerBody(`user_${i}`, randomBytes(32), 42))).statusCode).toBe(201);
    expectLimited(await from(t, '10.0.0.1', 'POST', '/v1/accounts', {}, registerBody('user_x', randomBytes(32), 42)));
    expect(await t.storage.accountByUsername('user_x')).toBeUndefined();
    expect((await from(t, '10.0.0.2', 'POST', '/v1/accounts', {}, registerBody('user_y', randomBytes(32), 42))).statusCode).toBe(201);
  });

  it('authentication failures per address and per account; the right password is never locked out', async () => {
    const t = await makeApp({ abuse: { authFailuresPerAddressPerMinute: 5, authFailuresPerAccountPerMinute: 8 } });
    const alice = await register(t, 'alice');
    const wrong = credsFor(alice.accountId, 1, new Uint8Array(32).fill(1), 'alice', 42);
    for (let i = 0; i < 5; i++) expect((await from(t, '10.0.1.1', 'GET', '/v1/accounts/me', wrong.headers)).statusCode).toBe(401);
    expectLimited(await from(t, '10.0.1.1', 'GET', '/v1/accounts/me', wrong.headers));
    // The address is refused even with the right password until its window ends.
    expectLimited(await from(t, '10.0.1.1', 'GET', '/v1/accounts/me', alice.headers));
    // From elsewhere: the account's failures (6 so far, the refused one counted) reach its limit of 8, then wrong ones are RATE_LIMITED...
    for (let i = 0; i < 2; i++) expect((await from(t, `10.0.2.${i}`, 'GET', '/v1/accounts/me', wrong.headers)).statusCode).toBe(401);
    expectLimited(await from(t, '10.0.3.1', 'GET', '/v1/accounts/me', wrong.headers));
    // ...and the device's own password still works.
    expect((await from(t, '10.0.4.1', 'GET', '/v1/accounts/me', alice.headers)).statusCode).toBe(200);
  });

  it("bundle fetches: one-time prekeys per target device hold whoever asks, so many accounts cannot drain them", async () => {
    const t = await makeApp({ abuse: { oneTimePreKeysPerDevicePerHour: 5, bundleFetchesPerMinute: 100, bundleFetchesPerAddressPerMinute: 1000 } });
    const alice = await register(t, 'alice');
    await t.req('PUT', '/v1/keys', alice.headers, {
      preKeys: Array.from({ length: 50 }, (_, i) => ({ keyId: 100 + i, publicKey: key33() })),
      pqPreKeys: Array.from({ length: 20 }, (_, i) => ({ keyId: 200 + i, publicKey: kem(), signature: sig() })),
    });
    const fetchers = await Promise.all(Array.from({ length: 6 }, (_, i) => register(t, `drainer_${i}`)));
    let withOneTime = 0;
    for (const f of fetchers) {
      for (let k = 0; k < 5; k++) {
        const r = await t.req('GET', '/v1/keys/alice', f.headers);
        expect(r.statusCode).toBe(200);
        const d = r.json().devices[0];
        if (d.preKey) withOneTime++;
        // Without a one-time key the bundle still starts a session: signed prekey and the last-resort KEM key.
        expect(d.signedPreKey.keyId).toBe(1);
      }
    }
    expect(withOneTime).toBe(5);
    expect((await t.req('GET', '/v1/keys/count', alice.headers)).json()).toEqual({ preKeys: 45, pqPreKeys: 15 });
  });

  it('bundle fetches per address', async () => {
    const t = await makeApp({ abuse: { bundleFetchesPerAddressPerMinute: 2 } });
    const a = await register(t, 'alice');
    await register(t, 'bob');
    for (let i = 0; i < 2; i++) expect((await from(t, '10.9.0.1', 'GET', '/v1/keys/bob', a.headers)).statusCode).toBe(200);
    expectLimited(await from(t, '10.9.0.1', 'GET', '/v1/keys/bob', a.headers));
  });

  it('username lookups: unknown and known names are counted alike, per account and per address', async () => {
    const t = await makeApp({ abuse: { lookupsPerAccountPerMinute: 4, lookupsPerAddressPerMinute: 6 } });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const shapes = [];
    for (const name of ['bob', 'nobody_here', 'bob', 'nobody_else']) {
      const r = await from(t, '10.5.0.1', 'GET', `/v1/accounts/username/${name}`, a.headers);
      shapes.push(r.statusCode);
    }
    expect(shapes).toEqual([200, 404, 200, 404]);
    expectLimited(await from(t, '10.5.0.2', 'GET', '/v1/accounts/username/bob', a.headers));
    expectLimited(await from(t, '10.5.0.3', 'GET', '/v1/accounts/username/nobody_at_all', a.headers));
    // Per address: bob's lookups from 10.5.0.1 reach its 6 (a's 4 counted there too).
    for (let i = 0; i < 2; i++) expect((await from(t, '10.5.0.1', 'GET', '/v1/accounts/username/alice', b.headers)).statusCode).toBe(200);
    expectLimited(await from(t, '10.5.0.1', 'GET', '/v1/accounts/username/alice', b.headers));
  });

  it('sends per account and call messages per pair, over HTTP and the socket', async () => {
    const t = await listeningApp({ abuse: { sendsPerAccountPerMinute: 5, ringsPerPairPerMinute: 2 } });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    await register(t, 'carol');
    const ring = sendBody(1, 42, { ephemeral: true });
    expect((await t.req('PUT', '/v1/messages/bob', a.headers, ring)).statusCode).toBe(200);
    expect((await t.req('PUT', '/v1/messages/bob', a.headers, ring)).statusCode).toBe(200);
    const third = await t.req('PUT', '/v1/messages/bob', a.headers, ring);
    expect(third.statusCode).toBe(429);
    expect(third.headers?.['retry-after']).toBeDefined();
    expect((await t.req('PUT', '/v1/messages/carol', a.headers, ring)).statusCode).toBe(200);
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(2);
    // The fifth send of the minute (the refused ring counted), then refused on the socket too.
    expect((await t.req('PUT', '/v1/messages/bob', a.headers, sendBody())).statusCode).toBe(200);
    const ws = await deviceSocket(t.port, a);
    ws.send({ type: 'send', requestId: 1, to: 'bob', request: JSON.parse(sendBody()) });
    const refused = await ws.next((f) => f.requestId === 1);
    expect(refused).toMatchObject({ type: 'send-failed', code: 'RATE_LIMITED' });
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(3);
    ws.ws.terminate();
  });

  it('uploads begun per account and per address', async () => {
    const t = await makeApp({ abuse: { uploadsPerAccountPerMinute: 2, uploadsPerAddressPerMinute: 3 } });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const body = { size: 1000 };
    for (let i = 0; i < 2; i++) expect((await from(t, '10.7.0.1', 'POST', '/v1/attachments', a.headers, body)).statusCode).toBe(201);
    expectLimited(await from(t, '10.7.0.2', 'POST', '/v1/attachments', a.headers, body));
    expect((await from(t, '10.7.0.1', 'POST', '/v1/attachments', b.headers, body)).statusCode).toBe(201);
    expectLimited(await from(t, '10.7.0.1', 'POST', '/v1/attachments', b.headers, body));
    expect(await t.storage.pendingUploads(a.accountId)).toBe(2);
  });
});

describe('smaller doors (issue 16)', () => {
  it("the router's own errors are typed; lookups fold ASCII only; device ids are canonical", async () => {
    const t = await makeApp();
    const a = await register(t, 'kate');
    const bad = await t.req('GET', '/v1/accounts/username/%zz', a.headers);
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'the URL is malformed' } });
    const long = await t.req('GET', `/v1/accounts/username/${'a'.repeat(500)}`, a.headers);
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('BAD_REQUEST');
    expect(long.body).not.toContain('FST_');
    // The Kelvin sign folds to "k" under Unicode lowercasing: not here.
    expect((await t.req('GET', `/v1/accounts/username/${encodeURIComponent('\u212Aate')}`, a.headers)).json().error.code).toBe('UNKNOWN_USER');
    expect((await t.req('GET', '/v1/accounts/username/KATE', a.headers)).statusCode).toBe(200);
    const zeroPadded = { ...a.headers, authorization: `Basic ${Buffer.from(`${a.accountId}.01:${Buffer.from(a.password).toString('base64')}`).toString('base64')}` };
    expect((await t.req('GET', '/v1/accounts/me', zeroPadded)).statusCode).toBe(401);
    expect((await t.req('DELETE', '/v1/devices/02', a.headers)).statusCode).toBe(400);
    expect((await t.req('DELETE', '/v1/devices/002', a.headers)).statusCode).toBe(400);
  });
});
