// Persisted records: bounds that survive serialization, archived sessions, and
// corrupt records (bit flips, truncations) that fail only with InvalidState and
// never make a later decrypt throw anything but a ProtocolError. Node and Chromium.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidState, ProtocolError } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { PreKeySignalMessage, SignalMessage } from './messages.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord } from './prekeys.ts';
import { processPreKeyBundle } from './session-builder.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from './session-cipher.ts';
import { ARCHIVED_STATES_MAX_LENGTH, MAX_MESSAGE_KEYS, SessionRecord } from './session-state.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function send(from: ParleyDevice, to: ParleyDevice, text: string) {
  return signalEncrypt(enc.encode(text), to.address, from.store, from.store);
}

async function deliver(to: ParleyDevice, from: ParleyDevice, m: { type: 'prekey' | 'whisper'; serialize(): Uint8Array }) {
  const bytes = m.serialize();
  if (m.type === 'prekey') {
    return dec.decode(await signalDecryptPreKey(PreKeySignalMessage.deserialize(bytes), from.address, to.store, to.store, to.store, to.store, to.store));
  }
  return dec.decode(await signalDecrypt(SignalMessage.deserialize(bytes), from.address, to.store, to.store));
}

async function established() {
  const a = new ParleyDevice('alice');
  const b = new ParleyDevice('bob');
  await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store);
  await deliver(b, a, await send(a, b, 'hi'));
  await deliver(a, b, await send(b, a, 'ack'));
  return { a, b };
}

/** Every decoder of a stored record: InvalidState or a value, nothing else. */
function expectRecordDecode(decode: (b: Uint8Array) => unknown, bytes: Uint8Array): boolean {
  try {
    decode(bytes);
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidState);
    return false;
  }
}

describe('session records', () => {
  it(`a chain with ${MAX_MESSAGE_KEYS} skipped keys survives serialization and the keys still work`, async () => {
    const { a, b } = await established();
    const msgs = [];
    for (let i = 0; i < MAX_MESSAGE_KEYS + 5; i++) msgs.push(await send(a, b, `m${i}`));
    expect(await deliver(b, a, msgs[msgs.length - 1]!)).toBe(`m${msgs.length - 1}`);
    const record = (await b.store.loadSession(a.address))!;
    const reloaded = SessionRecord.deserialize(record.serialize());
    expect(reloaded.currentState()!.receiverChains.at(-1)!.messageKeys.length).toBe(MAX_MESSAGE_KEYS);
    expect(toHex(reloaded.serialize())).toBe(toHex(record.serialize()));
    await b.store.storeSession(a.address, reloaded);
    // The 5 oldest keys were dropped; the rest decrypt after the reload.
    expect(await deliver(b, a, msgs[5]!)).toBe('m5');
    expect(await deliver(b, a, msgs[MAX_MESSAGE_KEYS]!)).toBe(`m${MAX_MESSAGE_KEYS}`);
  });

  it(`keeps at most ${ARCHIVED_STATES_MAX_LENGTH} archived sessions; the newest first, late messages promote theirs`, async () => {
    const a = new ParleyDevice('alice');
    const b = new ParleyDevice('bob');
    const firsts: { type: 'prekey' | 'whisper'; serialize(): Uint8Array }[] = [];
    const lateOnSecond = { msg: undefined as undefined | { type: 'prekey' | 'whisper'; serialize(): Uint8Array } };
    for (let i = 0; i < ARCHIVED_STATES_MAX_LENGTH + 3; i++) {
      await processPreKeyBundle(await b.bundle(i % 2 === 0), b.address, a.store, a.store);
      const m = await send(a, b, `s${i}`);
      firsts.push(m);
      expect(await deliver(b, a, m)).toBe(`s${i}`);
      if (i === ARCHIVED_STATES_MAX_LENGTH + 1) lateOnSecond.msg = await send(a, b, 'late');
    }
    for (const d of [a, b]) {
      const peer = d === a ? b.address : a.address;
      const rec = SessionRecord.deserialize((await d.store.loadSession(peer))!.serialize());
      expect(rec.previousStateCount()).toBe(ARCHIVED_STATES_MAX_LENGTH);
    }
    // A late message for the previous session decrypts and makes that session current.
    const recBefore = (await b.store.loadSession(a.address))!;
    const currentBase = toHex(recBefore.currentState()!.aliceBaseKey);
    expect(await deliver(b, a, lateOnSecond.msg!)).toBe('late');
    const recAfter = (await b.store.loadSession(a.address))!;
    expect(toHex(recAfter.currentState()!.aliceBaseKey)).not.toBe(currentBase);
    expect(toHex(recAfter.previousState(0).aliceBaseKey)).toBe(currentBase);
    expect(recAfter.previousStateCount()).toBe(ARCHIVED_STATES_MAX_LENGTH);
  });

  it('corrupt records (bit flips, truncations, random bytes) fail with InvalidState only, and never break a later decrypt', async () => {
    const { a, b } = await established();
    // Some skipped keys and an archived session, so every part of the record is exercised.
    const skipped = [];
    for (let i = 0; i < 3; i++) skipped.push(await send(a, b, `k${i}`));
    await deliver(b, a, skipped[2]!);
    const valid = (await b.store.loadSession(a.address))!.serialize();
    const archived = SessionRecord.deserialize(valid);
    archived.archiveCurrentState();
    const withArchive = archived.serialize();
    const next = (await send(a, b, 'next')).serialize();
    const preKey = PreKeyRecord.generate(5).serialize();
    const signed = SignedPreKeyRecord.generate(6, b.identity, 1_700_000_000_000).serialize();
    const kyber = KyberPreKeyRecord.generate(7, b.identity, 1_700_000_000_000).serialize();
    const decoders: Array<[(x: Uint8Array) => unknown, Uint8Array]> = [
      [SessionRecord.deserialize, valid],
      [SessionRecord.deserialize, withArchive],
      [PreKeyRecord.deserialize, preKey],
      [SignedPreKeyRecord.deserialize, signed],
      [KyberPreKeyRecord.deserialize, kyber],
    ];
    for (const [d, bytes] of decoders) expect(expectRecordDecode(d, bytes)).toBe(true);

    await fc.assert(
      fc.asyncProperty(fc.nat(decoders.length - 1), fc.nat(), fc.nat(), fc.boolean(), async (which, bitSeed, cutSeed, truncate) => {
        const [decode, bytes] = decoders[which]!;
        const bad = truncate ? bytes.subarray(0, cutSeed % bytes.length) : bytes.slice();
        if (!truncate) {
          const bit = bitSeed % (bytes.length * 8);
          bad[bit >> 3]! ^= 1 << (bit & 7);
        }
        if (!expectRecordDecode(decode, bad) || decode !== SessionRecord.deserialize) return;
        // A corrupt-but-parseable session: decrypting with it fails only with typed errors.
        const d = new ParleyDevice('bob-copy');
        await d.store.storeSession(a.address, SessionRecord.deserialize(bad));
        try {
          await signalDecrypt(SignalMessage.deserialize(next), a.address, d.store, d.store);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
        try {
          await signalEncrypt(enc.encode('x'), a.address, d.store, d.store);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        for (const [decode] of decoders) expectRecordDecode(decode, bytes);
      }),
      { numRuns: 500 },
    );
    // The untouched record still decrypts.
    expect(await deliver(b, a, { type: 'whisper', serialize: () => next })).toBe('next');
  });
});
