/**
 * `npm run bench:sealed`: one client hands a real server (in this process, SQLite,
 * durable, loopback) N sealed 1:1 sends one after another, as the SDK does under its
 * operation lock, three ways: over the unidentified socket (`sealed-send` frames), over
 * HTTP on a kept-alive connection, and over HTTP with a new TCP connection per send
 * (`Connection: close`, what a client without pooling pays). Prints sends/s and the
 * p50/p99 time from send to the server's answer for each. Bounded: a fixed count.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { KeyPair, PrivateKey } from '@parley/protocol';
import { base64Encode, UNIDENTIFIED_SOCKET_PATH } from '@parley/wire';
import { buildApp } from '../src/app.ts';
import { issueServerKeys } from '../src/sealed/keys.ts';
import { SqliteStorage } from '../src/storage/sqlite.ts';

const SENDS = Number(process.env.BENCH_SENDS ?? 2000);
const PAYLOAD = base64Encode(new Uint8Array(600).map((_, i) => (i * 13) & 255)); // a sealed ~400-byte message
const VERSION = '0.1.0';
const keepAliveAgent = new Agent({ keepAlive: true, maxSockets: 1 });

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function report(name: string, latencies: number[], ms: number): void {
  const s = [...latencies].sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} ${Math.round((latencies.length / ms) * 1000).toString().padStart(6)} sends/s  p50 ${percentile(s, 50).toFixed(2)} ms  p99 ${percentile(s, 99).toFixed(2)} ms`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-sealed-'));
  const storage = new SqliteStorage(join(dir, 'parley.sqlite'));
  const app = await buildApp(
    { minClientVersion: VERSION, logLevel: 'silent', abuse: { sealedSendsPerAddressPerMinute: 1_000_000 }, hardening: { maxQueuedSealedPerDevice: 1_000_000 }, maxQueuedPerDevice: 1_000_000 },
    { storage, serverSecret: new Uint8Array(32).fill(7), sealedSender: issueServerKeys(PrivateKey.generate()) },
  );
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.app.server.address() as { port: number }).port;
  try {
    const password = new Uint8Array(randomBytes(32));
    const reg = await app.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: { 'x-parley-version': VERSION, 'content-type': 'application/json' },
      payload: JSON.stringify({
        username: 'bob',
        password: base64Encode(password),
        registrationId: 42,
        identityKey: base64Encode(KeyPair.generate().publicKey.serialize()),
        signedPreKey: { keyId: 1, publicKey: base64Encode(new Uint8Array(33).fill(5)), signature: base64Encode(new Uint8Array(64).fill(1)) },
        pqLastResortPreKey: { keyId: 1, publicKey: base64Encode(new Uint8Array(1569).fill(8)), signature: base64Encode(new Uint8Array(64).fill(1)) },
      }),
    });
    const accountId = (reg.json() as { accountId: string }).accountId;
    const accessKey = new Uint8Array(randomBytes(16));
    await storage.setProfile({ accountId, version: 'v'.repeat(64), name: new Uint8Array(81), avatar: undefined, accessKey, updatedAt: 1 });
    const body = (i: number) => ({ timestamp: i + 1, messages: [{ deviceId: 1, registrationId: 42, content: PAYLOAD }] });

    // The unidentified socket.
    {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${UNIDENTIFIED_SOCKET_PATH}?version=${VERSION}`);
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      const waiting = new Map<number, () => void>();
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as { type: string; requestId?: number; code?: string };
        if (f.type === 'send-failed') throw new Error(`refused: ${f.code}`);
        if (f.type === 'sent') waiting.get(f.requestId!)?.();
      });
      const lat: number[] = [];
      const start = performance.now();
      for (let i = 0; i < SENDS; i++) {
        const t = performance.now();
        await new Promise<void>((r) => {
          waiting.set(i + 1, r);
          ws.send(JSON.stringify({ type: 'sealed-send', requestId: i + 1, to: 'bob', accessKey: base64Encode(accessKey), request: body(i) }));
        });
        lat.push(performance.now() - t);
      }
      report('unidentified socket', lat, performance.now() - start);
      ws.close();
    }
    // HTTP, kept alive or a new connection per send.
    for (const keepAlive of [true, false]) {
      const lat: number[] = [];
      const start = performance.now();
      for (let i = 0; i < SENDS; i++) {
        const t = performance.now();
        const payload = JSON.stringify(body(i));
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              method: 'PUT',
              path: '/v1/messages/bob',
              agent: keepAlive ? keepAliveAgent : false,
              headers: { 'x-parley-version': VERSION, 'content-type': 'application/json', 'unidentified-access-key': base64Encode(accessKey), 'content-length': Buffer.byteLength(payload), ...(keepAlive ? {} : { connection: 'close' }) },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          );
          req.on('error', reject);
          req.end(payload);
        });
        if (status !== 200) throw new Error(`HTTP ${status}`);
        lat.push(performance.now() - t);
      }
      report(keepAlive ? 'HTTP, kept-alive connection' : 'HTTP, new connection each', lat, performance.now() - start);
    }
  } finally {
    keepAliveAgent.destroy();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
