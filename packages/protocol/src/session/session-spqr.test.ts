// The triple ratchet in Parley <-> Parley sessions: SPQR salts every message key, its
// state is kept only once a message authenticates and travels with the session record,
// and the three SPQR modes negotiate as libsignal 0.90 and 0.92+ do. Runs in Node and
// in headless Chromium.
import { describe, expect, it } from 'vitest';
import { ProtocolAddress } from '../address.ts';
import { InvalidArgument, InvalidMessage, SpqrRequired } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { decodeMessage } from '../spqr/message.ts';
import { recv as spqrRecv } from '../spqr/ratchet.ts';
import { decodeState } from '../spqr/state-codec.ts';
import { ParleyDevice } from '../test-support/parley-device.ts';
import { PreKeySignalMessage, SignalMessage } from './messages.ts';
import type { SpqrMode } from './pqxdh.ts';
import { deriveMessageKeys, messageKeySeed } from './ratchet-keys.ts';
import { processPreKeyBundle } from './session-builder.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from './session-cipher.ts';
import { SessionRecord } from './session-state.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

async function pair(aliceMode?: SpqrMode, bobMode?: SpqrMode) {
  const a = new ParleyDevice('alice');
  const b = new ParleyDevice('bob');
  await processPreKeyBundle(await b.bundle(), b.address, a.store, a.store, Date.now(), aliceMode ? { spqr: aliceMode } : undefined);
  return { a, b, bobOptions: bobMode ? { spqr: bobMode } : undefined };
}

async function send(from: ParleyDevice, to: ParleyDevice, text: string) {
  return signalEncrypt(enc.encode(text), to.address, from.store, from.store);
}

async function receive(d: ParleyDevice, from: ProtocolAddress, m: { type: 'prekey' | 'whisper'; bytes: Uint8Array }, spqr?: SpqrMode) {
  const out =
    m.type === 'prekey'
      ? await signalDecryptPreKey(PreKeySignalMessage.deserialize(m.bytes), from, d.store, d.store, d.store, d.store, d.store, spqr ? { spqr } : undefined)
      : await signalDecrypt(SignalMessage.deserialize(m.bytes), from, d.store, d.store);
  return dec.decode(out);
}

const wire = (m: Awaited<ReturnType<typeof send>>) => ({ type: m.type, bytes: m.serialize() });

async function pqState(d: ParleyDevice, peer: ProtocolAddress): Promise<Uint8Array> {
  return (await d.store.loadSession(peer))!.currentState()!.pqRatchetState;
}

async function epoch(d: ParleyDevice, peer: ProtocolAddress): Promise<number> {
  return decodeState(await pqState(d, peer)).inner?.epoch ?? 0;
}

function innerOf(bytes: Uint8Array): SignalMessage {
  try {
    return PreKeySignalMessage.deserialize(bytes).message;
  } catch {
    return SignalMessage.deserialize(bytes);
  }
}

