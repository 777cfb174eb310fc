// Parley <-> Parley sessions, limits, and decoder robustness. Runs in Node and
// in headless Chromium (no Node APIs, no libsignal).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProtocolAddress } from '../address.ts';
import { DuplicateMessage, InvalidMessage, LegacyMessage, NoSession, ProtocolError } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { PreKeySignalMessage, SignalMessage } from './messages.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.ts';
import { processPreKeyBundle } from './session-builder.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from './session-cipher.ts';
import { MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS, SessionRecord } from './session-state.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function pair() {
  const a = new ParleyDevice('alice');
  const b = new ParleyDevice('bob');
  await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
  const first = await signalEncrypt(enc.encode('hi'), b.address, a.store, a.store);
  expect(first.type).toBe('prekey');
  const firstBytes = first.serialize();
  expect(dec.decode(await recvPreKey(b, a.address, firstBytes))).toBe('hi');
  return { a, b, firstBytes };
}

function recvPreKey(d: ParleyDevice, from: ProtocolAddress, bytes: Uint8Array) {
  return signalDecryptPreKey(PreKeySignalMessage.deserialize(bytes), from, d.store, d.store, d.store, d.store, d.store);
}

function recv(d: ParleyDevice, from: ProtocolAddress, bytes: Uint8Array) {
  return signalDecrypt(SignalMessage.deserialize(bytes), from, d.store, d.store);
}

async function send(from: ParleyDevice, to: ParleyDevice, text: string) {
  return (await signalEncrypt(enc.encode(text), to.address, from.store, from.store)).serialize();
}

async function snapshot(d: ParleyDevice, peer: ProtocolAddress) {
  return toHex((await d.store.loadSession(peer))!.serialize());
}

