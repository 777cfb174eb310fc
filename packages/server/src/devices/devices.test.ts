// Linked devices through the real endpoints: link tokens, linking, listing,
// unlinking (and what an unlinked device meets afterwards).
import { describe, expect, it } from 'vitest';
import { base64Encode, changePasswordRequest, deviceListResponse, deviceSessionsResponse, LIMITS, linkDeviceRequest } from '@parley/wire';
import { credsFor, deviceSocket, fuzzBody, linkBody, linkDevice, listeningApp, makeApp, openSocket, register, sendBody, until } from '../testing.ts';

describe('linking devices', () => {
  it('a link token adds a device with the next id, once; the device signs in and is listed', async () => {
    let now = 1_000_000;
    const t = await makeApp({ now: () => now });
    const a = await register(t, 'alice');
    const tokenRes = await t.req('POST', '/v1/devices/link-token', a.headers);
    expect(tokenRes.json()).toEqual({ linkToken: expect.any(String), expiresAt: now + LIMITS.linkTtlMs });
    const { linkToken } = tokenRes.json();
    now += 5_000;
    const password = new Uint8Array(32).fill(3);
    const name = base64Encode(new Uint8Array(24).fill(6));
    const linked = await t.req('POST', '/v1/devices', {}, linkBody(linkToken, password, 99, { encryptedName: name }));
    expect(linked.statusCode).toBe(201);
    expect(linked.json()).toEqual({ accountId: a.accountId, deviceId: 2, username: 'alice' });
    const again = await t.req('POST', '/v1/devices', {}, linkBody(linkToken, password, 99));
    expect(again.statusCode).toBe(410);
    expect(again.json().error.code).toBe('LINK_EXPIRED');
    const second = await linkDevice(t, a, 60);
    expect(second.deviceId).toBe(3);
    expect((await t.req('GET', '/v1/accounts/me', second.headers)).json()).toEqual({ accountId: a.accountId, deviceId: 3, username: 'alice' });
    const list = await t.req('GET', '/v1/devices', second.headers);
    expect(deviceListResponse(list.json(), '')).toEqual({
      devices: [
        // Device 1 was seen 5 s after it registered: under the minute that "last seen" is kept to.
        { deviceId: 1, createdAt: 1_000_000, lastSeenAt: 1_000_000 },
        { deviceId: 2, createdAt: 1_005_000, lastSeenAt: 1_005_000, encryptedName: new Uint8Array(24).fill(6) },
        { deviceId: 3, createdAt: 1_005_000, lastSeenAt: 1_005_000 },
      ],
    });
    // A peer's bundle fetch now covers every device.
    const b = await register(t, 'bob');
    expect((await t.req('GET', '/v1/keys/alice', b.headers)).json().devices.map((d: { deviceId: number; registrationId: number }) => [d.deviceId, d.registrationId])).toEqual([
      [1, 42],
      [2, 99],
      [3, 60],
    ]);
  });

  it('link tokens expire', async () => {
    let now = 1_000_000;
    const t = await makeApp({ now: () => now });
    const a = await register(t, 'alice');
    const { linkToken } = (await t.req('POST', '/v1/devices/link-token', a.headers)).json();
    now += LIMITS.linkTtlMs;
    const r = await t.req('POST', '/v1/devices', {}, linkBody(linkToken, new Uint8Array(32), 5));
    expect(r.json().error.code).toBe('LINK_EXPIRED');
    const forged = await t.req('POST', '/v1/devices', {}, linkBody(base64Encode(new Uint8Array(32).fill(1)), new Uint8Array(32), 5));
    expect(forged.json().error.code).toBe('LINK_EXPIRED');
    expect((await t.req('GET', '/v1/devices', a.headers)).json().devices).toHaveLength(1);
  });

  it('at most LIMITS.maxDevicesPerAccount devices: TOO_MANY_DEVICES keeps the token for after an unlink', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    for (let i = 2; i <= LIMITS.maxDevicesPerAccount; i++) expect((await linkDevice(t, a)).deviceId).toBe(i);
    const { linkToken } = (await t.req('POST', '/v1/devices/link-token', a.headers)).json();
    const body = linkBody(linkToken, new Uint8Array(32).fill(9), 7);
    const over = await t.req('POST', '/v1/devices', {}, body);
    expect(over.statusCode).toBe(409);
    expect(over.json().error.code).toBe('TOO_MANY_DEVICES');
    expect((await t.req('DELETE', '/v1/devices/4', a.headers)).statusCode).toBe(204);
    const retry = await t.req('POST', '/v1/devices', {}, body);
    expect(retry.json()).toMatchObject({ deviceId: LIMITS.maxDevicesPerAccount + 1 });
  });

  it('link tokens are rate-limited per account', async () => {
    const t = await makeApp({ now: () => 5 });
    const a = await register(t, 'alice');
    for (let i = 0; i < LIMITS.linkTokensPerMinute; i++) expect((await t.req('POST', '/v1/devices/link-token', a.headers)).statusCode).toBe(200);
    expect((await t.req('POST', '/v1/devices/link-token', a.headers)).json().error.code).toBe('RATE_LIMITED');
    expect((await t.req('POST', '/v1/devices/link-token')).json().error.code).toBe('UNAUTHORIZED');
  });

  it('malformed link requests get typed errors and link nothing; the server keeps serving', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const { linkToken } = (await t.req('POST', '/v1/devices/link-token', a.headers)).json();
    const valid = linkBody(linkToken, new Uint8Array(32).fill(2), 5);
    await fuzzBody(valid, linkDeviceRequest, (body) => t.req('POST', '/v1/devices', {}, body));
    expect((await t.req('GET', '/v1/devices', a.headers)).json().devices).toHaveLength(1);
    // The token was never consumed by a malformed request.
    expect((await t.req('POST', '/v1/devices', {}, valid)).statusCode).toBe(201);
  });
});

