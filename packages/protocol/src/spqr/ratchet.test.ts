import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidMessage, ProtocolError, SpqrRequired } from '../errors.ts';
import { bytesEqual, toHex } from '../internal/bytes.ts';
import { seededRandom } from '../test-support/parley-device.ts';
import { decodeMessage, encodeMessage } from './message.ts';
import { currentVersion, initialState, recv, send, type SpqrParams } from './ratchet.ts';
import { decodeState } from './state-codec.ts';
import type { SpqrRandom } from './states.ts';

const AUTH = new Uint8Array(32).fill(41);
const params = (direction: 'a2b' | 'b2a', version: 0 | 1 = 1, minVersion: 0 | 1 = 1): SpqrParams => ({
  direction,
  version,
  minVersion,
  authKey: AUTH,
  chainParams: { maxJump: 0, maxOooKeys: 0 },
});

/** Deterministic randomness, so a failing run can be replayed from its seed. */
function rngFrom(seed: number): SpqrRandom {
  const r = seededRandom(seed);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  return { keySeed: () => bytes(64), encapsulationSeed: () => bytes(32) };
}

interface Sent {
  msg: Uint8Array;
  key: Uint8Array | undefined;
}

class Party {
  constructor(
    public state: Uint8Array,
    readonly rng: SpqrRandom,
  ) {}
  send(): Sent {
    const r = send(this.state, this.rng);
    this.state = r.state;
    return { msg: r.msg, key: r.key };
  }
  recv(m: Sent): void {
    const r = recv(this.state, m.msg);
    expect(r.key && toHex(r.key)).toBe(m.key && toHex(m.key));
    this.state = r.state;
  }
  epoch(): number {
    return decodeState(this.state).inner!.epoch;
  }
}

const pairOf = (seed: number, a = params('a2b'), b = params('b2a')) => [new Party(initialState(a), rngFrom(seed)), new Party(initialState(b), rngFrom(seed + 1))] as const;

