// The unidentified connection and remembered access-key refusals, through a real
// server in this process (SQLite): a connected client's sealed sends go over the
// unidentified socket (counted by the server's metrics per transport), fall back to
// HTTP when that socket drops before answering and use it again once it has
// reconnected; it is never listed as one of the device's connections. After a block,
// the blocked side's first send is refused once and every later one (also after a
// restart: the refusal is in the client store) goes identified with no sealed
// attempt, until a new profile key arrives.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UNIDENTIFIED_SOCKET_PATH } from '@parley/wire';
import { nodeWebSocket, SqliteClientStore } from '../src/node/index.ts';
import { unidentifiedReady } from '../src/test-support.ts';
import type { MinimalWebSocket, WebSocketFactory } from '../src/transport/socket.ts';
import { person, registered, startServer, stopAll, tempDir, type Person, type TestServer } from './harness.ts';

afterAll(stopAll);

async function eventually(pred: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} never happened`);
}

/** Alice writes to bob, bob accepts: each has the other's profile key, and both access keys are on the server. */
async function contacts(server: TestServer, alice: Person, bob: Person): Promise<void> {
  await alice.client.sendText('bob', 'hello');
  await bob.receives('hello');
  await bob.client.acceptRequest('alice');
  await eventually(() => !!alice.store.contacts.byUsername('bob')?.profileKey && !!bob.store.contacts.byUsername('alice')?.profileKey, 'profile keys exchanged');
  await eventually(async () => !!(await server.storage.accessKey(bob.client.account!.accountId)) && !!(await server.storage.accessKey(alice.client.account!.accountId)), 'access keys uploaded');
}

/** Envelopes the server accepted over `transport` (`unidentified`: sealed over HTTP; `unidentified-ws`: over the unidentified socket). */
async function accepted(server: TestServer, transport: string): Promise<number> {
  return (await server.app.metrics.accepted.get()).values.find((v) => v.labels.transport === transport)?.value ?? 0;
}

async function refusals(server: TestServer): Promise<number> {
  return (await server.app.metrics.errors.get()).values.find((v) => v.labels.code === 'ACCESS_KEY_REFUSED')?.value ?? 0;
}

/**
 * One client's transports, watched: its sealed sends over HTTP (`PUT /v1/messages/...` with
 * an access key) and over its unidentified sockets (`sealed-send` frames), and a switch that
 * makes the unidentified socket drop the connection instead of sending the next frame (as a
 * network that dies right after a send would).
 */
function watched(): { factory: WebSocketFactory; fetch: typeof fetch; sealed: { http: number; socket: number }; dropNextSend: () => void; opened: () => number } {
  let drop = false;
  let opened = 0;
  const sealed = { http: 0, socket: 0 };
  const factory: WebSocketFactory = (url) => {
    const ws = nodeWebSocket(url);
    if (!url.includes(UNIDENTIFIED_SOCKET_PATH)) return ws;
    opened++;
    const send = ws.send.bind(ws);
    return Object.assign(ws, {
      send: (data: string) => {
        if (drop) {
          drop = false;
          (ws as unknown as { terminate(): void }).terminate();
          return;
        }
        if (data.includes('"sealed-send"')) sealed.socket++;
        send(data);
      },
    }) as MinimalWebSocket;
  };
  const watchedFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    if (init?.method === 'PUT' && String(input).includes('/v1/messages/') && headers.has('unidentified-access-key')) sealed.http++;
    return fetch(input, init);
  };
  return { factory, fetch: watchedFetch, sealed, dropNextSend: () => (drop = true), opened: () => opened };
}

describe('the unidentified connection', () => {
  it('carries a contact\'s sealed sends; drops fall back to HTTP, and it reconnects', async () => {
    const server = await startServer();
    const w = watched();
    const alice = await registered(server, 'alice', undefined, w.factory, { fetch: w.fetch });
    const bob = await registered(server, 'bob');
    await contacts(server, alice, bob);
    await eventually(() => unidentifiedReady(alice.client), 'alice\'s unidentified connection open');

    const before = { ...w.sealed, accepted: await accepted(server, 'unidentified-ws') };
    await alice.client.sendText('bob', 'over the socket');
    await bob.receives('over the socket');
    expect(w.sealed.socket).toBeGreaterThan(before.socket);
    expect(w.sealed.http).toBe(before.http);
    // The server took it from the unidentified socket.
    expect(await accepted(server, 'unidentified-ws')).toBeGreaterThan(before.accepted);

    // The socket dies with the send in it: the send goes over HTTP instead, and arrives once.
    const sent = { ...w.sealed };
    w.dropNextSend();
    await alice.client.sendText('bob', 'after the drop');
    await bob.receives('after the drop');
    expect(w.sealed.http).toBeGreaterThan(sent.http);
    expect(bob.client.messages().filter((m) => m.body === 'after the drop')).toHaveLength(1);

    // It reconnects by itself, and sealed sends use it again.
    await eventually(() => w.opened() >= 2 && unidentifiedReady(alice.client), 'the unidentified connection reopened');
    const reopened = { ...w.sealed };
    await alice.client.sendText('bob', 'after the reconnect');
    await bob.receives('after the reconnect');
    expect(w.sealed.socket).toBeGreaterThan(reopened.socket);
    expect(w.sealed.http).toBe(reopened.http);
  });

  it('is not one of the device\'s connections, and closes with the client\'s connection', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    await eventually(() => unidentifiedReady(alice.client), 'the unidentified connection open');
    const sessions = await alice.client.devices.sessions();
    expect(sessions).toHaveLength(1);
    expect(alice.events.filter((e) => e.type === 'connection' && e.state === 'open')).toHaveLength(1);
    const gauge = async () => (await server.app.metrics.registry.getSingleMetric('parley_unidentified_websockets')!.get()).values[0]?.value;
    expect(await gauge()).toBe(1);
    alice.client.disconnect();
    expect(unidentifiedReady(alice.client)).toBe(false);
    await eventually(async () => (await gauge()) === 0, 'the server saw the unidentified socket close');
  });
});

describe('remembered access-key refusals', () => {
  it('after a block the blocked side is refused once; later sends, also after a restart, go identified with no sealed attempt until a new key arrives', async () => {
    const server = await startServer();
    const file = join(tempDir('unsock'), 'alice.sqlite');
    const w = watched();
    const attempts = () => w.sealed.http + w.sealed.socket;
    const alice = await registered(server, 'alice', new SqliteClientStore(file), w.factory, { fetch: w.fetch });
    const bob = await registered(server, 'bob');
    await contacts(server, alice, bob);
    const bobId = bob.client.account!.accountId;
    const old = alice.store.contacts.byUsername('bob')!.profileKey!;
    await bob.client.blockContact('alice');
    await eventually(async () => Buffer.compare(Buffer.from((await server.storage.accessKey(bobId))!), Buffer.from(old)) !== 0, 'bob\'s access key rotated');

    const refusedBefore = await refusals(server);
    const attemptsBefore = attempts();
    await alice.client.sendText('bob', 'first after block');
    // One refused sealed attempt, then identified; the refusal is remembered with the key it came from.
    expect(await refusals(server)).toBe(refusedBefore + 1);
    expect(attempts()).toBe(attemptsBefore + 1);
    expect(alice.store.contacts.byUsername('bob')!.sealedRefusedKey).toEqual(old);

    await alice.client.sendText('bob', 'second after block');
    // No sealed attempt at all: nothing sent with an access key, nothing refused.
    expect(attempts()).toBe(attemptsBefore + 1);
    expect(await refusals(server)).toBe(refusedBefore + 1);

    // The refusal is in the store: a restarted client remembers it.
    alice.client.close();
    const alice2 = person(server, 'alice', new SqliteClientStore(file), w.factory, { fetch: w.fetch });
    await alice2.client.connect();
    await alice2.client.sendText('bob', 'after restart');
    expect(attempts()).toBe(attemptsBefore + 1);
    expect(await refusals(server)).toBe(refusedBefore + 1);

    // Bob unblocks her and shares his new key: her next send goes sealed again, and is taken.
    await bob.client.unblockContact('alice');
    await eventually(() => Buffer.compare(Buffer.from(alice2.store.contacts.byUsername('bob')!.profileKey!), Buffer.from(old)) !== 0, 'bob\'s new profile key reached alice');
    const beforeNewKey = attempts();
    await alice2.client.sendText('bob', 'sealed again');
    await bob.receives('sealed again');
    expect(attempts()).toBeGreaterThan(beforeNewKey);
    expect(await refusals(server)).toBe(refusedBefore + 1);
  });
});