describe('unlinking devices', () => {
  it('device 1 unlinks any other, a device itself; device 1 never; others not each other', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const d2 = await linkDevice(t, a);
    const d3 = await linkDevice(t, a);
    const d4 = await linkDevice(t, a);
    const code = async (headers: Record<string, string>, id: string) => {
      const r = await t.req('DELETE', `/v1/devices/${id}`, headers);
      return r.statusCode === 204 ? 204 : r.json().error.code;
    };
    expect(await code(d2.headers, '3')).toBe('FORBIDDEN');
    expect(await code(d2.headers, '1')).toBe('FORBIDDEN');
    expect(await code(a.headers, '1')).toBe('FORBIDDEN');
    expect(await code(a.headers, '9')).toBe('NOT_FOUND');
    expect(await code(a.headers, 'x')).toBe('BAD_REQUEST');
    expect(await code(a.headers, '0')).toBe('BAD_REQUEST');
    expect(await code(a.headers, '128')).toBe('BAD_REQUEST');
    expect(await code(d3.headers, '3')).toBe(204);
    expect(await code(a.headers, '4')).toBe(204);
    expect(await code(a.headers, '4')).toBe('NOT_FOUND');
    expect((await t.req('GET', '/v1/devices', a.headers)).json().devices.map((d: { deviceId: number }) => d.deviceId)).toEqual([1, 2]);
    // Ids are never reused.
    expect((await linkDevice(t, a)).deviceId).toBe(5);
    expect(d4.deviceId).toBe(4);
  });

  it("closes the device's sockets at once with DEVICE_UNLINKED; its credentials answer DEVICE_UNLINKED; its queue is gone", async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const d2 = await linkDevice(t, a, 51);
    const both = JSON.stringify({
      timestamp: 1,
      messages: [
        { deviceId: 1, registrationId: 42, type: 'whisper', content: 'AQID' },
        { deviceId: 2, registrationId: 51, type: 'whisper', content: 'AQID' },
      ],
    });
    expect((await t.req('PUT', '/v1/messages/alice', b.headers, both)).statusCode).toBe(200);
    const s2 = await deviceSocket(t.port, d2);
    const s1 = await deviceSocket(t.port, a);
    await s2.next((f) => f.type === 'envelope');
    expect(await t.storage.queueLength(a.accountId, 2)).toBe(1);

    expect((await t.req('DELETE', '/v1/devices/2', a.headers)).statusCode).toBe(204);
    expect(await s2.closed).toBe(4401);
    expect(s2.frames.at(-1)).toEqual({ type: 'error', code: 'DEVICE_UNLINKED', message: expect.stringMatching(/unlinked/) });
    expect(s1.ws.readyState).toBe(s1.ws.OPEN);
    expect(await t.storage.queueLength(a.accountId, 2)).toBe(0);

    const http = await t.req('GET', '/v1/accounts/me', d2.headers);
    expect(http.statusCode).toBe(401);
    expect(http.json().error.code).toBe('DEVICE_UNLINKED');
    const again = await openSocket(t.port);
    again.send({ type: 'auth', version: '0.1.0', accountId: d2.accountId, deviceId: 2, password: base64Encode(d2.password) });
    expect(await again.closed).toBe(4401);
    expect(again.frames).toEqual([{ type: 'error', code: 'DEVICE_UNLINKED', message: expect.any(String) }]);
    // A device that never existed is still just UNAUTHORIZED.
    const never = await t.req('GET', '/v1/accounts/me', { authorization: `Basic ${Buffer.from(`${a.accountId}.7:${base64Encode(d2.password)}`).toString('base64')}` });
    expect(never.json().error.code).toBe('UNAUTHORIZED');
    // Senders must now leave the device out.
    const stale = await t.req('PUT', '/v1/messages/alice', b.headers, both);
    expect(stale.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [], extraDevices: [2] });
    s1.ws.close();
  });

  it('a send to oneself covers the other devices, never the sending one', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const d2 = await linkDevice(t, a, 51);
    const toSelf = await t.req('PUT', '/v1/messages/alice', a.headers, sendBody(1, 42));
    expect(toSelf.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', missingDevices: [2], extraDevices: [1] });
    expect((await t.req('PUT', '/v1/messages/alice', a.headers, sendBody(2, 51))).statusCode).toBe(200);
    expect((await t.req('PUT', '/v1/messages/alice', d2.headers, sendBody(1, 42))).statusCode).toBe(200);
    expect(await t.storage.queueLength(a.accountId, 2)).toBe(1);
    expect(await t.storage.queueLength(a.accountId, 1)).toBe(1);
  });
});

