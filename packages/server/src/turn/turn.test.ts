// TURN credentials.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeApp, register } from '../testing.ts';

describe('turn', () => {
  it('hands out coturn REST credentials valid for an hour; without a relay, 204 and no body (nothing a browser logs as an error)', async () => {
    const t = await makeApp({ turnUrls: ['turn:127.0.0.1:3478'], turnSecret: 's3cret', now: () => 1_000_000 });
    const a = await register(t, 'alice');
    const r = (await t.req('GET', '/v1/turn', a.headers)).json();
    expect(r).toEqual({ urls: ['turn:127.0.0.1:3478'], username: `${1000 + 3600}:${a.accountId}`, credential: expect.any(String), ttl: 3600 });
    expect(r.credential).toBe(createHmac('sha1', 's3cret').update(r.username).digest('base64'));
    const none = await makeApp();
    const b = await register(none, 'bob');
    const answer = await none.req('GET', '/v1/turn', b.headers);
    expect(answer.statusCode).toBe(204);
    expect(answer.body).toBe('');
  });
});
