import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidState, ProtocolError } from '../errors.ts';
import { toHex } from '../internal/bytes.ts';
import { seededRandom } from '../test-support/parley-device.ts';
import { ALL_WIRES, applyInsertion, concatBytes, encodeField, nestedSites, rewrite, tag, varint, wireOf, wrongWireCases, type Wire } from '../test-support/proto-mutation.ts';
import { PQ_RATCHET_STATE as STATE } from '../test-support/wire-kinds.ts';
import { initialState, recv, send, type SpqrParams } from './ratchet.ts';
import { decodeState, encodeState } from './state-codec.ts';
import type { SpqrRandom, V1StateKind } from './states.ts';

const params = (direction: 'a2b' | 'b2a', minVersion: 0 | 1 = 1): SpqrParams => ({
  direction,
  version: 1,
  minVersion,
  authKey: new Uint8Array(32).fill(9),
  chainParams: { maxJump: 25_000, maxOooKeys: 2_000 },
});

function rngFrom(seed: number): SpqrRandom {
  const r = seededRandom(seed);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
  return { keySeed: () => bytes(64), encapsulationSeed: () => bytes(32) };
}

/** Every state two parties pass through in a lopsided conversation, and the messages between them. */
function collect(): { states: Uint8Array[]; msgs: Uint8Array[]; kinds: Set<V1StateKind> } {
  let a = initialState(params('a2b'));
  let b = initialState(params('b2a'));
  const ra = rngFrom(1);
  const rb = rngFrom(2);
  const rnd = seededRandom(3);
  const states = [a, b];
  const msgs: Uint8Array[] = [];
  const kinds = new Set<V1StateKind>();
  const bias = [0.5, 0.9, 0.1, 0.7, 0.3];
  for (let i = 0; i < 1000; i++) {
    // Lopsided stretches of 40 messages: each role sometimes completes what it receives first.
    const aSends = rnd() < bias[Math.floor(i / 40) % bias.length]!;
    if (aSends) {
      const s = send(a, ra);
      a = s.state;
      b = recv(b, s.msg).state;
      msgs.push(s.msg);
    } else {
      const s = send(b, rb);
      b = s.state;
      a = recv(a, s.msg).state;
      msgs.push(s.msg);
    }
    states.push(a, b);
    kinds.add(decodeState(a).inner!.kind).add(decodeState(b).inner!.kind);
  }
  return { states, msgs, kinds };
}

const run = collect();

/** Decoding fails only with InvalidState; a state that decodes fails only with ProtocolErrors when used. */
function checkTyped(bytes: Uint8Array, msg: Uint8Array): void {
  let ok = false;
  try {
    decodeState(bytes);
    ok = true;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidState);
  }
  if (!ok) return;
  for (const use of [() => send(bytes, rngFrom(5)), () => recv(bytes, msg)]) {
    try {
      use();
    } catch (e) {
      expect(e, String(e)).toBeInstanceOf(ProtocolError);
    }
  }
}