describe('1:1 sessions (Parley <-> Parley)', () => {
  it('turns the ratchet both ways; the reply ends prekey messages; a replay is a DuplicateMessage', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 20; i++) {
      const m = await send(b, a, `b${i}`);
      expect(dec.decode(await recv(a, b.address, m))).toBe(`b${i}`);
      const n = await send(a, b, `a${i}`);
      expect(dec.decode(await recv(b, a.address, n))).toBe(`a${i}`);
      if (i === 19) await expect(recv(b, a.address, n)).rejects.toThrow(DuplicateMessage);
    }
    expect((await signalEncrypt(enc.encode('x'), b.address, a.store, a.store)).type).toBe('whisper');
  });

  it('one-time prekey is consumed; reusing the first message after the session moved on is rejected', async () => {
    const { a, b, firstBytes } = await pair();
    expect(b.store.preKeyStore.count()).toBe(0);
    const before = await snapshot(b, a.address);
    await expect(recvPreKey(b, a.address, firstBytes)).rejects.toThrow(DuplicateMessage);
    expect(await snapshot(b, a.address)).toBe(before);
  });

  it('a replayed first message that used only the last-resort Kyber prekey is refused, even once the session is gone', async () => {
    const a = new ParleyDevice('alice');
    const b = new ParleyDevice('bob');
    const bundle = await b.bundle(false);
    await b.store.saveKyberPreKey(bundle.kyberPreKeyId, await b.store.getKyberPreKey(bundle.kyberPreKeyId), false);
    await processPreKeyBundle(bundle, b.address, a.store, a.store);
    const first = await send(a, b, 'once');
    expect(dec.decode(await recvPreKey(b, a.address, first))).toBe('once');
    // The session is lost (or archived out of reach); only the store's memory of base keys remains.
    await b.store.storeSession(a.address, SessionRecord.newFresh());
    await expect(recvPreKey(b, a.address, first)).rejects.toThrow(InvalidMessage);
    expect((await b.store.loadSession(a.address))!.currentState()).toBeUndefined();
    // A genuinely new session on the same last-resort key still works.
    await processPreKeyBundle(bundle, b.address, a.store, a.store);
    expect(dec.decode(await recvPreKey(b, a.address, await send(a, b, 'again')))).toBe('again');
  });

  it('out-of-order delivery within a chain uses stored skipped keys', async () => {
    const { a, b } = await pair();
    const reply = await send(b, a, 'ack');
    await recv(a, b.address, reply);
    const msgs = [];
    for (let i = 0; i < 50; i++) msgs.push(await send(a, b, `m${i}`));
    for (const i of [49, 0, 25, 1, 48, 2]) expect(dec.decode(await recv(b, a.address, msgs[i]!))).toBe(`m${i}`);
  });

  it(`keeps at most ${MAX_MESSAGE_KEYS} skipped keys per chain (oldest dropped)`, async () => {
    const { a, b } = await pair();
    await recv(a, b.address, await send(b, a, 'ack'));
    const msgs = [];
    for (let i = 0; i < MAX_MESSAGE_KEYS + 10; i++) msgs.push(await send(a, b, `m${i}`));
    expect(dec.decode(await recv(b, a.address, msgs[msgs.length - 1]!))).toBe(`m${msgs.length - 1}`);
    // The 9 oldest skipped keys were dropped; message 10 is still decryptable.
    await expect(recv(b, a.address, msgs[0]!)).rejects.toThrow(DuplicateMessage);
    expect(dec.decode(await recv(b, a.address, msgs[10]!))).toBe('m10');
  });

  it('rejects a message more than 25,000 ahead without changing state', async () => {
    const { a, b } = await pair();
    await recv(a, b.address, await send(b, a, 'ack'));
    // Advance Alice's sending chain by 25,002 without delivering (the cost is the point of the bound).
    const record = (await a.store.loadSession(b.address))!;
    const state = record.currentState()!.clone();
    let ck = state.senderChain!.chainKey;
    const { nextChainKey } = await import('./ratchet-keys.ts');
    for (let i = 0; i < 25_002; i++) ck = nextChainKey(ck);
    state.senderChain = { ...state.senderChain!, chainKey: ck };
    const r2 = record.clone();
    r2.setCurrentState(state);
    await a.store.storeSession(b.address, r2);
    const far = await send(a, b, 'too far');
    const before = await snapshot(b, a.address);
    await expect(recv(b, a.address, far)).rejects.toThrow(InvalidMessage);
    expect(await snapshot(b, a.address)).toBe(before);
  });

  it(`keeps at most ${MAX_RECEIVER_CHAINS} receiver chains`, async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 12; i++) {
      await recv(a, b.address, await send(b, a, `b${i}`));
      await recv(b, a.address, await send(a, b, `a${i}`));
    }
    const state = (await b.store.loadSession(a.address))!.currentState()!;
    expect(state.receiverChains.length).toBe(MAX_RECEIVER_CHAINS);
  });

  it('a new session archives the old one, and late messages for the old one still decrypt', async () => {
    const { a, b } = await pair();
    await recv(a, b.address, await send(b, a, 'ack'));
    const late = await send(a, b, 'late on old session');
    // Alice starts over (e.g. reinstall of her session state) with a new bundle.
    await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
    expect(dec.decode(await recvPreKey(b, a.address, await send(a, b, 'new session')))).toBe('new session');
    const rec = (await b.store.loadSession(a.address))!;
    expect(rec.previousStateCount()).toBe(1);
    expect(dec.decode(await recv(b, a.address, late))).toBe('late on old session');
  });

  it('refuses to send on a session never answered for 30 days', async () => {
    const a = new ParleyDevice('alice');
    const b = new ParleyDevice('bob');
    const t0 = Date.UTC(2026, 0, 1);
    await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store, t0);
    await signalEncrypt(enc.encode('x'), b.address, a.store, a.store, t0 + 29 * 86_400_000);
    await expect(signalEncrypt(enc.encode('x'), b.address, a.store, a.store, t0 + 31 * 86_400_000)).rejects.toThrow(NoSession);
  });

  it('bit flips and truncations of valid messages are rejected with typed errors and change no state', async () => {
    const { a, b } = await pair();
    await recv(a, b.address, await send(b, a, 'ack'));
    const valid = await send(a, b, 'valid message');
    const validPreKeyPair = await (async () => {
      const c = new ParleyDevice('carol');
      // No one-time prekey and a last-resort Kyber key: a flip that still decrypts (outer,
      // unauthenticated fields) consumes nothing, so every later run reaches decryption too.
      const bundle = await b.bundle(false);
      await b.store.saveKyberPreKey(bundle.kyberPreKeyId, await b.store.getKyberPreKey(bundle.kyberPreKeyId), false);
      await processPreKeyBundle(bundle, b.address, c.store, c.store);
      return { from: c.address, bytes: await send(c, b, 'prekey') };
    })();
    const before = await snapshot(b, a.address);
    await fc.assert(
      fc.asyncProperty(fc.nat(valid.length * 8 - 1), fc.nat(valid.length - 1), async (bit, cut) => {
        const flipped = valid.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const bad of [flipped, valid.subarray(0, cut)]) {
          try {
            await recv(b, a.address, bad);
            throw new Error('a corrupted message decrypted');
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
          }
        }
        expect(await snapshot(b, a.address)).toBe(before);
      }),
      { numRuns: 150 },
    );
    // Some outer PreKeySignalMessage fields (registration id, the version byte's low
    // nibble) are not authenticated, in libsignal too: such flips may still decrypt,
    // but only to the original plaintext. Everything else fails and changes nothing.
    const snap = async () => toHex((await b.store.loadSession(validPreKeyPair.from))?.serialize() ?? new Uint8Array(0));
    await fc.assert(
      fc.asyncProperty(fc.nat(validPreKeyPair.bytes.length * 8 - 1), fc.nat(validPreKeyPair.bytes.length - 1), async (bit, cut) => {
        const flipped = validPreKeyPair.bytes.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const bad of [flipped, validPreKeyPair.bytes.subarray(0, cut)]) {
          const pre = await snap();
          const preKeys = b.store.preKeyStore.count();
          try {
            expect(dec.decode(await recvPreKey(b, validPreKeyPair.from, bad))).toBe('prekey');
            // It decrypted (only unauthenticated outer fields changed): start over from a clean slate.
            await b.store.storeSession(validPreKeyPair.from, SessionRecord.newFresh());
          } catch (e) {
            expect(e).toBeInstanceOf(ProtocolError);
            expect(await snap()).toBe(pre);
            expect(b.store.preKeyStore.count(), 'a failed prekey message consumes no prekey').toBe(preKeys);
          }
        }
      }),
      { numRuns: 60 },
    );
    // The untouched message still decrypts afterwards.
    expect(dec.decode(await recv(b, a.address, valid))).toBe('valid message');
  });

  it('decoders throw only ProtocolErrors on random bytes', () => {
    const decoders = [
      SignalMessage.deserialize,
      PreKeySignalMessage.deserialize,
      SessionRecord.deserialize,
      PreKeyRecord.deserialize,
      SignedPreKeyRecord.deserialize,
      KyberPreKeyRecord.deserialize,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0x33, 0x44, 0x34, 0x24, 0x54), (bytes, version) => {
        const withVersion = new Uint8Array([version, ...bytes]);
        for (const d of decoders) {
          for (const input of [bytes, withVersion]) {
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

  it('rejects X3DH (version 3) prekey messages as legacy', () => {
    const m = new Uint8Array([0x33, 0x08, 0x01]);
    expect(() => PreKeySignalMessage.deserialize(m)).toThrow(LegacyMessage);
    expect(() => SignalMessage.deserialize(new Uint8Array([0x33, ...new Array(20).fill(0)]))).toThrow(LegacyMessage);
  });

  it('session records round-trip through serialization', async () => {
    const { a, b } = await pair();
    await recv(a, b.address, await send(b, a, 'ack'));
    const rec = (await b.store.loadSession(a.address))!;
    const again = SessionRecord.deserialize(rec.serialize());
    expect(toHex(again.serialize())).toBe(toHex(rec.serialize()));
    await b.store.storeSession(a.address, again);
    expect(dec.decode(await recv(b, a.address, await send(a, b, 'after reload')))).toBe('after reload');
  });
});
