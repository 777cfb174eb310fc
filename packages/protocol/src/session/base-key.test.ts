// The check on an incoming PQXDH base key (`PublicKey.isCanonical`, libsignal's
// `is_canonical`): the fast X25519 projection agrees with the reference
// (Edwards conversion + torsion check, `isCanonicalMontgomery`) on every class of
// input. Runs with node:crypto in Node and with @noble in Chromium.
//
// Why the projection is exact: X25519 clamps, but 5L-1 is already clamped, is
// 0 mod 8 and -1 mod L. For P = P_L + T on the curve (T of order | 8),
// [5L-1]P = -P_L, whose u equals u(P) iff P = ±P_L iff T = 0. On the twist (order
// 4·p', p' prime), [5L-1]Q = ±Q needs ord(Q) | 5L-2 or 5L, both odd and prime to
// p', so never. Low-order points give 0, which X25519 reports as failure.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import { KeyPair, PublicKey } from '../curve.ts';
import { isCanonicalMontgomery } from '../internal/xeddsa.ts';

const P = 2n ** 255n - 19n;
const Point = ed25519.Point;

function le(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Edwards point -> Montgomery u = (1 + y) / (1 - y). */
function montgomeryU(point: InstanceType<typeof Point>): Uint8Array {
  const { y } = point.toAffine();
  const Fp = Point.Fp;
  const denom = Fp.sub(1n, y);
  if (Fp.is0(denom)) return new Uint8Array(32);
  return le(Fp.div(Fp.add(1n, y), denom));
}

function agree(u: Uint8Array): void {
  const fast = PublicKey.fromRaw(u).isCanonical();
  expect(fast, `u = ${Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('')}`).toBe(isCanonicalMontgomery(u));
}

describe('base key check (is_canonical)', () => {
  it('accepts generated keys and rejects them with any torsion component', () => {
    for (let i = 0; i < 20; i++) {
      const pub = KeyPair.generate().publicKey;
      expect(pub.isCanonical()).toBe(true);
      const ed = Point.fromBytes(ed25519.utils.getExtendedPublicKey(crypto.getRandomValues(new Uint8Array(32))).pointBytes);
      for (const t of ED25519_TORSION_SUBGROUP) {
        const u = montgomeryU(ed.add(Point.fromHex(t)));
        agree(u);
      }
    }
  });

  it('agrees with the reference on low-order points, edge encodings and random u (curve and twist)', () => {
    const edges = [0n, 1n, 2n, P - 1n, P, P + 1n, 2n ** 255n - 1n, 9n, 2n ** 254n];
    for (const t of ED25519_TORSION_SUBGROUP) edges.push(BigInt('0x' + [...Point.fromHex(t).toBytes()].reverse().map((b) => b.toString(16).padStart(2, '0')).join('')) & ((1n << 255n) - 1n));
    for (const t of ED25519_TORSION_SUBGROUP) agree(montgomeryU(Point.fromHex(t)));
    for (const e of edges) agree(le(e % 2n ** 256n));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (u) => {
        agree(u);
        const masked = u.slice();
        masked[31]! &= 0x7f;
        agree(masked);
      }),
      { numRuns: 300 },
    );
  });
});
