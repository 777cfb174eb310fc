// End to end: real server processes on loopback, SDK clients and the real CLI.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { KeyPair } from '@parley/protocol';
import { WireError } from '@parley/wire';
import { bytesSource } from '@parley/client';
import { cli, CLI, removeTempDirs, ROOT, sdkClient, startServer, tempDir, type RunningServer, type TestClient } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

async function server(dataDir = tempDir('srv'), args: string[] = [], port = 0) {
  const s = await startServer(dataDir, args, port);
  servers.push(s);
  return s;
}

/** A server (with its data dir, for restarts on the same port) and two registered people. */
async function twoPeople(aName: string, bName: string, bobOptions: { idleTimeoutMs?: number } = {}, serverArgs: string[] = []) {
  const dataDir = tempDir('srv');
  const s = await server(dataDir, serverArgs);
  const alice = sdkClient(s.url, tempDir('alice'));
  const bobDir = tempDir('bob');
  const bob = sdkClient(s.url, bobDir, undefined, bobOptions);
  await alice.client.register(aName);
  await bob.client.register(bName);
  return { s, dataDir, port: s.port, alice, bob, bobDir };
}

/** `from` sends `text` to `toName`; `to` gets it as its next message. */
async function arrives(from: TestClient, to: TestClient, toName: string, text: string) {
  await from.client.sendText(toName, text);
  const got = await to.waitFor((e) => e.type === 'message', 30_000);
  expect(got.type === 'message' && got.message.body).toBe(text);
}

