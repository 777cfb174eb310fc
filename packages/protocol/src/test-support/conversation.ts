/**
 * Test helper (Node only): randomized conversations between Parley and a libsignal-client
 * device (0.90 or 0.103) with reordering, loss and duplicates, and the bundle converters
 * between the two. Shared by the session interop tests.
 */
import { expect } from 'vitest';
import * as SC from '@signalapp/libsignal-client';
import type { ProtocolAddress } from '../address.ts';
import { PublicKey } from '../curve.ts';
import { DuplicateMessage, InvalidMessage } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { KemPublicKey } from '../kem.ts';
import { PreKeySignalMessage, SignalMessage } from '../session/messages.ts';
import type { SessionOptions } from '../session/pqxdh.ts';
import type { PreKeyBundle } from '../session/prekeys.ts';
import { signalDecrypt, signalDecryptPreKey, signalEncrypt } from '../session/session-cipher.ts';
import { ab, type LibsignalPeer } from './libsignal-peer.ts';
import { type ParleyDevice, seededRandom } from './parley-device.ts';

export type Wire = { type: 'prekey' | 'whisper'; body: Uint8Array };
export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function libsignalBundleToParley(p: ReturnType<LibsignalPeer['bundleParts']>): PreKeyBundle {
  return {
    registrationId: p.registrationId,
    deviceId: p.deviceId,
    preKeyId: p.preKeyId,
    preKey: p.preKey ? PublicKey.deserialize(p.preKey.serialize()) : undefined,
    signedPreKeyId: p.signedPreKeyId,
    signedPreKey: PublicKey.deserialize(p.signedPreKey.serialize()),
    signedPreKeySignature: new Uint8Array(p.signedPreKeySignature),
    kyberPreKeyId: p.kyberPreKeyId,
    kyberPreKey: KemPublicKey.deserialize(p.kyberPreKey.serialize()),
    kyberPreKeySignature: new Uint8Array(p.kyberPreKeySignature),
    identityKey: PublicKey.deserialize(p.identityKey.serialize()),
  };
}

export function parleyBundleToLibsignal(b: PreKeyBundle, lib: typeof SC = SC): SC.PreKeyBundle {
  return lib.PreKeyBundle.new(
    b.registrationId,
    b.deviceId,
    b.preKeyId ?? null,
    b.preKey ? lib.PublicKey.deserialize(ab(b.preKey.serialize())) : null,
    b.signedPreKeyId,
    lib.PublicKey.deserialize(ab(b.signedPreKey.serialize())),
    ab(b.signedPreKeySignature),
    lib.PublicKey.deserialize(ab(b.identityKey.serialize())),
    b.kyberPreKeyId,
    lib.KEMPublicKey.deserialize(ab(b.kyberPreKey.serialize())),
    ab(b.kyberPreKeySignature),
  );
}

export async function parleyEncrypt(d: ParleyDevice, to: ProtocolAddress, text: string): Promise<Wire> {
  const m = await signalEncrypt(enc.encode(text), to, d.store, d.store);
  return { type: m.type, body: m.serialize() };
}

export async function parleyDecrypt(d: ParleyDevice, from: ProtocolAddress, w: Wire, options?: SessionOptions): Promise<Uint8Array> {
  if (w.type === 'prekey') {
    return signalDecryptPreKey(PreKeySignalMessage.deserialize(w.body), from, d.store, d.store, d.store, d.store, d.store, options);
  }
  return signalDecrypt(SignalMessage.deserialize(w.body), from, d.store, d.store);
}

export interface Side {
  name: string;
  send(text: string): Promise<Wire>;
  receive(w: Wire): Promise<string>;
  isDuplicateError(e: unknown): boolean;
  /** Replays of messages whose receiving chain was already dropped fail the MAC instead. */
  isInvalidMessageError(e: unknown): boolean;
  snapshot(): Promise<string>;
}

/**
 * Runs a randomized conversation: each step sends, delivers (out of order within
 * a window), drops, or re-delivers an already delivered message. Every delivered
 * message must decrypt to what was sent; every re-delivery must be rejected as a
 * duplicate.
 */
