// Linked devices through a real server: linking by code (the identity private key
// never reaches the server), messages to and from either device, what syncs between
// them (sent messages, read state, contacts, groups), listing and unlinking.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientError, directConversation, WireError, type ClientEvent } from '../src/index.ts';
import { linkedDevice, person, registered, startServer, stopAll } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('linked devices', () => {
  it('a second device gets the account by code; the server never sees the identity private key', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const secret = (await alice.store.protocol.getIdentityKeyPair()).privateKey.serialize();
    const alice2 = await linkedDevice(server, alice);
    expect(alice2.client.account).toMatchObject({ accountId: alice.client.account!.accountId, username: 'alice', deviceId: 2 });
    expect((await alice2.store.protocol.getIdentityKeyPair()).privateKey.serialize()).toEqual(secret);
    const files = Buffer.concat(
      readdirSync(server.dataDir, { recursive: true, withFileTypes: true })
        .filter((f) => f.isFile())
        .map((f) => readFileSync(join(f.parentPath, f.name))),
    );
    expect(files.includes(Buffer.from(secret))).toBe(false);
    const list = await alice2.client.devices.list();
    expect(list.map((d) => [d.deviceId, d.current])).toEqual([[1, false], [2, true]]);
    expect(list[1]!.name).toBe('test device alice-2');
  });

  it('messages reach every device; what one device sends, reads, accepts and joins shows on the other', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    await bob.client.sendText('alice', 'hi alice');
    await alice.receives('hi alice');
    await alice.client.acceptRequest('bob');
    const g = await alice.client.groups.create('Family', ['bob']);
    const alice2 = await linkedDevice(server, alice);
    // Contacts and groups came over: bob is a contact (not a request), the group has its name.
    await alice2.waitFor(() => alice2.client.conversations().some((c) => c.title === 'Family'), 'the group on the new device');
    await alice2.waitFor(() => alice2.client.isRequest('bob') === false && !!alice2.store.contacts.byUsername('bob')?.accepted, 'bob as a contact');
    // To the account: both devices.
    await bob.client.sendText('alice', 'to both of you');
    await Promise.all([alice.receives('to both of you'), alice2.receives('to both of you')]);
    // From device 2: bob gets it, device 1 shows it as sent by us.
    await alice2.client.sendText('bob', 'from the second device');
    await bob.receives('from the second device');
    const mirrored = (await alice.receives('from the second device')) as Extract<ClientEvent, { type: 'message' }>;
    expect(mirrored.message).toMatchObject({ direction: 'out', conversation: directConversation(bob.client.account!.accountId) });
    // Read on device 1: device 2 marks it read too.
    await bob.client.sendText('alice', 'read me once');
    await Promise.all([alice.receives('read me once'), alice2.receives('read me once')]);
    await alice.client.markRead('bob');
    await alice2.waitFor((e) => e.type === 'messages', 'the read sync');
    expect(alice2.client.messages('bob', true)).toEqual([]);
    // Group messages reach the new device too, and what it sends there reaches everyone.
    await bob.client.groups.send(g.groupId, 'group hello');
    await Promise.all([alice.receives('group hello'), alice2.receives('group hello')]);
    await alice2.client.groups.send(g.groupId, 'from device 2 to the group');
    await Promise.all([bob.receives('from device 2 to the group'), alice.receives('from device 2 to the group')]);
  });

  it('an unlinked device is cut off at once and cannot send; the others stop encrypting for it', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const alice2 = await linkedDevice(server, alice);
    await bob.client.sendText('alice', 'before');
    await alice2.receives('before');
    await alice.client.devices.unlink(2);
    const closed = (await alice2.waitFor((e) => e.type === 'connection' && e.state === 'closed' && !!e.error, 'the unlinked device to be cut off')) as Extract<ClientEvent, { type: 'connection' }>;
    expect(closed.error?.code).toBe('DEVICE_UNLINKED');
    await expect(alice2.client.sendText('bob', 'still here')).rejects.toThrow(WireError);
    expect((await alice.client.devices.list()).map((d) => d.deviceId)).toEqual([1]);
    await bob.client.sendText('alice', 'after');
    await alice.receives('after');
    await sleep(300);
    expect(alice2.events.some((e) => e.type === 'message' && e.message.body === 'after')).toBe(false);
  });

  it('a mistyped, unknown or used code is refused with a sentence that says what to do', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    await expect(alice.client.devices.link('not a code')).rejects.toMatchObject({ code: 'INVALID_LINK_CODE' });
    await expect(alice.client.devices.link('abcd-efgh-jkmn-pqrs-tuvw-xyz2-34')).rejects.toMatchObject({ code: 'LINK_FAILED' });
    const newcomer = person(server, 'newcomer');
    let code = '';
    const shown = new Promise<void>((r) => void newcomer.client.devices.linkAsNew('x', { onCode: (c) => ((code = c), r()) }).catch(() => undefined));
    await shown;
    await alice.client.devices.link(code);
    await expect(alice.client.devices.link(code)).rejects.toBeInstanceOf(ClientError);
  });
});

