// Sender Keys between Parley and libsignal-client 0.90, both directions, with
// skipped, out-of-order and duplicated delivery; records interchangeable.
import { describe, expect, it } from 'vitest';
import * as SC from '@signalapp/libsignal-client';
import { ProtocolAddress } from '../address.ts';
import { DuplicateMessage } from '../errors.ts';
import { ab } from '../test-support/libsignal-peer.ts';
import { seededRandom } from '../test-support/parley-device.ts';
import {
  createSenderKeyDistributionMessage,
  groupDecrypt,
  groupEncrypt,
  processSenderKeyDistributionMessage,
} from './group-cipher.ts';
import { SenderKeyDistributionMessage } from './messages.ts';
import { SenderKeyRecord } from './record.ts';
import { InMemorySenderKeyStore } from './store.ts';

class SCStore extends SC.SenderKeyStore {
  m = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSenderKey(s: SC.ProtocolAddress, d: string, r: SC.SenderKeyRecord) {
    this.m.set(`${s.toString()}:${d}`, r.serialize());
  }
  async getSenderKey(s: SC.ProtocolAddress, d: string) {
    const b = this.m.get(`${s.toString()}:${d}`);
    return b ? SC.SenderKeyRecord.deserialize(b) : null;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const DIST = 'd1b1e7a4-2c3b-4f5e-8a9b-0c1d2e3f4a5b';

/** Delivers `n` messages in a shuffled order with some duplicates; checks each. */
async function deliverShuffled(
  messages: { text: string; bytes: Uint8Array }[],
  receive: (b: Uint8Array) => Promise<Uint8Array>,
  isDuplicate: (e: unknown) => boolean,
  seed: number,
) {
  const rnd = seededRandom(seed);
  const order = messages.map((_, i) => i);
  // Local shuffles only (windows of 8) so skipped-key storage is exercised but bounded.
  for (let i = 0; i < order.length; i += 8) {
    const w = order.slice(i, i + 8).sort(() => rnd() - 0.5);
    order.splice(i, w.length, ...w);
  }
  let dups = 0;
  for (const i of order) {
    const m = messages[i]!;
    expect(dec.decode(await receive(m.bytes))).toBe(m.text);
    if (rnd() < 0.1) {
      await expect(receive(m.bytes)).rejects.toSatisfy(isDuplicate);
      dups++;
    }
  }
  return dups;
}

describe('Sender Keys with libsignal 0.90', () => {
  it('libsignal sends to a Parley member (300 messages, shuffled, duplicates rejected)', async () => {
    const senderSC = SC.ProtocolAddress.new('alice', 1);
    const scStore = new SCStore();
    const skdm = await SC.SenderKeyDistributionMessage.create(senderSC, DIST, scStore);
    const ours = new InMemorySenderKeyStore();
    const alice = new ProtocolAddress('alice', 1);
    await processSenderKeyDistributionMessage(alice, SenderKeyDistributionMessage.deserialize(skdm.serialize()), ours);
    const msgs = [];
    for (let i = 0; i < 300; i++) {
      const text = `group ${i}`;
      msgs.push({ text, bytes: new Uint8Array((await SC.groupEncrypt(senderSC, DIST, scStore, ab(enc.encode(text)))).serialize()) });
    }
    const dups = await deliverShuffled(msgs, (b) => groupDecrypt(alice, ours, b), (e) => e instanceof DuplicateMessage, 11);
    expect(dups).toBeGreaterThan(5);
  });

  it('Parley sends to a libsignal member (300 messages, shuffled, duplicates rejected)', async () => {
    const alice = new ProtocolAddress('alice', 1);
    const ours = new InMemorySenderKeyStore();
    const skdm = await createSenderKeyDistributionMessage(alice, DIST, ours);
    const senderSC = SC.ProtocolAddress.new('alice', 1);
    const scStore = new SCStore();
    await SC.processSenderKeyDistributionMessage(senderSC, SC.SenderKeyDistributionMessage.deserialize(ab(skdm.serialize())), scStore);
    const msgs = [];
    for (let i = 0; i < 300; i++) {
      const text = `parley group ${i}`;
      msgs.push({ text, bytes: (await groupEncrypt(alice, DIST, ours, enc.encode(text))).serialize() });
    }
    const dups = await deliverShuffled(
      msgs,
      async (b) => new Uint8Array(await SC.groupDecrypt(senderSC, scStore, ab(b))),
      (e) => (e as { code?: unknown }).code === SC.ErrorCode.DuplicatedMessage,
      12,
    );
    expect(dups).toBeGreaterThan(5);
  });

  it('several senders, a late joiner, and records interchangeable with libsignal', async () => {
    const bob = new ProtocolAddress('bob', 2);
    const bobSC = SC.ProtocolAddress.new('bob', 2);
    const ours = new InMemorySenderKeyStore();
    await createSenderKeyDistributionMessage(bob, DIST, ours);
    for (let i = 0; i < 5; i++) await groupEncrypt(bob, DIST, ours, enc.encode(`early ${i}`));
    // A member who joins now gets the chain at iteration 5.
    const late = await createSenderKeyDistributionMessage(bob, DIST, ours);
    expect(late.iteration).toBe(5);
    const scStore = new SCStore();
    await SC.processSenderKeyDistributionMessage(bobSC, SC.SenderKeyDistributionMessage.deserialize(ab(late.serialize())), scStore);
    const m = await groupEncrypt(bob, DIST, ours, enc.encode('after join'));
    expect(dec.decode(await SC.groupDecrypt(bobSC, scStore, ab(m.serialize())))).toBe('after join');

    // Our sender record (with private signing key) loads in libsignal and keeps sending.
    const ourRecord = (await ours.loadSenderKey(bob, DIST))!;
    const theirCopy = new SCStore();
    theirCopy.m.set(`${bobSC.toString()}:${DIST}`, ab(ourRecord.serialize()));
    const fromThem = await SC.groupEncrypt(bobSC, DIST, theirCopy, ab(enc.encode('continued by libsignal')));
    expect(dec.decode(await SC.groupDecrypt(bobSC, scStore, fromThem.serialize()))).toBe('continued by libsignal');
    // And libsignal's receiving record parses as ours and decrypts.
    const parsed = SenderKeyRecord.deserialize(scStore.m.get(`${bobSC.toString()}:${DIST}`)!);
    const ours2 = new InMemorySenderKeyStore();
    await ours2.storeSenderKey(bob, DIST, parsed);
    // `ours` is one message behind libsignal's copy, so its next message (iteration 6)
    // is a duplicate for the parsed record; iteration 7 is new to both.
    const stale = await groupEncrypt(bob, DIST, ours, enc.encode('iteration 6'));
    await expect(groupDecrypt(bob, ours2, stale.serialize())).rejects.toThrow(DuplicateMessage);
    const again = await groupEncrypt(bob, DIST, ours, enc.encode('to parsed record'));
    expect(dec.decode(await groupDecrypt(bob, ours2, again.serialize()))).toBe('to parsed record');
  });
});
