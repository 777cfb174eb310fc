// Authentication through the real HTTP endpoints and socket.
import { describe, expect, it } from 'vitest';
import { base64Encode } from '@parley/wire';
import { makeApp, openSocket, listeningApp, register, sendBody, V } from '../testing.ts';

describe('authentication', () => {
  it('authenticates every request; wrong credentials change nothing', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const wrong = `Basic ${Buffer.from(`${a.accountId}.1:${base64Encode(new Uint8Array(32))}`).toString('base64')}`;
    const otherDevice = `Basic ${Buffer.from(`${a.accountId}.2:${base64Encode(a.password)}`).toString('base64')}`;
    for (const authorization of [wrong, otherDevice, 'Basic !!!', 'Bearer x', '']) {
      const r = await t.req('PUT', '/v1/messages/bob', { ...V, authorization }, sendBody());
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHORIZED');
    }
    expect(await t.storage.queueLength(b.accountId, 1)).toBe(0);
    expect(t.app.hub.size).toBe(0);
  });

  it('a socket with a wrong password is closed with UNAUTHORIZED', async () => {
    const t = await listeningApp();
    const b = await register(t, 'bob');
    const s = await openSocket(t.port);
    s.send({ type: 'auth', version: '0.1.0', accountId: b.accountId, deviceId: 1, password: base64Encode(new Uint8Array(32)) });
    expect(await s.closed).toBe(4401);
    expect(s.frames).toEqual([{ type: 'error', code: 'UNAUTHORIZED', message: expect.any(String) }]);
  });
});
