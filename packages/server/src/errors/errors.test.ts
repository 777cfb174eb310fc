// The error conventions every endpoint shares: typed bodies, statuses from wire's table.
import { describe, expect, it } from 'vitest';
import { makeApp, register, V } from '../testing.ts';

describe('errors', () => {
  it('refuses old clients with UPGRADE_REQUIRED and the required version', async () => {
    const t = await makeApp();
    const r = await t.app.app.inject({ method: 'GET', url: '/v1/accounts/me', headers: { 'x-parley-version': '0.0.9' } });
    expect(r.statusCode).toBe(426);
    expect(r.json().error).toMatchObject({ code: 'UPGRADE_REQUIRED', requiredVersion: '0.1.0' });
  });

  it('unknown endpoints are NOT_FOUND; bodies that are not JSON are BAD_REQUEST', async () => {
    const t = await makeApp();
    const a = await register(t, 'alice');
    const none = await t.req('GET', '/v1/nothing-here', a.headers);
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('NOT_FOUND');
    const text = await t.app.app.inject({ method: 'PUT', url: '/v1/keys', headers: { ...a.headers, 'content-type': 'text/plain' }, payload: '{}' });
    expect(text.statusCode).toBe(400);
    expect(text.json().error.code).toBe('BAD_REQUEST');
    const empty = await t.app.app.inject({ method: 'PUT', url: '/v1/keys', headers: { ...V, authorization: a.headers.authorization! } });
    expect(empty.json().error.code).toBe('BAD_REQUEST');
  });
});
