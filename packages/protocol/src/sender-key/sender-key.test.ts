// Sender Keys Parley <-> Parley, limits, decoder robustness (Node and Chromium).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolAddress } from '../address.ts';
import { DuplicateMessage, InvalidMessage, InvalidSignature, NoSenderKeyState, ProtocolError } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { createSenderKeyDistributionMessage, groupDecrypt, groupEncrypt, processSenderKeyDistributionMessage } from './group-cipher.ts';
import { SenderKeyDistributionMessage, SenderKeyMessage } from './messages.ts';
import { MAX_SENDER_KEY_STATES, MAX_SENDER_MESSAGE_KEYS, SenderKeyRecord } from './record.ts';
import { InMemorySenderKeyStore } from './store.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();
const DIST = '6f1d8c32-4d6e-4a8b-9c1f-2e3d4c5b6a79';
const alice = new ProtocolAddress('alice', 1);

async function group() {
  const aStore = new InMemorySenderKeyStore();
  const bStore = new InMemorySenderKeyStore();
  const skdm = await createSenderKeyDistributionMessage(alice, DIST, aStore);
  await processSenderKeyDistributionMessage(alice, SenderKeyDistributionMessage.deserialize(skdm.serialize()), bStore);
  return { aStore, bStore };
}

describe('Sender Keys (Parley <-> Parley)', () => {
  it('delivers in order and out of order; replays are duplicates', async () => {
    const { aStore, bStore } = await group();
    const msgs = [];
    for (let i = 0; i < 30; i++) msgs.push((await groupEncrypt(alice, DIST, aStore, enc.encode(`m${i}`))).serialize());
    for (const i of [29, 3, 0, 15, 1]) expect(dec.decode(await groupDecrypt(alice, bStore, msgs[i]!))).toBe(`m${i}`);
    await expect(groupDecrypt(alice, bStore, msgs[3]!)).rejects.toThrow(DuplicateMessage);
  });

  it(`keeps at most ${MAX_SENDER_MESSAGE_KEYS} skipped keys and rejects jumps over 25,000`, async () => {
    const { aStore, bStore } = await group();
    const msgs = [];
    for (let i = 0; i < MAX_SENDER_MESSAGE_KEYS + 5; i++) msgs.push((await groupEncrypt(alice, DIST, aStore, enc.encode(`m${i}`))).serialize());
    await groupDecrypt(alice, bStore, msgs[msgs.length - 1]!);
    await expect(groupDecrypt(alice, bStore, msgs[0]!)).rejects.toThrow(DuplicateMessage);
    expect(dec.decode(await groupDecrypt(alice, bStore, msgs[5]!))).toBe('m5');
    // Forge a far-future iteration with the sender's own key: rejected, state unchanged.
    const rec = (await aStore.loadSenderKey(alice, DIST))!;
    const st = rec.current()!;
    const far = SenderKeyMessage.create(DIST, st.chainId, st.chainKey.iteration + 30_000, new Uint8Array(16), st.signingPrivateKey!);
    const before = toHex((await bStore.loadSenderKey(alice, DIST))!.serialize());
    await expect(groupDecrypt(alice, bStore, far.serialize())).rejects.toThrow(InvalidMessage);
    expect(toHex((await bStore.loadSenderKey(alice, DIST))!.serialize())).toBe(before);
  });

  it(`keeps at most ${MAX_SENDER_KEY_STATES} states per record`, async () => {
    const store = new InMemorySenderKeyStore();
    for (let i = 0; i < 8; i++) {
      const other = new InMemorySenderKeyStore();
      const skdm = await createSenderKeyDistributionMessage(alice, DIST, other);
      await processSenderKeyDistributionMessage(alice, skdm, store);
    }
    expect((await store.loadSenderKey(alice, DIST))!.stateCount()).toBe(MAX_SENDER_KEY_STATES);
  });

  it('a forged signature or unknown sender is refused with typed errors', async () => {
    const { aStore, bStore } = await group();
    const m = (await groupEncrypt(alice, DIST, aStore, enc.encode('x'))).serialize();
    const bad = m.slice();
    bad[bad.length - 5]! ^= 1;
    await expect(groupDecrypt(alice, bStore, bad)).rejects.toThrow(InvalidSignature);
    await expect(groupDecrypt(new ProtocolAddress('mallory', 1), bStore, m)).rejects.toThrow(NoSenderKeyState);
    await expect(groupEncrypt(alice, DIST, bStore, enc.encode('x'))).rejects.toThrow(ProtocolError);
  });

  it('bit flips and truncations never decrypt, throw only typed errors and change no state', async () => {
    const { aStore, bStore } = await group();
    const valid = (await groupEncrypt(alice, DIST, aStore, enc.encode('valid'))).serialize();
    const before = toHex((await bStore.loadSenderKey(alice, DIST))!.serialize());
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length * 8 - 1), fc.nat(valid.length - 1), async (bit, cut) => {
        const flipped = valid.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const b of [flipped, valid.subarray(0, cut)]) {
          await expect(groupDecrypt(alice, bStore, b)).rejects.toBeInstanceOf(ProtocolError);
        }
        expect(toHex((await bStore.loadSenderKey(alice, DIST))!.serialize())).toBe(before);
      }),
      { numRuns: 100 },
    );
    expect(dec.decode(await groupDecrypt(alice, bStore, valid))).toBe('valid');
  });

  it('decoders throw only ProtocolErrors on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const input of [bytes, new Uint8Array([0x33, ...bytes])]) {
          for (const d of [SenderKeyMessage.deserialize, SenderKeyDistributionMessage.deserialize, SenderKeyRecord.deserialize]) {
            try {
              d(input);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtocolError);
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
