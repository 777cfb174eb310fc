// Encrypted profiles through the real HTTP endpoints: setting one, fetching it by
// version, strangers (wrong or no version) answered exactly like an unknown user,
// bad bodies refused with typed errors and nothing stored, fetches rate limited.
import { describe, expect, it } from 'vitest';
import { base64Encode, setProfileRequest } from '@parley/wire';
import { fuzzBody, makeApp, register } from '../testing.ts';

const b64 = (n: number, fill: number) => base64Encode(new Uint8Array(n).fill(fill));
const version = (c: string) => c.repeat(64);
const body = (n = 1, extra: Record<string, unknown> = {}) => ({ version: version(String(n)), name: b64(81, n), accessKey: b64(16, n), ...extra });

describe('profiles', () => {
  it('stores the ciphertext and access key; answers the current version only', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    expect((await t.req('PUT', '/v1/profile', alice.headers, body(1, { avatar: b64(1000, 3) }))).statusCode).toBe(204);
    expect(await t.storage.accessKey(alice.accountId)).toEqual(new Uint8Array(16).fill(1));
    const r = await t.req('GET', `/v1/profile/ALICE/${version('1')}`, bob.headers);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ version: version('1'), name: b64(81, 1), avatar: b64(1000, 3) });
    // A new key: the old version is gone, and with it the picture this one does not carry.
    expect((await t.req('PUT', '/v1/profile', alice.headers, body(2, { name: b64(285, 2) }))).statusCode).toBe(204);
    expect((await t.req('GET', `/v1/profile/alice/${version('2')}`, bob.headers)).json()).toEqual({ version: version('2'), name: b64(285, 2) });
    expect(await t.storage.accessKey(alice.accountId)).toEqual(new Uint8Array(16).fill(2));
    expect((await t.req('GET', `/v1/profile/alice/${version('2')}`)).json().error.code).toBe('UNAUTHORIZED');
    expect((await t.req('PUT', '/v1/profile', {}, body(3))).json().error.code).toBe('UNAUTHORIZED');
  });

  it('a stranger without the key learns nothing: a wrong version, no profile and no user look the same', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    await register(t, 'bob');
    const carol = await register(t, 'carol');
    await t.req('PUT', '/v1/profile', alice.headers, body(1));
    const answers = await Promise.all([
      t.req('GET', `/v1/profile/alice/${version('9')}`, carol.headers), // has a profile, wrong version
      t.req('GET', `/v1/profile/bob/${version('9')}`, carol.headers), // no profile
      t.req('GET', `/v1/profile/nobody/${version('9')}`, carol.headers), // no such user
    ]);
    for (const [i, r] of answers.entries()) {
      expect(r.statusCode).toBe(404);
      const name = ['alice', 'bob', 'nobody'][i];
      expect(r.json()).toEqual({ error: { code: 'UNKNOWN_USER', message: expect.stringContaining(`no user named "${name}"`) } });
    }
    // The messages differ only by the name asked for.
    expect(answers.map((r) => r.json().error.message.replace(/"[a-z]+"/, '""'))).toEqual(Array(3).fill(answers[0]!.json().error.message.replace(/"[a-z]+"/, '""')));
    const bad = await t.req('GET', '/v1/profile/alice/not-a-version', carol.headers);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_REQUEST');
  });

  it('refuses malformed profiles with typed errors and keeps the one it has', async () => {
    const t = await makeApp();
    const alice = await register(t, 'alice');
    await t.req('PUT', '/v1/profile', alice.headers, body(1));
    await fuzzBody(body(2, { avatar: b64(100, 2) }), setProfileRequest, (b) => t.req('PUT', '/v1/profile', alice.headers, b));
    // A name whose length is not a padded one leaks its length: refused.
    for (const name of [b64(80, 1), b64(82, 1), b64(200, 1), b64(286, 1)]) {
      const r = await t.req('PUT', '/v1/profile', alice.headers, body(2, { name }));
      expect(r.statusCode).toBe(400);
      expect(r.json().error.code).toBe('BAD_REQUEST');
    }
    // An avatar over the limit is refused (by the body limit or the decoder, both typed).
    const huge = await t.req('PUT', '/v1/profile', alice.headers, body(2, { avatar: b64(512 * 1024 + 29, 1) }));
    expect(huge.statusCode).toBeGreaterThanOrEqual(400);
    expect(huge.statusCode).toBeLessThan(500);
    expect(typeof huge.json().error.code).toBe('string');
    expect(await t.storage.profile(alice.accountId)).toMatchObject({ version: version('1'), avatar: undefined });
  });

  it('rate limits fetches per account like username lookups, found or not', async () => {
    const t = await makeApp({ abuse: { lookupsPerAccountPerMinute: 3 } });
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    await t.req('PUT', '/v1/profile', alice.headers, body(1));
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await t.req('GET', `/v1/profile/alice/${version(i % 2 ? '1' : '9')}`, bob.headers);
      codes.push(r.statusCode === 200 ? 'ok' : r.json().error.code);
    }
    expect(codes).toEqual(['UNKNOWN_USER', 'ok', 'UNKNOWN_USER', 'RATE_LIMITED']);
  });
});
