// Health and Prometheus metrics.
import { describe, expect, it } from 'vitest';
import { makeApp, register } from '../testing.ts';

describe('metrics', () => {
  it('answers /healthz and counts errors by code in /metrics', async () => {
    const t = await makeApp();
    await register(t, 'alice');
    expect((await t.req('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    await t.req('GET', '/v1/accounts/me');
    const m = await t.app.app.inject({ method: 'GET', url: '/metrics' });
    expect(m.headers['content-type']).toMatch(/text\/plain/);
    expect(m.body).toMatch(/parley_errors_total\{code="UNAUTHORIZED"\} 1/);
    expect(m.body).toMatch(/parley_websockets 0/);
  });
});