export async function converse(a: Side, b: Side, seed: number, perSide: number, firstFromA: Wire, firstText: string) {
  try {
    return await converseSeeded(a, b, seed, perSide, firstFromA, firstText);
  } catch (e) {
    // Why: a failure must be reproducible; the seed replays the exact conversation.
    console.error(`randomized conversation failed; replay with seed 0x${seed.toString(16)}`);
    throw e;
  }
}

async function converseSeeded(a: Side, b: Side, seed: number, perSide: number, firstFromA: Wire, firstText: string) {
  const rnd = seededRandom(seed);
  type Flight = { to: Side; from: Side; wire: Wire; text: string; born: number };
  const inFlight: Flight[] = [{ to: b, from: a, wire: firstFromA, text: firstText, born: 0 }];
  const delivered: Flight[] = [];
  const sent = new Map<Side, number>([
    [a, 1],
    [b, 0],
  ]);
  let bHasSession = false;
  let step = 0;
  let lost = 0;
  let dups = 0;
  const deliver = async (f: Flight) => {
    const got = await f.to.receive(f.wire);
    expect(got, `seed ${seed} step ${step}`).toBe(f.text);
    if (f.to === b) bHasSession = true;
    delivered.push(f);
  };
  while ((sent.get(a)! < perSide || sent.get(b)! < perSide || inFlight.length > 0) && step < perSide * 10) {
    step++;
    const oldest = inFlight[0];
    if (oldest && step - oldest.born > 4) {
      inFlight.shift();
      await deliver(oldest);
      continue;
    }
    const r = rnd();
    if (r < 0.45) {
      const from = rnd() < 0.5 ? a : b;
      if (from === b && !bHasSession) continue;
      if (sent.get(from)! >= perSide) continue;
      const to = from === a ? b : a;
      const text = `${from.name} #${sent.get(from)} ${'x'.repeat(Math.floor(rnd() * 200))}`;
      sent.set(from, sent.get(from)! + 1);
      inFlight.push({ to, from, wire: await from.send(text), text, born: step });
    } else if (r < 0.85 && inFlight.length > 0) {
      const i = Math.floor(rnd() * Math.min(inFlight.length, 4));
      const [f] = inFlight.splice(i, 1);
      await deliver(f!);
    } else if (r < 0.9 && inFlight.length > 1) {
      // Loss: never delivered (not the very first message, which starts the session).
      const i = 1 + Math.floor(rnd() * (inFlight.length - 1));
      inFlight.splice(i, 1);
      lost++;
    } else if (delivered.length > 0) {
      const f = delivered[Math.floor(rnd() * delivered.length)]!;
      let threw: unknown;
      const before = await f.to.snapshot();
      try {
        await f.to.receive(f.wire);
      } catch (e) {
        threw = e;
      }
      const rejected = f.to.isDuplicateError(threw) || f.to.isInvalidMessageError(threw);
      expect(rejected, `seed ${seed}: a replay must be rejected, got ${String(threw)}`).toBe(true);
      expect(await f.to.snapshot(), 'a rejected replay changes no state').toBe(before);
      if (f.to.isDuplicateError(threw)) dups++;
    }
  }
  return { delivered: delivered.length, lost, dups };
}

export function parleySide(d: ParleyDevice, peer: ProtocolAddress, options?: SessionOptions): Side {
  return {
    name: 'parley',
    send: (t) => parleyEncrypt(d, peer, t),
    receive: async (w) => dec.decode(await parleyDecrypt(d, peer, w, options)),
    isDuplicateError: (e) => e instanceof DuplicateMessage,
    isInvalidMessageError: (e) => e instanceof InvalidMessage,
    snapshot: async () => toHex((await d.store.loadSession(peer))?.serialize() ?? new Uint8Array(0)),
  };
}

export function libsignalSide(p: LibsignalPeer, peer: SC.ProtocolAddress): Side {
  return {
    name: 'libsignal',
    send: (t) => p.encrypt(enc.encode(t), peer),
    receive: async (w) => dec.decode(await p.decrypt(peer, w)),
    isDuplicateError: (e) => (e as { code?: unknown })?.code === p.lib.ErrorCode.DuplicatedMessage,
    isInvalidMessageError: (e) => /decryption failed|MAC/.test(String(e)),
    snapshot: async () => toHex(p.sessions.m.get(peer.toString()) ?? new Uint8Array(0)),
  };
}