describe('SPQR ratchet', () => {
  it('in lockstep both sides agree on every key, through more than five epochs, roles swapping', () => {
    const [a, b] = pairOf(1);
    const kinds = new Set<string>();
    for (let i = 0; i < 260; i++) {
      const m1 = a.send();
      expect(m1.key).toBeDefined(); // a minimum of V1: keys from the first message
      b.recv(m1);
      const m2 = b.send();
      a.recv(m2);
      kinds.add(decodeState(a.state).inner!.kind).add(decodeState(b.state).inner!.kind);
    }
    expect(Math.min(a.epoch(), b.epoch())).toBeGreaterThan(5);
    expect(kinds.size).toBeGreaterThanOrEqual(9);
  });

  it('agrees under random interleaving, loss and reordering (seeded)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rnd = seededRandom(seed);
        const [a, b] = pairOf(seed);
        const inflight: [Sent[], Sent[]] = [[], []];
        for (let step = 0; step < 400; step++) {
          const who = rnd() < 0.5 ? 0 : 1;
          const me = who === 0 ? a : b;
          const mine = inflight[who];
          const theirs = inflight[1 - who]!;
          if (rnd() < 0.5) {
            const m = me.send();
            if (rnd() > 0.1) mine.push(m); // 10% lost
          } else if (theirs.length) {
            // Mostly the oldest, sometimes any: out-of-order delivery.
            const i = rnd() < 0.8 ? 0 : Math.floor(rnd() * theirs.length);
            me.recv(theirs.splice(i, 1)[0]!);
          }
        }
        expect(a.epoch() + b.epoch()).toBeGreaterThan(2);
      }),
      { numRuns: 6 },
    );
  });

  it('never changes its input and fails only with typed errors on random, truncated, replayed and out-of-epoch input', () => {
    const [a, b] = pairOf(7);
    const history: Sent[] = [];
    for (let i = 0; i < 70; i++) {
      const m = a.send();
      history.push(m);
      b.recv(m);
      a.recv(b.send());
    }
    const before = b.state.slice();
    const check = (msg: Uint8Array): void => {
      try {
        recv(b.state, msg);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
      expect(bytesEqual(b.state, before)).toBe(true);
    };
    // Replays of delivered messages: their keys were used.
    for (const m of history.slice(-20)) expect(() => recv(b.state, m.msg)).toThrow(InvalidMessage);
    const last = history[history.length - 1]!.msg;
    for (let n = 1; n < last.length; n++) check(last.subarray(0, n));
    const epoch = b.epoch();
    const ahead = decodeMessage(last);
    expect(ahead.index).toBeLessThan(128); // one byte: position 2
    expect(() => recv(b.state, encodeMessage({ ...ahead, epoch: epoch + 5 }))).toThrow(InvalidMessage);
    expect(() => recv(b.state, encodeMessage({ ...ahead, index: ahead.index + 25_001 }))).toThrow(InvalidMessage);
    check(encodeMessage({ ...ahead, index: ahead.index + 30 }));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 50 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (junk, pos, byte) => {
        check(junk);
        // Any byte but the chain index (a changed index only moves within the limits, tested apart).
        const flipped = last.slice();
        const at = pos % flipped.length;
        if (at !== 2) {
          flipped[at] = byte;
          check(flipped);
        }
        const prefixed = new Uint8Array(junk.length + 1);
        prefixed[0] = 1;
        prefixed.set(junk, 1);
        check(prefixed);
      }),
      { numRuns: 300 },
    );
  });

  it('negotiates: V1 with V1, a minimum of V0 downgrades to no SPQR, a minimum of V1 refuses with SpqrRequired', () => {
    // Both V1, minimum V0 (libsignal 0.90): no keys until the first message arrives.
    {
      const [a, b] = pairOf(3, params('a2b', 1, 0), params('b2a', 1, 0));
      expect(currentVersion(a.state)).toEqual({ version: 1, negotiating: true, minVersion: 0 });
      const m = a.send();
      expect(m.key).toBeUndefined();
      b.recv(m);
      expect(currentVersion(b.state).negotiating).toBe(false);
      const r = b.send();
      expect(r.key).toBeDefined();
      a.recv(r);
      expect(a.send().key).toBeDefined();
    }
    // A (minimum V0) meets B without SPQR: A downgrades, nothing is mixed in.
    {
      const [a, b] = pairOf(4, params('a2b', 1, 0), params('b2a', 0, 0));
      expect(b.state.length).toBe(0);
      b.recv(a.send());
      expect(b.state.length).toBe(0);
      a.recv(b.send());
      expect(a.state.length).toBe(0);
      expect(currentVersion(a.state)).toEqual({ version: 0, negotiating: false, minVersion: undefined });
    }
    // A requires V1, B has none: A refuses B's messages.
    {
      const [a, b] = pairOf(5, params('a2b', 1, 1), params('b2a', 0, 0));
      b.state = recv(b.state, a.send().msg).state;
      const m = b.send();
      expect(m.msg.length).toBe(0);
      let err: unknown;
      try {
        recv(a.state, m.msg);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SpqrRequired);
      expect((err as SpqrRequired).requiredBy).toBe('local');
      expect((err as SpqrRequired).code).toBe('SPQR_REQUIRED');
    }
    // After negotiating V1, a message without SPQR is refused too.
    {
      const [a, b] = pairOf(6, params('a2b', 1, 0), params('b2a', 1, 0));
      b.recv(a.send());
      a.recv(b.send());
      expect(() => recv(a.state, new Uint8Array(0))).toThrow(SpqrRequired);
    }
    // A state without SPQR (sessions created before it) ignores SPQR it receives; unknown versions are ignored.
    {
      const [a] = pairOf(8);
      const m = a.send();
      expect(recv(new Uint8Array(0), m.msg)).toEqual({ state: new Uint8Array(0), key: undefined });
      expect(recv(a.state, Uint8Array.of(2, 1, 1, 0)).state).toBe(a.state);
    }
  });
});
