// GET /v1/notices: only for authenticated devices; each account gets the notices
// addressed to it or to everyone that have not expired (newest first), with the
// operator's public key and the kill switch; the operator tool's file round-trips
// and a damaged file stops the server with what to do.
import { generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noticePayload, noticesResponse } from '@parley/wire';
import { makeApp, register } from '../testing.ts';
import { loadNoticesFile } from './notices.ts';
import { noticesFileText, rawPublicKey, signNotice } from './operator.ts';

const key = generateKeyPairSync('ed25519').privateKey;
const T = 1_700_000_000_000;
const n = (id: string, to: string[], issuedAt = T, expiresAt = T + 3600_000) => signNotice(key, { v: 1, id, issuedAt, expiresAt, to, title: id, body: 'update' });

describe('notices', () => {
  it('hands each account its unexpired notices, newest first, with the key and the switched-off features', async () => {
    const t = await makeApp({
      now: () => T + 1000,
      notices: { publicKey: rawPublicKey(key), notices: [n('old-all', ['*'], T - 10), n('bob', ['bob']), n('expired', ['*'], T - 7200_000, T), n('new-alice', ['alice', 'carl'], T + 5)] },
      disabledFeatures: ['attachments'],
    });
    const alice = await register(t, 'alice');
    const r = await t.req('GET', '/v1/notices', alice.headers);
    expect(r.statusCode).toBe(200);
    const body = noticesResponse(r.json(), '');
    expect(body.disabledFeatures).toEqual(['attachments']);
    expect(body.publicKey).toEqual(rawPublicKey(key));
    expect(body.notices.map((x) => noticePayload(JSON.parse(new TextDecoder().decode(x.payload)), '').id)).toEqual(['new-alice', 'old-all']);
    expect((await t.req('GET', '/v1/notices', { 'x-parley-version': '0.1.0' })).statusCode).toBe(401);
    // Uploads are refused while attachments are switched off.
    const up = await t.req('POST', '/v1/attachments', alice.headers, { size: 100 });
    expect(up.statusCode).toBe(403);
    expect(up.json().error.code).toBe('FEATURE_DISABLED');
  });

  it('without a notices file: no key, no notices', async () => {
    const t = await makeApp();
    const bob = await register(t, 'bob');
    expect((await t.req('GET', '/v1/notices', bob.headers)).json()).toEqual({ disabledFeatures: [], notices: [] });
  });

  it("the operator tool's file loads back; a damaged one is an error that says what to do", () => {
    const dir = tmpdir();
    const path = join(dir, `parley-notices-${process.pid}.json`);
    const file = { publicKey: rawPublicKey(key), notices: [n('a', ['*'])] };
    writeFileSync(path, noticesFileText(file));
    expect(loadNoticesFile(path)).toEqual(file);
    writeFileSync(path, '{"publicKey": "AAAA", "notices": []}');
    expect(() => loadNoticesFile(path)).toThrow(/not valid .*npm run notice/);
    expect(() => loadNoticesFile(`${path}.missing`)).toThrow(/cannot read the notices file .*npm run notice -- sign/);
    rmSync(path);
  });

  it('the operator tool refuses a payload the clients would refuse', () => {
    expect(() => signNotice(key, { v: 1, id: 'bad id with spaces', issuedAt: T, expiresAt: T + 1, to: ['*'], title: 't', body: 'b' })).toThrow(/id/);
    expect(() => signNotice(key, { v: 1, id: 'x', issuedAt: T, expiresAt: T + 1, to: ['Not A Username'], title: 't', body: 'b' })).toThrow(/to/);
  });
});
