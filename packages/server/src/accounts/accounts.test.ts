// Accounts through the real HTTP endpoints: registration, who am I, lookup by username.
import { describe, expect, it } from 'vitest';
import { base64Encode } from '@parley/wire';
import { key33, kem, makeApp, register, sig } from '../testing.ts';

describe('accounts', () => {
  it('registers unique usernames and rejects bad ones with typed errors', async () => {
    const t = await makeApp();
    await register(t, 'alice');
    const dup = await t.req('POST', '/v1/accounts', {}, { username: 'alice' });
    expect(dup.statusCode).toBe(400);
    const again = await t.req('POST', '/v1/accounts', {}, {
      username: 'alice',
      password: base64Encode(new Uint8Array(32)),
      registrationId: 1,
      identityKey: key33(),
      signedPreKey: { keyId: 1, publicKey: key33(), signature: sig() },
      pqLastResortPreKey: { keyId: 1, publicKey: kem(), signature: sig() },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('USERNAME_TAKEN');
  });

  it('answers who am I', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    expect((await t.req('GET', '/v1/accounts/me', a.headers)).json()).toEqual({ accountId: a.accountId, deviceId: 1, username: 'alice' });
  });

  it('looks an account up by username (case-insensitive), consuming nothing; UNKNOWN_USER otherwise', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const b = await register(t, 'bob');
    await t.req('PUT', '/v1/keys', b.headers, { preKeys: [{ keyId: 3, publicKey: key33() }] });
    const r = await t.req('GET', '/v1/accounts/username/BOB', a.headers);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ accountId: b.accountId, username: 'bob' });
    expect((await t.req('GET', '/v1/keys/count', b.headers)).json()).toEqual({ preKeys: 1, pqPreKeys: 0 });
    for (const name of ['nobody', 'x', '%20', 'a'.repeat(40)]) {
      const missing = await t.req('GET', `/v1/accounts/username/${name}`, a.headers);
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('UNKNOWN_USER');
    }
    expect((await t.req('GET', '/v1/accounts/username/bob')).json().error.code).toBe('UNAUTHORIZED');
  });
});
