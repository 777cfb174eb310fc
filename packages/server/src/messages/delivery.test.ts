// The delivery hub's read discipline against a queue whose reads complete when the
// test says so: at most one read per connection, and a wake-up that lands at any
// point of a read is never lost.
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { MessageQueue, StoredEnvelope } from '../storage/storage.ts';
import { DeliveryHub, newConnection } from './delivery.ts';

function envelope(id: number): StoredEnvelope {
  return { id, sourceAccountId: 'a', sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 1, serverTimestamp: 1, messageType: 'whisper', content: new Uint8Array([id]), ephemeral: false };
}

/** A queue whose `pending` answers only when the test resolves the read. */
function manualQueue() {
  const reads: Array<{ afterId: number; answer: (rows: StoredEnvelope[]) => void }> = [];
  const queue = {
    pending: (_a: string, _d: number, afterId: number) => new Promise<StoredEnvelope[]>((answer) => reads.push({ afterId, answer })),
    ackBatch: async () => 0,
  } as unknown as MessageQueue;
  return { queue, reads };
}

function fakeSocket() {
  const frames: Array<{ type: string; id?: number }> = [];
  const ws = { OPEN: 1, readyState: 1, send: (d: string) => frames.push(JSON.parse(d)), close() {}, terminate() {} } as unknown as WebSocket;
  return { ws, frames };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('delivery hub', () => {
  it('a wake-up right as a read finishes starts another read', async () => {
    const { queue, reads } = manualQueue();
    const hub = new DeliveryHub(queue, () => 0, () => undefined, (e) => { throw e; });
    const { ws, frames } = fakeSocket();
    hub.add(newConnection(ws, "acc", 1, 0));
    expect(reads).toHaveLength(1);
    // The read comes back empty; in the very next microtask an envelope is stored and the device woken.
    reads[0]!.answer([]);
    void Promise.resolve().then(() => hub.notify('acc', 1));
    await turn();
    expect(reads).toHaveLength(2);
    reads[1]!.answer([envelope(5)]);
    await turn();
    expect(frames.map((f) => f.type)).toEqual(['queue-empty', 'envelope']);
  });

  it('a wake-up during a read makes it read again instead of reading twice at once', async () => {
    const { queue, reads } = manualQueue();
    const hub = new DeliveryHub(queue, () => 0, () => undefined, (e) => { throw e; });
    const { ws, frames } = fakeSocket();
    hub.add(newConnection(ws, "acc", 1, 0));
    hub.notify('acc', 1, [envelope(3)]);
    hub.notify('acc', 1);
    expect(reads).toHaveLength(1);
    reads[0]!.answer([envelope(2), envelope(3)]);
    await turn();
    expect(reads).toHaveLength(2);
    expect(reads[1]!.afterId).toBe(3);
    reads[1]!.answer([]);
    await turn();
    // Caught up now: a fresh envelope goes straight out, no read.
    hub.notify('acc', 1, [envelope(4)]);
    expect(reads).toHaveLength(2);
    expect(frames.map((f) => f.id ?? f.type)).toEqual([2, 3, 'queue-empty', 4]);
  });
});