describe('changing a device password (credential rotation)', () => {
  const body = (password: Uint8Array) => JSON.stringify({ password: base64Encode(password) });

  it('signs out every copy of the old password, on sockets and requests; the new one works; other devices are untouched', async () => {
    const t = await listeningApp();
    const a = await register(t, 'alice');
    const d2 = await linkDevice(t, a, 51);
    // The device's own connection and a thief's copy of its credentials.
    const mine = await deviceSocket(t.port, a);
    const thief = await deviceSocket(t.port, a);
    const other = await deviceSocket(t.port, d2);
    const fresh = new Uint8Array(32).fill(77);
    expect((await t.req('PUT', '/v1/devices/password', a.headers, body(fresh))).statusCode).toBe(204);
    for (const s of [mine, thief]) {
      expect(await s.closed).toBe(4401);
      expect(s.frames.at(-1)).toEqual({ type: 'error', code: 'CREDENTIALS_CHANGED', message: expect.stringMatching(/password was changed/) });
    }
    expect(other.ws.readyState).toBe(other.ws.OPEN);
    expect((await t.req('GET', '/v1/accounts/me', a.headers)).json().error.code).toBe('UNAUTHORIZED');
    const old = await openSocket(t.port);
    old.send({ type: 'auth', version: '0.1.0', accountId: a.accountId, deviceId: 1, password: base64Encode(a.password) });
    expect(await old.closed).toBe(4401);
    expect(old.frames[0]).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
    const now = credsFor(a.accountId, 1, fresh, 'alice', 42);
    expect((await t.req('GET', '/v1/accounts/me', now.headers)).json()).toMatchObject({ accountId: a.accountId, deviceId: 1 });
    const back = await deviceSocket(t.port, now);
    expect(back.ws.readyState).toBe(back.ws.OPEN);
    back.ws.close();
    other.ws.close();
  });

  it('refuses the current password as the new one, malformed bodies and strangers, and changes nothing', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const same = await t.req('PUT', '/v1/devices/password', a.headers, body(a.password));
    expect(same.json().error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/current one/) });
    expect((await t.req('PUT', '/v1/devices/password', {}, body(new Uint8Array(32).fill(1)))).json().error.code).toBe('UNAUTHORIZED');
    await fuzzBody({ password: base64Encode(new Uint8Array(32).fill(5)) }, changePasswordRequest, (b) => t.req('PUT', '/v1/devices/password', a.headers, b));
    expect((await t.req('GET', '/v1/accounts/me', a.headers)).statusCode).toBe(200);
  });

  it('is rate limited per device', async () => {
    const t = await makeApp({ now: () => 5 });
    let a = await register(t, 'alice');
    for (let i = 1; i <= 10; i++) {
      const next = new Uint8Array(32).fill(i);
      expect((await t.req('PUT', '/v1/devices/password', a.headers, body(next))).statusCode).toBe(204);
      a = credsFor(a.accountId, 1, next, 'alice', 42);
    }
    expect((await t.req('PUT', '/v1/devices/password', a.headers, body(new Uint8Array(32).fill(99)))).json().error.code).toBe('RATE_LIMITED');
    expect((await t.req('GET', '/v1/accounts/me', a.headers)).statusCode).toBe(200);
  });
});

