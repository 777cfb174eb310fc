// Acknowledgements through a real server: the envelopes a device processes in one
// turn are acknowledged in one `ack` frame naming all their ids, each id once, and
// the server deletes every one of them.
import { afterAll, describe, expect, it } from 'vitest';
import type { WebSocketFactory } from '../src/index.ts';
import { nodeWebSocket } from '../src/node/index.ts';
import { person, registered, startServer, stopAll } from './harness.ts';

afterAll(stopAll);

describe('acknowledgements', () => {
  it('a backlog is acknowledged in fewer frames than envelopes, every id once, and the queue ends empty', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    // Bob's frames to the server, as they leave (the socket itself is the real one).
    const sent: string[] = [];
    const recording: WebSocketFactory = (url) => {
      const ws = nodeWebSocket(url);
      const send = ws.send.bind(ws);
      ws.send = (data: string) => {
        sent.push(data);
        send(data);
      };
      return ws;
    };
    const bob = person(server, 'bob', undefined, recording);
    await bob.client.register('bob');
    // Sent while Bob is offline: they wait in his queue and come in one read when he connects.
    const bodies = ['one', 'two', 'three', 'four', 'five', 'six'];
    for (const b of bodies) await alice.client.sendText('bob', b);
    const account = (await server.storage.accountByUsername('bob'))!;
    // One envelope per message, and what else the SDK sends a new contact with the first one.
    const queued = await server.storage.queueLength(account.id, 1);
    expect(queued).toBeGreaterThanOrEqual(bodies.length);
    await bob.client.connect();
    for (const b of bodies) await bob.receives(b);
    for (let i = 0; i < 200 && (await server.storage.queueLength(account.id, 1)) > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await server.storage.queueLength(account.id, 1)).toBe(0);

    const acks = sent.map((s) => JSON.parse(s) as { type: string; id?: number; ids?: number[] }).filter((f) => f.type === 'ack');
    const ids = acks.flatMap((f) => f.ids ?? [f.id!]);
    expect(ids.length).toBe(queued);
    expect(new Set(ids).size).toBe(queued);
    expect(acks.length).toBeLessThan(queued);
    // A frame names one id in the form every server reads, or several as a list.
    for (const f of acks) expect(f.ids === undefined ? typeof f.id === 'number' : f.id === undefined && f.ids.length > 1).toBe(true);
  });
});
