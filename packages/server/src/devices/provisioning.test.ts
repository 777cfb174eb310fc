// Provisioning channels through the real endpoints: a new device opens one and
// polls it; an existing device fetches its key and leaves one message.
import { describe, expect, it } from 'vitest';
import { base64Encode, CHANNEL_ID_PATTERN, LIMITS, openChannelRequest, openChannelResponse, provisioningMessageRequest } from '@parley/wire';
import { fuzzBody, key33, makeApp, register, type TestApp, TEST_STORAGE } from '../testing.ts';

const TOKEN = 'x-parley-provisioning-token';

async function open(t: TestApp, remoteAddress?: string) {
  const r = await t.app.app.inject({
    method: 'POST',
    url: '/v1/provisioning',
    headers: { 'x-parley-version': '0.1.0', 'content-type': 'application/json' },
    payload: JSON.stringify({ publicKey: key33() }),
    ...(remoteAddress ? { remoteAddress } : {}),
  });
  return { statusCode: r.statusCode, json: () => r.json() };
}

const poll = (t: TestApp, channelId: string, readToken: string) => t.req('GET', `/v1/provisioning/${channelId}/message`, { [TOKEN]: readToken });
const message = base64Encode(new Uint8Array(300).fill(4));

describe('provisioning', () => {
  it('carries one message from an existing device to the new one, which is woken by it', async () => {
    const now = 1_000_000;
    const t = await makeApp({ now: () => now, provisioningPollMs: 60_000 });
    const a = await register(t, 'alice');
    const opened = await open(t);
    expect(opened.statusCode).toBe(200);
    const ch = openChannelResponse(opened.json(), '');
    expect(ch.channelId).toMatch(CHANNEL_ID_PATTERN);
    expect(ch.expiresAt).toBe(now + LIMITS.linkTtlMs);
    const { readToken } = opened.json() as { readToken: string };

    // The new device waits; the existing one fetches the key and answers.
    const waiting = poll(t, ch.channelId, readToken);
    const key = await t.req('GET', `/v1/provisioning/${ch.channelId}`, a.headers);
    expect(key.json()).toEqual({ publicKey: key33() });
    const put = await t.req('PUT', `/v1/provisioning/${ch.channelId}`, a.headers, { message });
    expect(put.statusCode).toBe(204);
    const got = await waiting;
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual({ message });
    // Once only.
    const twice = await t.req('PUT', `/v1/provisioning/${ch.channelId}`, a.headers, { message });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('CONFLICT');
  });

  it('a message left before the poll is answered at once, then deleted; an empty poll answers 204', async () => {
    const t = await makeApp({ provisioningPollMs: 50 });
    const a = await register(t, 'alice');
    const { channelId, readToken } = (await open(t)).json();
    expect((await poll(t, channelId, readToken)).statusCode).toBe(204);
    expect((await t.req('PUT', `/v1/provisioning/${channelId}`, a.headers, { message })).statusCode).toBe(204);
    expect((await poll(t, channelId, readToken)).json()).toEqual({ message });
    expect((await poll(t, channelId, readToken)).statusCode).toBe(204);
  });

  it('the read token is required and checked; other devices need their credentials', async () => {
    const t = await makeApp({ provisioningPollMs: 50 });
    const { channelId } = (await open(t)).json();
    for (const token of [undefined, 'nope', base64Encode(new Uint8Array(32))]) {
      const r = await t.req('GET', `/v1/provisioning/${channelId}/message`, token === undefined ? {} : { [TOKEN]: token });
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe('UNAUTHORIZED');
    }
    expect((await t.req('GET', `/v1/provisioning/${channelId}`)).json().error.code).toBe('UNAUTHORIZED');
    expect((await t.req('PUT', `/v1/provisioning/${channelId}`, {}, { message })).json().error.code).toBe('UNAUTHORIZED');
  });

  it('expired or unknown channels answer LINK_EXPIRED everywhere; malformed ids BAD_REQUEST', async () => {
    let now = 1_000_000;
    const t = await makeApp({ now: () => now, provisioningPollMs: 50 });
    const a = await register(t, 'alice');
    const { channelId, readToken } = (await open(t)).json();
    now += LIMITS.linkTtlMs;
    const codes = [
      await t.req('GET', `/v1/provisioning/${channelId}`, a.headers),
      await t.req('PUT', `/v1/provisioning/${channelId}`, a.headers, { message }),
      await poll(t, channelId, readToken),
      await t.req('GET', '/v1/provisioning/abcdefghjk', a.headers),
    ].map((r) => [r.statusCode, r.json().error.code]);
    expect(codes).toEqual(Array(4).fill([410, 'LINK_EXPIRED']));
    for (const bad of ['short', 'ABCDEFGHJK', 'abcdefghj1']) {
      expect((await t.req('GET', `/v1/provisioning/${bad}`, a.headers)).json().error.code).toBe('BAD_REQUEST');
    }
  });

  it('one poll per channel: a newer poll answers the older one 204', async () => {
    const t = await makeApp({ provisioningPollMs: 60_000 });
    const a = await register(t, 'alice');
    const { channelId, readToken } = (await open(t)).json();
    const first = poll(t, channelId, readToken);
    const second = poll(t, channelId, readToken);
    expect((await first).statusCode).toBe(204);
    await t.req('PUT', `/v1/provisioning/${channelId}`, a.headers, { message });
    expect((await second).json()).toEqual({ message });
  });

  it(`at most ${LIMITS.maxProvisioningPolls} polls wait at once; closing the server answers them`, async () => {
    const t = await makeApp({ provisioningPollMs: 600_000 });
    const channels = [];
    for (let i = 0; i <= LIMITS.maxProvisioningPolls; i++) channels.push((await open(t, `10.0.${i >> 8}.${i & 255}`)).json() as { channelId: string; readToken: string });
    const polls = channels.slice(0, LIMITS.maxProvisioningPolls).map((c) => poll(t, c.channelId, c.readToken));
    // Each poll is registered once its channel has been read from storage: wait for the last
    // (SQLite answers within the turn; PostgreSQL over the network, ~2,000 queries).
    await new Promise((r) => (TEST_STORAGE === 'sqlite' ? setImmediate(r) : setTimeout(r, 4_000)));
    const last = channels.at(-1)!;
    const over = await poll(t, last.channelId, last.readToken);
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('RATE_LIMITED');
    await t.app.close();
    expect(new Set((await Promise.all(polls)).map((r) => r.statusCode))).toEqual(new Set([204]));
  });

  it('channels opened per address are limited', async () => {
    const t = await makeApp({ now: () => 7 });
    for (let i = 0; i < LIMITS.provisioningChannelsPerMinute; i++) expect((await open(t, '10.1.1.1')).statusCode).toBe(200);
    expect((await open(t, '10.1.1.1')).json().error.code).toBe('RATE_LIMITED');
    expect((await open(t, '10.1.1.2')).statusCode).toBe(200);
  });

  it('malformed bodies get typed errors and change nothing', async () => {
    const t = await makeApp({ provisioningPollMs: 50 });
    const a = await register(t, 'alice');
    const { channelId, readToken } = (await open(t, '10.9.9.9')).json();
    await fuzzBody({ publicKey: key33() }, openChannelRequest, (body) => t.req('POST', '/v1/provisioning', {}, body));
    await fuzzBody({ message }, provisioningMessageRequest, (body) => t.req('PUT', `/v1/provisioning/${channelId}`, a.headers, body));
    // The channel still takes its one message.
    expect((await t.req('PUT', `/v1/provisioning/${channelId}`, a.headers, { message })).statusCode).toBe(204);
    expect((await poll(t, channelId, readToken)).json()).toEqual({ message });
  });
});