describe("an account's sessions", () => {
  it("lists every open connection of the account's devices with when it authenticated, and only the account's", async () => {
    let now = 2_000_000;
    const t = await listeningApp({ now: () => now });
    const a = await register(t, 'alice');
    const d2 = await linkDevice(t, a, 51);
    const b = await register(t, 'bob');
    const list = async () => deviceSessionsResponse((await t.req('GET', '/v1/devices/sessions', d2.headers)).json(), '').sessions;
    expect(await list()).toEqual([]);
    const s1 = await deviceSocket(t.port, a);
    now += 1_000;
    const s1b = await deviceSocket(t.port, a);
    now += 1_000;
    const s2 = await deviceSocket(t.port, d2);
    const sb = await deviceSocket(t.port, b);
    expect(await list()).toEqual([
      { deviceId: 1, connectedAt: 2_000_000 },
      { deviceId: 1, connectedAt: 2_001_000 },
      { deviceId: 2, connectedAt: 2_002_000 },
    ]);
    s1.ws.close();
    await until(async () => (await list()).length === 2, 'closed connection gone');
    expect(await list()).toEqual([
      { deviceId: 1, connectedAt: 2_001_000 },
      { deviceId: 2, connectedAt: 2_002_000 },
    ]);
    expect((await t.req('GET', '/v1/devices/sessions')).json().error.code).toBe('UNAUTHORIZED');
    for (const s of [s1b, s2, sb]) s.ws.close();
  });
});

describe('last seen', () => {
  it('requests record it at most once a minute; socket authentication always', async () => {
    let now = 1_000_000;
    const t = await listeningApp({ now: () => now });
    const a = await register(t, 'alice');
    const seen = async () => (await t.storage.device(a.accountId, 1))!.lastSeenAt;
    now += 30_000;
    await t.req('GET', '/v1/accounts/me', a.headers);
    expect(await seen()).toBe(1_000_000);
    now += 31_000;
    await t.req('GET', '/v1/accounts/me', a.headers);
    expect(await seen()).toBe(1_061_000);
    now += 1_000;
    const s = await deviceSocket(t.port, a);
    expect(await seen()).toBe(1_062_000);
    s.ws.close();
  });
});