describe('PqRatchetState codec', () => {
  it('meets all eleven states and writes each back byte for byte', () => {
    expect([...run.kinds].sort()).toEqual(
      ['keysUnsampled', 'keysSampled', 'headerSent', 'ct1Received', 'ekSentCt1Received', 'noHeaderReceived', 'headerReceived', 'ct1Sampled', 'ekReceivedCt1Sampled', 'ct1Acknowledged', 'ct2Sampled'].sort(),
    );
    for (const s of run.states) expect(toHex(encodeState(decodeState(s)))).toBe(toHex(s));
    expect(decodeState(new Uint8Array(0))).toEqual({ versionNegotiation: undefined, chain: undefined, inner: undefined });
  });

  it('random bytes decode or fail with InvalidState; nothing else is thrown', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => checkTyped(b, run.msgs[0]!)),
      { numRuns: 2000 },
    );
  });

  it('truncated and bit-flipped states decode or fail with InvalidState, and a state that decodes fails only with typed errors', () => {
    fc.assert(
      fc.property(fc.nat(run.states.length - 1), fc.nat(), fc.nat(7), fc.boolean(), (which, pos, bit, truncate) => {
        const s = run.states[which]!;
        if (s.length === 0) return;
        const at = pos % s.length;
        const bad = truncate ? s.subarray(0, at) : s.slice();
        if (!truncate) bad[at]! ^= 1 << bit;
        checkTyped(bad, run.msgs[which % run.msgs.length]!);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses wrong sizes of keys, ciphertexts and decoder targets', () => {
    const withKind = (k: V1StateKind) => run.states.find((s) => decodeState(s).inner?.kind === k)!;
    // Shorten the first length-delimited field whose length is one of the fixed sizes, by rewriting the state.
    for (const k of ['keysSampled', 'ct1Sampled', 'headerReceived'] as const) {
      const s = decodeState(withKind(k));
      const inner = s.inner!;
      const broken = { ...s, inner: { ...inner, ...('dk' in inner ? { dk: inner.dk.subarray(1) } : {}), ...('hdr' in inner ? { hdr: inner.hdr.subarray(1) } : {}) } };
      expect(() => decodeState(encodeState(broken as typeof s))).toThrow(InvalidState);
    }
  });
});

/** One stored state of each of the eleven kinds, from the conversation above. */
const byKind = (() => {
  const m = new Map<V1StateKind, Uint8Array>();
  for (const s of run.states) {
    const k = decodeState(s).inner?.kind;
    if (k && !m.has(k)) m.set(k, s);
  }
  return [...m.values()];
})();

function rejected(bytes: Uint8Array, what: string, reason: RegExp): void {
  let threw: unknown;
  try {
    decodeState(bytes);
  } catch (e) {
    threw = e;
  }
  if (threw === undefined) expect.fail(`${what} was accepted`);
  expect(threw, what).toBeInstanceOf(InvalidState);
  // Refused for the flaw the probe made, not for another one it happened to cause.
  expect((threw as Error).message, what).toMatch(reason);
}

describe('PqRatchetState decoding is as strict as spqr (prost)', () => {
  it('refuses a wrong wire type at every occurrence of every field, in every state kind and every nested message', () => {
    expect(byKind).toHaveLength(11);
    let probes = 0;
    for (const state of byKind) {
      // Each probe adds a field a state of this kind never carries as often as one it does.
      for (const c of wrongWireCases(state, STATE)) {
        rejected(applyInsertion(state, STATE, c), `field ${c.site}/${c.no} as wire type ${c.wire} at ${c.position}`, /wire type/);
        probes++;
      }
    }
    expect(probes).toBeGreaterThan(5_000);
  });

  it('refuses random wrong wire types at random places (fast-check)', () => {
    fc.assert(
      fc.property(fc.nat(byKind.length - 1), fc.nat(), fc.nat(), fc.nat(), fc.nat({ max: 1 << 20 }), (which, sitePick, fieldPick, positionPick, seed) => {
        const state = byKind[which]!;
        const sites = nestedSites(state, STATE);
        const site = sites[sitePick % sites.length]!;
        const numbers = Object.keys(site.spec.schema).map(Number);
        const no = numbers[fieldPick % numbers.length]!;
        const wrong = ALL_WIRES.filter((w) => w !== wireOf(site.spec.schema[no]!));
        const wire = wrong[seed % wrong.length] as Wire;
        const position = positionPick % (site.fields.length + 1);
        rejected(applyInsertion(state, STATE, { path: site.path, position, field: encodeField(no, wire, seed) }), `${site.name}/${no} as ${wire}`, /wire type/);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a truncated field at every depth, also inside oneof members a later one overrides', () => {
    fc.assert(
      fc.property(fc.nat(byKind.length - 1), fc.nat(), fc.nat(), fc.nat(), (which, sitePick, fieldPick, cutPick) => {
        const state = byKind[which]!;
        const sites = nestedSites(state, STATE).filter((s) => s.fields.some((f) => f.payload && f.payload.length > 0));
        const site = sites[sitePick % sites.length]!;
        const withPayload = site.fields.map((f, i) => [f, i] as const).filter(([f]) => f.payload && f.payload.length > 0);
        const [field, index] = withPayload[fieldPick % withPayload.length]!;
        // The field keeps its length prefix but loses its last 1..n bytes: the message ends inside it.
        const cut = 1 + (cutPick % field.payload!.length);
        const truncated = field.raw.subarray(0, field.raw.length - cut);
        const bytes = rewrite(state, STATE, site.path, (fields) => [...fields.slice(0, index).map((f) => f.raw), truncated]);
        rejected(bytes, `${site.name}/${field.no} cut by ${cut}`, /past end|truncated/);
      }),
      { numRuns: 500 },
    );
    // A malformed member of the state's oneof, overridden by a valid one after it: prost decodes
    // (and refuses) every occurrence, not only the one that wins.
    for (const state of byKind) {
      const v1 = nestedSites(state, STATE).find((s) => s.name === '3')!;
      const member = v1.fields[0]!;
      const other = member.no === 1 ? 2 : 1;
      const broken = concatBytes(tag(other, 2), varint(5), [0x0a, 0x10, 1, 2, 3]);
      rejected(rewrite(state, STATE, v1.path, (fields) => [broken, ...fields.map((f) => f.raw)]), `a broken member ${other} before member ${member.no}`, /past end/);
    }
  });

  it('skips unknown fields of every wire type anywhere, as prost does, and decodes the same state', () => {
    fc.assert(
      fc.property(fc.nat(byKind.length - 1), fc.nat(), fc.nat(), fc.constantFrom(...ALL_WIRES), fc.integer({ min: 12, max: 2000 }), fc.nat(), (which, sitePick, positionPick, wire, no, seed) => {
        const state = byKind[which]!;
        const sites = nestedSites(state, STATE);
        const site = sites[sitePick % sites.length]!;
        if (site.spec.schema[no] !== undefined) return;
        const position = positionPick % (site.fields.length + 1);
        const bytes = applyInsertion(state, STATE, { path: site.path, position, field: encodeField(no, wire, seed) });
        expect(toHex(encodeState(decodeState(bytes)))).toBe(toHex(state));
      }),
      { numRuns: 300 },
    );
  });
});