describe("a device's password and its sessions", () => {
  /** A copy of alice's credentials in use elsewhere: a bare socket that signs in with them. */
  const thiefSocket = async (server: { url: string }, creds: { accountId: string; deviceId: number; password: Uint8Array }) => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/websocket`);
    const frames: Array<Record<string, unknown>> = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const ready = new Promise<void>((resolve) =>
      ws.on('message', (d) => {
        const f = JSON.parse(String(d)) as Record<string, unknown>;
        frames.push(f);
        if (f.type === 'ready') resolve();
      }),
    );
    ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', version: '0.1.0', accountId: creds.accountId, deviceId: creds.deviceId, password: Buffer.from(creds.password).toString('base64') })));
    return { ws, frames, closed, ready };
  };

  it('a copy of the credentials shows as a second session; changing the password signs it out, and this client carries on', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const stolen = { ...alice.client.account!, password: alice.client.account!.password.slice() };
    const thief = await thiefSocket(server, stolen);
    await thief.ready;
    const before = await alice.client.devices.sessions();
    expect(before.map((s) => [s.deviceId, s.thisDevice])).toEqual([
      [1, true],
      [1, true],
    ]);
    expect(before[0]!.deviceName).toBe('First device (registered the account)');

    await alice.client.devices.rotateCredentials();
    expect(await thief.closed).toBe(4401);
    expect(thief.frames.at(-1)).toMatchObject({ type: 'error', code: 'CREDENTIALS_CHANGED' });
    expect(alice.client.account!.password).not.toEqual(stolen.password);
    expect(alice.store.account.get()!.nextPassword).toBeUndefined();
    // This client reconnected with the new password and keeps messaging both ways.
    await alice.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting' && e.error?.code === 'CREDENTIALS_CHANGED', 'the server closing the old connection');
    await bob.client.sendText('alice', 'still there?');
    await alice.receives('still there?');
    await alice.client.sendText('bob', 'yes');
    await bob.receives('yes');
    expect((await alice.client.devices.sessions()).length).toBe(1);
    // The copy is refused from now on.
    const again = await thiefSocket(server, stolen);
    expect(await again.closed).toBe(4401);
    expect(again.frames[0]).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
  });

  it('a change whose answer was lost is finished at the next connection; one that never arrived is forgotten', async () => {
    const server = await startServer();
    // Drops the answer of the first password change (the server did it) and fails the second before it is sent.
    let mode: 'lose-answer' | 'fail' | 'pass' = 'lose-answer';
    const flaky: typeof fetch = async (input, init) => {
      const isChange = String(input).endsWith('/v1/devices/password');
      if (isChange && mode === 'fail') throw new TypeError('network down');
      const res = await fetch(input, init);
      if (isChange && mode === 'lose-answer') throw new TypeError('connection reset');
      return res;
    };
    const alice = person(server, 'alice', undefined, undefined, { fetch: flaky });
    await alice.client.register('alice');
    const first = alice.client.account!.password.slice();
    await expect(alice.client.devices.rotateCredentials()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    const pending = alice.store.account.get()!.nextPassword!;
    expect(pending).toHaveLength(32);
    await alice.client.connect();
    expect(alice.store.account.get()).toMatchObject({ password: pending, nextPassword: undefined });
    expect(alice.client.account!.password).not.toEqual(first);

    mode = 'fail';
    await expect(alice.client.devices.rotateCredentials()).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    expect(alice.store.account.get()!.nextPassword).toHaveLength(32);
    mode = 'pass';
    // The next change first finds that the server never took the lost one, then changes it.
    await alice.client.devices.rotateCredentials();
    const now = alice.store.account.get()!;
    expect(now.nextPassword).toBeUndefined();
    expect(now.password).not.toEqual(pending);
    const bob = await registered(server, 'bob');
    await bob.client.sendText('alice', 'after two changes');
    await alice.receives('after two changes');
  });
});
