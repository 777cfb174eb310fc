// The web app served at /: files, index.html for app routes, never for /v1/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeApp } from '../testing.ts';

const root = mkdtempSync(join(tmpdir(), 'parley-web-'));
mkdirSync(join(root, 'assets'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Parley</title>');
writeFileSync(join(root, 'assets', 'app-1.js'), 'console.log(1)');
writeFileSync(join(tmpdir(), 'parley-outside.txt'), 'secret');
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(join(tmpdir(), 'parley-outside.txt'), { force: true });
});

describe('web app', () => {
  it('serves files with a strict CSP, index.html for app routes, and nothing outside its root or under /v1/', async () => {
    const t = await makeApp({ webRoot: root });
    const index = await t.app.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(index.headers['cache-control']).toBe('no-cache');
    const js = await t.app.app.inject({ method: 'GET', url: '/assets/app-1.js?v=1' });
    expect(js.body).toBe('console.log(1)');
    expect(js.headers['cache-control']).toMatch(/immutable/);
    expect((await t.app.app.inject({ method: 'GET', url: '/chats/alice' })).body).toMatch(/<title>Parley/);
    expect((await t.app.app.inject({ method: 'GET', url: '/..%2fparley-outside.txt' })).body).toMatch(/<title>Parley/);
    const api = await t.app.app.inject({ method: 'GET', url: '/v1/nothing', headers: { 'x-parley-version': '0.1.0' } });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('NOT_FOUND');
    expect((await t.app.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });
});
