/**
 * A recipient's queue cannot be blocked by strangers (issue 16): per-sender quotas
 * and an exact device cap under concurrency. The quotas are storage's, so this runs
 * on SQLite and, in the node-postgres project, on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { base64Encode } from '@parley/wire';
import { deviceSocket, listeningApp, register, TEST_STORAGE } from '../testing.ts';

function report(what: string, figures: Record<string, number | string>): void {
  console.log(`hostile: ${what}: ${Object.entries(figures).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

function sendBodyOf(content: Uint8Array): string {
  return JSON.stringify({ timestamp: 1, messages: [{ deviceId: 1, registrationId: 42, type: 'whisper', content: base64Encode(content) }] });
}

describe('a recipient\'s queue cannot be blocked by strangers', () => {
  it('per-sender quotas leave room for others, and the device cap is exact under concurrency', async () => {
    const t = await listeningApp({ maxQueuedPerDevice: 300, hardening: { maxQueuedPerSender: 80 }, abuse: { sendsPerAccountPerMinute: 100_000 } });
    const alice = await register(t, 'alice');
    const strangers = await Promise.all(['s1', 's2', 's3', 's4', 's5'].map((u) => register(t, `stranger_${u}`)));
    // 16 sockets, 5 strangers, each trying 120 sends at once.
    const socks = await Promise.all(Array.from({ length: 16 }, (_, i) => deviceSocket(t.port, strangers[i % 5]!)));
    let requestId = 0;
    const answers: Array<Promise<Record<string, unknown>>> = [];
    for (let k = 0; k < 120; k++) {
      for (const [i, st] of strangers.entries()) {
        const sock = socks[(i + 5 * (k % 3)) % 16]!;
        void st;
        const id = ++requestId;
        sock.send({ type: 'send', requestId: id, to: 'alice', request: JSON.parse(sendBodyOf(new Uint8Array([k & 255]))) });
        answers.push(sock.next((f) => (f.type === 'sent' || f.type === 'send-failed') && f.requestId === id, `answer ${id}`));
      }
    }
    const got = await Promise.all(answers);
    const stored = await t.storage.queueLength(alice.accountId, 1);
    const accepted = got.filter((f) => f.type === 'sent').length;
    report(`inbox flood (${TEST_STORAGE})`, { attempts: got.length, accepted, 'alice queue length': stored, 'device cap': 300, 'per-sender quota': 80 });
    // 5 x 80 would be 400: the device cap (300) holds exactly, and nobody got over 80.
    expect(stored).toBe(300);
    expect(accepted).toBe(300);
    for (const s of socks) s.ws.terminate();
  }, 120_000);

  it('three strangers at their quota leave a contact able to send', async () => {
    const t = await listeningApp({ maxQueuedPerDevice: 300, hardening: { maxQueuedPerSender: 60 }, abuse: { sendsPerAccountPerMinute: 100_000 } });
    const alice = await register(t, 'alice');
    const bob = await register(t, 'bob');
    const strangers = await Promise.all(['a', 'b', 'c'].map((u) => register(t, `stranger_${u}`)));
    const results = await Promise.all(
      strangers.flatMap((st) => Array.from({ length: 100 }, () => t.req('PUT', '/v1/messages/alice', st.headers, sendBodyOf(new Uint8Array([9]))))),
    );
    const limited = results.filter((r) => r.statusCode === 429);
    expect(limited.length).toBe(3 * 40);
    expect(limited[0]!.json().error.code).toBe('RATE_LIMITED');
    const fromBob = await t.req('PUT', '/v1/messages/alice', bob.headers, sendBodyOf(new Uint8Array([1])));
    report(`strangers vs a contact (${TEST_STORAGE})`, { 'stranger sends': 300, refused: limited.length, 'alice queue': await t.storage.queueLength(alice.accountId, 1), 'bob status': fromBob.statusCode });
    expect(fromBob.statusCode).toBe(200);
  }, 120_000);
});