describe('triple ratchet (SPQR in sessions)', () => {
  it('runs SPQR V1 by default through more than five epochs; the state round-trips with the record at every step', async () => {
    const { a, b } = await pair();
    let bobHas = false;
    for (let i = 0; i < 240; i++) {
      // Each side sends twice in a row now and then, so both roles see more than one chunk per turn.
      for (let k = 0; k < 1 + (i % 3 === 0 ? 1 : 0); k++) {
        const m = await send(a, b, `a${i}.${k}`);
        expect(innerOf(m.serialize()).pqRatchet.length).toBeGreaterThan(0);
        expect(await receive(b, a.address, wire(m))).toBe(`a${i}.${k}`);
        bobHas = true;
      }
      if (!bobHas) continue;
      const r = await send(b, a, `b${i}`);
      expect(await receive(a, b.address, wire(r))).toBe(`b${i}`);
      // Serialized with the session record: a reload changes no byte of it.
      for (const [d, peer] of [
        [a, b.address],
        [b, a.address],
      ] as const) {
        const bytes = (await d.store.loadSession(peer))!.serialize();
        expect(toHex(SessionRecord.deserialize(bytes).serialize())).toBe(toHex(bytes));
      }
    }
    expect(Math.min(await epoch(a, b.address), await epoch(b, a.address))).toBeGreaterThan(5);
  });

  it('the SPQR key is the salt of the message keys: without it the MAC fails', async () => {
    const { a, b } = await pair();
    await receive(b, a.address, wire(await send(a, b, 'hi')));
    let salted = 0;
    for (let i = 0; i < 30; i++) {
      const m = (await send(b, a, `b${i}`)).serialize();
      const msg = SignalMessage.deserialize(m);
      const state = (await a.store.loadSession(b.address))!.currentState()!;
      const chain = state.receiverChains[state.findReceiverChain(msg.senderRatchetKey)];
      if (chain && chain.chainKey.index === msg.counter) {
        const seed = messageKeySeed(chain.chainKey);
        const pqKey = spqrRecv(state.pqRatchetState, msg.pqRatchet).key;
        expect(pqKey).toBeDefined();
        expect(msg.verifyMac(state.remoteIdentity, state.localIdentity, deriveMessageKeys(seed, msg.counter, pqKey).macKey)).toBe(true);
        expect(msg.verifyMac(state.remoteIdentity, state.localIdentity, deriveMessageKeys(seed, msg.counter).macKey)).toBe(false);
        salted++;
      }
      await receive(a, b.address, { type: 'whisper', bytes: m });
      if (i % 4 === 0) await receive(b, a.address, wire(await send(a, b, `a${i}`)));
    }
    expect(salted).toBeGreaterThan(20);
  });

  it('keeps SPQR state only after a message authenticates: a bad MAC changes nothing, the real message then decrypts', async () => {
    const { a, b } = await pair();
    await receive(b, a.address, wire(await send(a, b, 'hi')));
    const kinds = new Set<string>();
    for (let i = 0; i < 120; i++) {
      const [from, to] = i % 3 === 2 ? [a, b] : [b, a];
      const m = (await send(from, to, `m${i}`)).serialize();
      const before = toHex((await to.store.loadSession(from.address))!.serialize());
      for (const at of [m.length - 1, m.length - 40]) {
        // The MAC, and a byte of the SPQR chunk (covered by the MAC).
        const bad = m.slice();
        bad[at]! ^= 1;
        await expect(receive(to, from.address, { type: 'whisper', bytes: bad })).rejects.toThrow(InvalidMessage);
        expect(toHex((await to.store.loadSession(from.address))!.serialize())).toBe(before);
      }
      expect(await receive(to, from.address, { type: 'whisper', bytes: m })).toBe(`m${i}`);
      kinds.add(decodeState(await pqState(to, from.address)).inner!.kind);
    }
    expect(kinds.size).toBeGreaterThanOrEqual(6);
  });

  it('negotiates: required with required, optional with optional are V1; optional falls back to none with a peer without SPQR', async () => {
    for (const [am, bm] of [
      ['required', 'required'],
      ['optional', 'optional'],
      ['optional', 'required'],
      ['required', 'optional'],
    ] as const) {
      const { a, b } = await pair(am, bm);
      const first = await send(a, b, 'hi');
      // Optional (as libsignal 0.90): the first messages carry SPQR but no key yet (chain index 0).
      expect(decodeMessage(innerOf(first.serialize()).pqRatchet).index).toBe(am === 'required' ? 1 : 0);
      expect(await receive(b, a.address, wire(first), bm)).toBe('hi');
      for (let i = 0; i < 3; i++) {
        expect(await receive(a, b.address, wire(await send(b, a, 'r')))).toBe('r');
        expect(await receive(b, a.address, wire(await send(a, b, 'q')))).toBe('q');
      }
      expect((await pqState(a, b.address)).length, `${am}/${bm}`).toBeGreaterThan(0);
      expect(decodeState(await pqState(a, b.address)).versionNegotiation, `${am}/${bm}`).toBeUndefined();
      expect((await pqState(b, a.address)).length).toBeGreaterThan(0);
    }
    for (const [am, bm] of [
      ['optional', 'off'],
      ['off', 'optional'],
      ['off', 'off'],
    ] as const) {
      const { a, b } = await pair(am, bm);
      expect(await receive(b, a.address, wire(await send(a, b, 'hi')), bm)).toBe('hi');
      for (let i = 0; i < 3; i++) {
        const r = await send(b, a, 'r');
        expect(await receive(a, b.address, wire(r))).toBe('r');
        expect(await receive(b, a.address, wire(await send(a, b, 'q')))).toBe('q');
      }
      expect((await pqState(a, b.address)).length, `${am}/${bm}`).toBe(0);
      expect((await pqState(b, a.address)).length, `${am}/${bm}`).toBe(0);
      expect(innerOf((await send(a, b, 'z')).serialize()).pqRatchet.length).toBe(0);
    }
  });

  it('a peer that requires SPQR and a session without it fail with SpqrRequired, saying which side requires it', async () => {
    // Alice requires SPQR (libsignal 0.92+), Bob's session has none: Bob cannot read her messages.
    {
      const { a, b } = await pair('required');
      const err = await receive(b, a.address, wire(await send(a, b, 'hi')), 'off').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpqrRequired);
      expect((err as SpqrRequired).requiredBy).toBe('peer');
      expect((err as SpqrRequired).code).toBe('SPQR_REQUIRED');
      expect(await b.store.loadSession(a.address)).toBeUndefined();
    }
    // Alice has none, Bob requires it: Bob refuses her first message.
    {
      const { a, b } = await pair('off');
      const err = await receive(b, a.address, wire(await send(a, b, 'hi')), 'required').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpqrRequired);
      expect((err as SpqrRequired).requiredBy).toBe('local');
    }
    // After negotiating V1, a message stripped of its SPQR part is refused (and not as a MAC failure only).
    {
      const { a, b } = await pair('optional', 'optional');
      await receive(b, a.address, wire(await send(a, b, 'hi')), 'optional');
      await receive(a, b.address, wire(await send(b, a, 'r')));
      const stripped = (await send(a, b, 'q')).serialize();
      const msg = SignalMessage.deserialize(stripped);
      const state = (await b.store.loadSession(a.address))!.currentState()!;
      expect(() => spqrRecv(state.pqRatchetState, new Uint8Array(0))).toThrow(SpqrRequired);
      expect(msg.pqRatchet.length).toBeGreaterThan(0);
    }
    await expect(
      processPreKeyBundle(await new ParleyDevice('x').bundle(), new ProtocolAddress('x', 1), new ParleyDevice('y').store, new ParleyDevice('y').store, Date.now(), {
        spqr: 'sometimes' as SpqrMode,
      }),
    ).rejects.toThrow(InvalidArgument);
  });
});
