// Health and Prometheus metrics.
import { describe, expect, it } from 'vitest';
import { makeApp, register } from '../testing.ts';

describe('metrics', () => {
  it('answers /healthz and counts errors by code in /metrics', async () => {
    const t = await makeApp({ metricsToken: 'token-0123456789' });
    await register(t, 'alice');
    expect((await t.req('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    await t.req('GET', '/v1/accounts/me');
    expect((await t.app.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await t.app.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer token-0123456789x' } })).statusCode).toBe(401);
    const m = await t.app.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer token-0123456789' } });
    expect(m.headers['content-type']).toMatch(/text\/plain/);
    expect(m.body).toMatch(/parley_errors_total\{code="UNAUTHORIZED"\} 3/);
    expect(m.body).toMatch(/parley_websockets 0/);
  });
});
