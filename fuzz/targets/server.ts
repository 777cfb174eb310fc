/**
 * The server's WebSocket frame handling as a whole (socket.ts: size checks, the
 * decoder, auth state, sends, acks), not only its decoder: a real server in this
 * process (SQLite in a temp directory, loopback), one registered device whose
 * authenticated socket sends each mutated frame. The server must answer with a
 * typed refusal (an error frame and its close code, or `send-failed` with a code)
 * or accept the frame; a close with 1011 or an INTERNAL answer is a finding (the
 * handler met an exception it does not know). The socket is reopened after each
 * close. The unidentified socket (sealed/unidentified-socket.ts: no account, sealed
 * sends to alice, whose access key is set) is judged the same way. Slow (a round trip
 * per input), so few inputs per second.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { buildApp, LocalDiskBlobStore, SqliteStorage } from '@parley/server';
import { base64Encode, PARLEY_VERSION, UNIDENTIFIED_SOCKET_PATH } from '@parley/wire';
import { createClient, MemoryClientStore } from '@parley/client';
import { nodeWebSocket } from '../../packages/client/src/node/ws.ts';
import type { Target } from '../lib/target.ts';

/** The server refused the frame with a typed answer. */
class Refused extends Error {
  override readonly name = 'Refused';
}

/** alice's access key in the fuzzing server, which the corpus's sealed-send frames present. */
export const UNIDENTIFIED_FUZZ_ACCESS_KEY = new Uint8Array(16).fill(0x5a);

/** How long a frame that gets no answer (an ack, a valid frame) is given. */
const QUIET_MS = 150;

async function startServer(): Promise<{ url: string; credentials: { accountId: string; deviceId: number; password: Uint8Array } }> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-fuzz-'));
  const storage = new SqliteStorage(join(dir, 'parley.sqlite'));
  const app = await buildApp(
    { minClientVersion: '0.1.0', bundleFetchesPerMinute: 100_000, logLevel: 'silent' },
    { storage, serverSecret: new Uint8Array(32).fill(7), blobs: new LocalDiskBlobStore(join(dir, 'attachments')) },
  );
  await app.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.app.server.address() as { port: number }).port}`;
  const alice = createClient({ serverUrl: url, store: new MemoryClientStore(), createWebSocket: nodeWebSocket });
  const a = await alice.register('alice');
  // An access key (as a profile upload sets it), so sealed sends to alice get past the key check.
  await alice.http.setProfile({ version: 'ab'.repeat(32), name: new Uint8Array(81), accessKey: UNIDENTIFIED_FUZZ_ACCESS_KEY });
  alice.close();
  return { url, credentials: { accountId: a.accountId, deviceId: a.deviceId, password: a.password } };
}

export const serverSocketTargets: Target[] = [
  {
    name: 'server.websocket-session',
    what: 'a frame on an authenticated /v1/websocket of a running server: typed refusal (error frame + close code, or send-failed) or accepted, never 1011/INTERNAL',
    format: 'json',
    typed: (e) => e instanceof Refused,
    corpusMayBeRefused: true,
    setup: async () => {
      const server = await startServer();
      // A second account, so mutated sends have someone to reach.
      const bob = createClient({ serverUrl: server.url, store: new MemoryClientStore(), createWebSocket: nodeWebSocket });
      await bob.register('bob');
      bob.close();
      let socket: Promise<{ ws: WebSocket; frames: string[] }> | undefined;
      const open = () =>
        new Promise<{ ws: WebSocket; frames: string[] }>((resolve, reject) => {
          const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/websocket`);
          const frames: string[] = [];
          ws.on('open', () =>
            ws.send(JSON.stringify({ type: 'auth', version: PARLEY_VERSION, accountId: server.credentials.accountId, deviceId: server.credentials.deviceId, password: base64Encode(server.credentials.password) })),
          );
          ws.on('message', (d) => {
            const text = String(d);
            if (text.includes('"ready"')) resolve({ ws, frames });
            else frames.push(text);
          });
          ws.on('close', () => {
            socket = undefined;
            reject(new Error('closed before ready'));
          });
          ws.on('error', () => undefined);
        });
      return async (input) => {
        socket ??= open();
        await judged(await socket, input);
      };
    },
  },
  {
    name: 'server.unidentified-session',
    what: 'a frame on a running server\'s /v1/websocket/unidentified (no account): typed refusal (error frame + close code, or send-failed) or accepted, never 1011/INTERNAL',
    format: 'json',
    typed: (e) => e instanceof Refused,
    corpusMayBeRefused: true,
    setup: async () => {
      const server = await startServer();
      let socket: Promise<{ ws: WebSocket; frames: string[] }> | undefined;
      const open = () =>
        new Promise<{ ws: WebSocket; frames: string[] }>((resolve, reject) => {
          const ws = new WebSocket(`${server.url.replace('http', 'ws')}${UNIDENTIFIED_SOCKET_PATH}?version=${PARLEY_VERSION}`);
          const frames: string[] = [];
          ws.on('open', () => resolve({ ws, frames }));
          ws.on('message', (d) => frames.push(String(d)));
          ws.on('close', () => {
            socket = undefined;
            reject(new Error('closed before open'));
          });
          ws.on('error', () => undefined);
        });
      return async (input) => {
        socket ??= open();
        await judged(await socket, input);
      };
    },
  },
];

/**
 * Sends one frame on `s` and judges the server's answer: an error frame, a close or a
 * `send-failed` with a code is a typed refusal; a close with 1011 or an INTERNAL answer
 * is a finding; anything else (an answer without a code, or quiet) is accepted.
 */
async function judged(s: { ws: WebSocket; frames: string[] }, input: Uint8Array): Promise<void> {
  const { ws, frames } = s;
  frames.length = 0;
  const answer = new Promise<{ closed?: number; frames: string[] }>((resolve) => {
    const timer = setTimeout(() => done({ frames: frames.slice() }), QUIET_MS);
    const onClose = (code: number) => done({ closed: code, frames: frames.slice() });
    const onMessage = () => {
      // Answers to sends come as one frame: wait for it, then a moment for a close.
      clearTimeout(timer);
      setTimeout(() => done({ frames: frames.slice() }), 20);
    };
    function done(r: { closed?: number; frames: string[] }) {
      clearTimeout(timer);
      ws.off('close', onClose);
      ws.off('message', onMessage);
      resolve(r);
    }
    ws.on('close', onClose);
    ws.on('message', onMessage);
  });
  ws.send(Buffer.from(input).toString());
  const r = await answer;
  const codes = r.frames.map((f) => (JSON.parse(f) as { code?: string }).code).filter((c) => c !== undefined);
  if (r.closed === 1011 || codes.includes('INTERNAL')) throw new Error(`server failed on the frame: close ${r.closed ?? '-'}, answers ${r.frames.join(' ').slice(0, 300)}`);
  if (r.closed !== undefined || codes.length) throw new Refused(`close ${r.closed ?? '-'} ${codes.join(',')}`);
}
