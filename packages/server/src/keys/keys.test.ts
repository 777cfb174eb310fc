// Prekeys through the real HTTP endpoints.
import { describe, expect, it } from 'vitest';
import { key33, kem, makeApp, register, sig } from '../testing.ts';

describe('keys', () => {
  it('hands out each one-time prekey once, falls back to the last-resort KEM key, and rate-limits bundle fetches', async () => {
    const t = await makeApp({ bundleFetchesPerMinute: 3 });
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    const up = await t.req('PUT', '/v1/keys', b.headers, {
      preKeys: [{ keyId: 10, publicKey: key33() }, { keyId: 11, publicKey: key33() }],
      pqPreKeys: [{ keyId: 20, publicKey: kem(), signature: sig() }],
    });
    expect(up.json()).toEqual({ preKeys: 2, pqPreKeys: 1 });
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const r = (await t.req('GET', '/v1/keys/bob', a.headers)).json();
      ids.push([r.devices[0].preKey?.keyId, r.devices[0].pqPreKey.keyId]);
    }
    expect(ids).toEqual([
      [10, 20],
      [11, 1],
      [undefined, 1],
    ]);
    const limited = await t.req('GET', '/v1/keys/bob', a.headers);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect((await t.req('GET', '/v1/keys/count', b.headers)).json()).toEqual({ preKeys: 0, pqPreKeys: 0 });
    // Unknown names count against the requester's allowance too (no free probing).
    expect((await t.req('GET', '/v1/keys/nobody', a.headers)).json().error.code).toBe('RATE_LIMITED');
    expect((await t.req('GET', '/v1/keys/nobody', b.headers)).json().error.code).toBe('UNKNOWN_USER');
  });
});