describe('end to end through a real server', () => {
  it('online chat both ways with receipts, 50 messages in order, and no plaintext on the server', async () => {
    const s = await server(tempDir('srv'), ['--metrics-token', 'e2e-metrics-token']);
    const alice = sdkClient(s.url, tempDir('alice'));
    const bob = sdkClient(s.url, tempDir('bob'));
    await alice.client.register('alice');
    await bob.client.register('bob');
    await alice.client.connect();
    await bob.client.connect();
    const canary = 'CANARY-7f3a9c-do-not-store';
    const sent = await alice.client.sendText('bob', `hello ${canary}`);
    const got = await bob.waitFor((e) => e.type === 'message');
    expect(got.type === 'message' && got.message.body).toBe(`hello ${canary}`);
    // Bob's client sent a delivery receipt automatically.
    await alice.waitFor((e) => e.type === 'receipt' && e.ids.includes(sent.clientId));
    expect(alice.client.messages('bob').find((m) => m.clientId === sent.clientId)?.status).toBe('delivered');
    for (let i = 0; i < 50; i++) await bob.client.sendText('alice', `reply ${i} ${canary}`);
    await alice.waitFor((e) => e.type === 'message' && e.message.body.startsWith('reply 49'));
    const bodies = alice.client.messages('bob').filter((m) => m.direction === 'in').map((m) => m.body);
    expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => `reply ${i} ${canary}`));
    // Call signaling carries the canary too: SDP and ICE candidates travel encrypted.
    await bob.client.acceptRequest('alice');
    const callId = await alice.client.startCall('bob', 'video');
    await bob.waitFor((e) => e.type === 'call' && e.event === 'incoming');
    await bob.client.acceptCall(callId);
    await alice.waitFor((e) => e.type === 'call' && e.event === 'accepted');
    await alice.client.sendCallSignal(callId, { type: 'offer', sdp: `v=0 o=${canary}` });
    await bob.waitFor((e) => e.type === 'call' && e.event === 'offer' && e.sdp === `v=0 o=${canary}`);
    await bob.client.sendCallSignal(callId, { type: 'answer', sdp: `v=0 a=${canary}` });
    await bob.client.sendCallSignal(callId, { type: 'ice', candidate: `candidate:${canary}` });
    await alice.waitFor((e) => e.type === 'call' && e.event === 'ice' && e.candidate === `candidate:${canary}`);
    await alice.client.hangupCall(callId);
    await bob.waitFor((e) => e.type === 'call' && e.event === 'ended');
    // A file's bytes and its name travel encrypted too (the blob store is under the data dir).
    const file = new TextEncoder().encode(`attachment ${canary} `.repeat(5000));
    await alice.client.attachments.send('bob', bytesSource(file), { fileName: `notes-${canary}.txt`, contentType: 'text/plain' });
    const downloaded = await bob.waitFor((e) => e.type === 'attachment' && e.message.attachment?.state === 'downloaded');
    expect(downloaded.type === 'attachment' && downloaded.message.attachment?.fileName).toBe(`notes-${canary}.txt`);
    // Reactions, replies, edits and profile names travel encrypted too (a rare emoji stands for the reaction).
    const target = bob.client.messages('alice').find((m) => m.direction === 'in' && m.body === `hello ${canary}`)!;
    await bob.client.react(target, '🦩');
    await alice.waitFor((e) => e.type === 'message-changed' && e.change === 'reaction');
    await bob.client.reply(target, `quoting ${canary}`);
    await alice.waitFor((e) => e.type === 'message' && e.message.body === `quoting ${canary}`);
    const mine = alice.client.messages('bob').find((m) => m.clientId === sent.clientId)!;
    await alice.client.editMessage(mine, `edited ${canary}`);
    await bob.waitFor((e) => e.type === 'message-changed' && e.change === 'edit');
    await alice.client.setProfile({ name: `Alice ${canary}` });
    await expect.poll(async () => (await bob.client.profileOf('alice')).name, { timeout: 15_000 }).toBe(`Alice ${canary}`);
    // Connected clients hand identified messages to the server over the socket, not one HTTP request each;
    // once bob accepted alice, their messages go sealed, over the unidentified socket (the authenticated one would name the sender).
    const metrics = await (await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer e2e-metrics-token' } })).text();
    const accepted = (t: string) => Number(new RegExp(`parley_messages_accepted_total\\{transport="${t}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(accepted('ws') + accepted('unidentified') + accepted('unidentified-ws')).toBeGreaterThan(51);
    expect(accepted('unidentified-ws')).toBeGreaterThan(0);
    expect(metrics).not.toMatch(/parley_messages_accepted_total\{transport="http"\}/);
    alice.client.close();
    bob.client.close();
    await s.stop();
    // Every file the server wrote (database, WAL, secret), not just the main database.
    const files = readdirSync(s.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.map((f) => f.name)).toContain('parley.sqlite');
    expect(files.some((f) => f.parentPath.endsWith('attachments'))).toBe(true);
    for (const f of files) {
      const p = join(f.parentPath, f.name);
      expect(readFileSync(p).includes(Buffer.from('CANARY-7f3a9c')), `${p} holds plaintext`).toBe(false);
      expect(readFileSync(p).includes(Buffer.from('🦩')), `${p} holds a reaction`).toBe(false);
    }
  });

  it('offline delivery in order on reconnect, and exactly once across a server SIGKILL', async () => {
    const first = await twoPeople('alice2', 'bob2');
    const { dataDir, port, alice, bobDir } = first;
    let { s, bob } = first;
    for (let i = 0; i < 5; i++) await alice.client.sendText('bob2', `offline ${i}`);
    // The server acknowledged the sends; now it crashes before Bob comes online.
    await s.stop('SIGKILL');
    s = await server(dataDir, [], port);
    await bob.client.connect();
    await bob.client.drained;
    await bob.waitFor((e) => e.type === 'message' && e.message.body === 'offline 4');
    expect(bob.client.messages('alice2').map((m) => m.body)).toEqual(['offline 0', 'offline 1', 'offline 2', 'offline 3', 'offline 4']);
    // Crash again right after delivery (acks may be lost), restart, reconnect: no duplicates reach the app.
    await s.stop('SIGKILL');
    bob.client.close();
    s = await server(dataDir, [], port);
    bob = sdkClient(s.url, bobDir);
    await bob.client.connect();
    await bob.client.drained;
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.events.filter((e) => e.type === 'message')).toEqual([]);
    expect(bob.client.messages('alice2').length).toBe(5);
    bob.client.close();
    alice.client.close();
  });

  it('strangers get less: no read receipts or typing until accepted; blocked senders are dropped', async () => {
    const s = await server();
    const alice = sdkClient(s.url, tempDir('alice'));
    const stranger = sdkClient(s.url, tempDir('stranger'));
    await alice.client.register('alice5');
    await stranger.client.register('stranger5');
    await alice.client.connect();
    await stranger.client.connect();
    const m = await stranger.client.sendText('alice5', 'hello from a stranger');
    await alice.waitFor((e) => e.type === 'message');
    expect(alice.client.isRequest('stranger5')).toBe(true);
    await stranger.waitFor((e) => e.type === 'receipt' && e.receipt === 'delivered');
    await alice.client.markRead('stranger5');
    await stranger.client.sendTyping('alice5', true);
    await new Promise((r) => setTimeout(r, 500));
    expect(stranger.events.some((e) => e.type === 'receipt' && e.receipt === 'read')).toBe(false);
    expect(stranger.client.messages('alice5').find((x) => x.clientId === m.clientId)?.status).toBe('delivered');
    // Alice never accepted, so her typing is not sent either.
    await alice.client.sendTyping('stranger5', true);
    await new Promise((r) => setTimeout(r, 300));
    expect(stranger.events.some((e) => e.type === 'typing')).toBe(false);
    await alice.client.blockContact('stranger5');
    await stranger.client.sendText('alice5', 'are you there?');
    await new Promise((r) => setTimeout(r, 800));
    // The request stays in her chat list, blocked; what the stranger sent since is not in it.
    expect(alice.client.conversations().find((c) => c.username === 'stranger5')?.blocked).toBe(true);
    expect(alice.client.messages('stranger5').map((x) => x.body)).not.toContain('are you there?');
    expect(alice.client.messages('stranger5').some((x) => x.clientId === m.clientId)).toBe(true);
    alice.client.close();
    stranger.client.close();
  });

  it('a connected client reconnects by itself after the server restarts', async () => {
    const first = await twoPeople('alice3', 'bob3');
    const { dataDir, port, alice, bob } = first;
    let { s } = first;
    await bob.client.connect();
    await s.stop('SIGKILL');
    await bob.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting');
    s = await server(dataDir, [], port);
    await arrives(alice, bob, 'bob3', 'after restart');
    alice.client.close();
    bob.client.close();
  });

  it('a client notices a server gone silent (no close, no heartbeat), reconnects, and messages flow again', async () => {
    const { s, alice, bob } = await twoPeople('alice5', 'bob5', { idleTimeoutMs: 1500 }, ['--ping-interval-ms', '200']);
    await bob.client.connect();
    // Heartbeats keep a quiet connection open well past the idle timeout.
    await new Promise((r) => setTimeout(r, 2500));
    expect(bob.events.filter((e) => e.type === 'connection' && e.state === 'reconnecting')).toEqual([]);
    // The server freezes: its sockets stay open but say nothing (as when a network path dies).
    s.proc.kill('SIGSTOP');
    try {
      await bob.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting', 10_000);
    } finally {
      s.proc.kill('SIGCONT');
    }
    await arrives(alice, bob, 'bob5', 'after the silence');
    alice.client.close();
    bob.client.close();
  });

  it('a connection lost while the backlog drains ends the wait with an error; the rest arrives exactly once later', async () => {
    const first = await twoPeople('alice6', 'bob6');
    const { dataDir, port, alice, bobDir } = first;
    let { s, bob } = first;
    const total = 300;
    for (let i = 0; i < total; i++) await alice.client.sendText('bob6', `backlog ${i}`);
    await bob.client.connect({ reconnect: false });
    await bob.waitFor((e) => e.type === 'message');
    await s.stop('SIGKILL');
    // The wait for the backlog ends (an error, not a hang), with part of it stored.
    await expect(bob.client.drained).rejects.toBeInstanceOf(WireError);
    const before = bob.client.messages('alice6').length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(total);
    bob.client.close();
    s = await server(dataDir, [], port);
    bob = sdkClient(s.url, bobDir);
    await bob.client.connect({ reconnect: false });
    await bob.client.drained;
    expect(bob.client.messages('alice6').map((m) => m.body)).toEqual(Array.from({ length: total }, (_, i) => `backlog ${i}`));
    alice.client.close();
    bob.client.close();
  });

  it('a replayed send request reaches the recipient\'s app only once', async () => {
    const s = await server();
    let lastSend: { url: string; init: RequestInit } | undefined;
    const recordingFetch: typeof fetch = async (input, init) => {
      if (String(input).includes('/v1/messages/') && init?.method === 'PUT') lastSend = { url: String(input), init: init! };
      return fetch(input, init);
    };
    const aliceDir = tempDir('alice');
    const alice = sdkClient(s.url, aliceDir, recordingFetch);
    const bob = sdkClient(s.url, tempDir('bob'));
    await alice.client.register('alice4');
    await bob.client.register('bob4');
    await alice.client.sendText('bob4', 'only once');
    const replay = await fetch(lastSend!.url, lastSend!.init);
    expect(replay.status).toBe(200);
    await bob.client.connect();
    await bob.client.drained;
    await bob.waitFor((e) => e.type === 'message');
    await new Promise((r) => setTimeout(r, 300));
    expect(bob.events.filter((e) => e.type === 'message').length).toBe(1);
    expect(bob.client.messages('alice4').length).toBe(1);
    alice.client.close();
    bob.client.close();
  });

  it('the CLI: register, send, inbox, safety numbers and its errors', async () => {
    const s = await server();
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'carol', 'register', 'carol'], env)).code).toBe(0);
    expect((await cli(home, ['--profile', 'dave', 'register', 'dave'], env)).code).toBe(0);
    const taken = await cli(home, ['--profile', 'other', 'register', 'carol'], env);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('USERNAME_TAKEN');
    const sent = await cli(home, ['--profile', 'carol', 'send', 'dave', 'hi', 'dave'], env);
    expect(sent.stdout).toContain('Sent to dave');
    const inbox = await cli(home, ['--profile', 'dave', 'inbox'], env);
    // A stranger's message is marked as a request.
    expect(inbox.stdout).toMatch(/carol \(message request\): hi dave/);
    expect((await cli(home, ['--profile', 'dave', 'inbox'], env)).stdout).toContain('No new messages.');
    const who = await cli(home, ['--profile', 'dave', 'whoami'], env);
    expect(who.stdout).toMatch(/^dave on /);
    const sa = await cli(home, ['--profile', 'carol', 'safety-number', 'dave'], env);
    const sb = await cli(home, ['--profile', 'dave', 'safety-number', 'carol'], env);
    const digits = (o: string) => o.match(/(\d{5} ){3}\d{5}/g)!.join(' ');
    expect(digits(sa.stdout).replace(/ /g, '')).toMatch(/^\d{60}$/);
    expect(digits(sa.stdout)).toBe(digits(sb.stdout));
    const unknown = await cli(home, ['--profile', 'carol', 'send', 'nobody', 'x'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_USER: there is no Parley user named nobody');
    const down = await cli(home, ['--profile', 'carol', '--server', 'http://127.0.0.1:9', 'whoami'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('SERVER_UNREACHABLE: cannot reach http://127.0.0.1:9 - check the server address');
    const usage = await cli(home, ['--profile', 'carol', 'send'], env);
    expect(usage.code).toBe(2);
  });

  it('a changed identity key stops sending until the user verifies and trusts it', async () => {
    const s = await server();
    const home = tempDir('home');
    const env = { PARLEY_SERVER: s.url };
    await cli(home, ['--profile', 'hal', 'register', 'hal'], env);
    await cli(home, ['--profile', 'ivy', 'register', 'ivy'], env);
    const ivyId = /account ([0-9a-f-]{36})/.exec((await cli(home, ['--profile', 'ivy', 'whoami'], env)).stdout)![1]!;
    // Hal once knew a different key for Ivy (as if the server now handed out someone else's key).
    const db = new Database(join(home, 'hal', 'state.sqlite'));
    db.prepare('INSERT INTO identities (address, key, trust) VALUES (?, ?, ?)').run(`${ivyId}.1`, Buffer.from(KeyPair.generate().publicKey.serialize()), 'trusted');
    db.close();
    const refused = await cli(home, ['--profile', 'hal', 'send', 'ivy', 'secret'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/IDENTITY_CHANGED: the safety number with ivy changed \(new number \d{60}\).*parley trust ivy/s);
    expect((await cli(home, ['--profile', 'ivy', 'inbox'], env)).stdout).toContain('No new messages.');
    expect((await cli(home, ['--profile', 'hal', 'trust', 'ivy'], env)).code).toBe(0);
    expect((await cli(home, ['--profile', 'hal', 'send', 'ivy', 'after verifying'], env)).code).toBe(0);
    expect((await cli(home, ['--profile', 'ivy', 'inbox'], env)).stdout).toContain('hal (message request): after verifying');
  });

  it('the CLI shows UPGRADE_REQUIRED as an instruction when the server needs a newer client', async () => {
    const s = await server(tempDir('srv'), ['--min-client-version', '9.0.0']);
    const r = await cli(tempDir('home'), ['register', 'erin'], { PARLEY_SERVER: s.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('UPGRADE_REQUIRED: this client is 0.1.0; the server needs 9.0.0 or newer - update Parley');
  });

  it('interactive chat: typed lines are sent, replies appear live', async () => {
    const s = await server();
    const home = tempDir('home');
    const env = { ...process.env, PARLEY_HOME: home, PARLEY_SERVER: s.url };
    expect((await cli(home, ['--profile', 'fay', 'register', 'fay'], { PARLEY_SERVER: s.url })).code).toBe(0);
    const gus = sdkClient(s.url, tempDir('gus'));
    await gus.client.register('gus');
    await gus.client.connect();
    const chat = spawn(process.execPath, [CLI, '--profile', 'fay', 'chat', 'gus'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    chat.stdout.on('data', (d) => (out += d.toString()));
    const waitOut = async (re: RegExp) => {
      for (let i = 0; i < 150 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out, `chat output so far:\n${out}`).toMatch(re);
    };
    await waitOut(/connected as fay/);
    chat.stdin.write('hello gus\n');
    await gus.waitFor((e) => e.type === 'message' && e.message.body === 'hello gus');
    await gus.client.sendText('fay', 'hi fay, live');
    await waitOut(/gus: hi fay, live/);
    await waitOut(/delivered ✓/);
    chat.stdin.write('/quit\n');
    await new Promise((r) => chat.once('exit', r));
    gus.client.close();
  });
});
