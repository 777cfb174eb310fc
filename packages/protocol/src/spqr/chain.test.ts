import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { utf8 } from '../internal/bytes.ts';
import { Authenticator } from './authenticator.ts';
import { Chain, ChainError } from './chain.ts';

const DEFAULTS = { maxJump: 0, maxOooKeys: 0 };
const pair = (params = DEFAULTS) => [Chain.create(utf8('1'), 'a2b', params), Chain.create(utf8('1'), 'b2a', params)] as const;

function kind(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ChainError) return e.kind;
    throw e;
  }
  return 'ok';
}

describe('SPQR key chain', () => {
  it('gives the receiver the sender’s keys, per epoch, counters from 1', () => {
    const [a, b] = pair();
    const k1 = a.sendKey(0);
    expect(k1.index).toBe(1);
    expect(b.recvKey(0, 1)).toEqual(k1.key);
    a.addEpoch(1, Uint8Array.of(2));
    b.addEpoch(1, Uint8Array.of(2));
    const k2 = a.sendKey(1);
    expect(k2.index).toBe(1);
    expect(b.recvKey(1, 1)).toEqual(k2.key);
    for (let i = 2; i < 10; i++) a.sendKey(1);
    const k3 = a.sendKey(1);
    expect(k3.index).toBe(10);
    expect(b.recvKey(1, 10)).toEqual(k3.key);
    // The other direction is a different chain.
    expect(b.sendKey(1).key).not.toEqual(k2.key);
  });

  it('hands out each key once, keeps skipped ones for out-of-order delivery', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(Array.from({ length: 60 }, (_, i) => i + 1), { minLength: 60 }), (order) => {
        const [a, b] = pair();
        const sent = new Map<number, Uint8Array>();
        for (let i = 0; i < 60; i++) {
          const k = a.sendKey(0);
          sent.set(k.index, k.key);
        }
        for (const i of order) expect(b.recvKey(0, i)).toEqual(sent.get(i));
        for (const i of order.slice(0, 5)) expect(kind(() => b.recvKey(0, i))).toBe('keyAlreadyRequested');
      }),
      { numRuns: 20 },
    );
  });

  it('enforces libsignal’s limits: 25,000 ahead, 2,000 behind (trimmed once 2,201 are held)', () => {
    const [, b] = pair();
    expect(kind(() => b.recvKey(0, 25_001))).toBe('keyJump');
    expect(kind(() => b.recvKey(0, 25_000))).toBe('ok');
    expect(kind(() => b.recvKey(0, 1))).toBe('keyTrimmed'); // dropped right away: 24,999 behind
    expect(kind(() => b.recvKey(0, 25_000 - 2_000))).toBe('ok'); // the oldest one kept
    // A session with oneself may jump further (libsignal passes u32::MAX).
    const [, self] = pair({ maxJump: 0xffffffff, maxOooKeys: 0 });
    expect(kind(() => self.recvKey(0, 30_000))).toBe('ok');

    const [, c] = pair({ maxJump: 10, maxOooKeys: 10 });
    expect(kind(() => c.recvKey(0, 10))).toBe('ok');
    expect(kind(() => c.recvKey(0, 12))).toBe('ok');
    expect(kind(() => c.recvKey(0, 1))).toBe('keyTrimmed');
  });

  it('keeps one epoch before the sending epoch; older ones are out of range', () => {
    const [a, b] = pair();
    for (let e = 1; e <= 3; e++) {
      a.addEpoch(e, Uint8Array.of(e));
      b.addEpoch(e, Uint8Array.of(e));
    }
    expect(kind(() => a.recvKey(4, 1))).toBe('epochOutOfRange');
    a.sendKey(3);
    expect(a.links.length).toBe(2);
    expect(kind(() => a.recvKey(1, 1))).toBe('epochOutOfRange');
    expect(kind(() => a.recvKey(2, 1))).toBe('ok');
    expect(kind(() => a.sendKey(2))).toBe('sendKeyEpochDecreased');
    expect(() => a.addEpoch(5, Uint8Array.of(5))).toThrow(/does not follow/);
  });
});

describe('SPQR authenticator', () => {
  it('MACs the header before the update and the ciphertext after it; any change fails', () => {
    const a = Authenticator.create(new Uint8Array(32).fill(42), 1);
    const hdr = utf8('header');
    const mac = a.macHeader(1, hdr);
    expect(mac.length).toBe(32);
    expect(a.verifyHeader(1, hdr, mac)).toBe(true);
    expect(a.verifyHeader(2, hdr, mac)).toBe(false);
    expect(a.verifyHeader(1, utf8('headeR'), mac)).toBe(false);
    const next = a.update(1, utf8('secret'));
    expect(next.verifyHeader(1, hdr, mac)).toBe(false);
    const ct = next.macCiphertext(1, utf8('ct'));
    expect(next.verifyCiphertext(1, utf8('ct'), ct)).toBe(true);
    expect(a.verifyCiphertext(1, utf8('ct'), ct)).toBe(false);
    // Header and ciphertext MACs are domain-separated.
    expect(next.macHeader(1, utf8('ct'))).not.toEqual(ct);
    expect(String(next)).toBe('Authenticator([redacted])');
  });
});
