/**
 * Arithmetic in GF(2^16) with the reduction polynomial x^16 + x^12 + x^3 + x + 1
 * (0x1100b), the field of SPQR's erasure code (spqr `encoding/gf.rs`). Addition is
 * XOR; multiplication and division use log/antilog tables over the generator x,
 * which is primitive for this polynomial (checked when the tables are built).
 *
 * Table lookups are not constant-time. That is fine here: the field only ever
 * carries erasure-coded protocol messages (KEM header, encapsulation key,
 * ciphertexts), all of which travel in the clear inside SignalMessages.
 */

export const GF16_POLY = 0x1100b;
const ORDER = 0xffff;

let EXP: Uint16Array | undefined;
let LOG: Uint16Array | undefined;

function tables(): { exp: Uint16Array; log: Uint16Array } {
  if (EXP && LOG) return { exp: EXP, log: LOG };
  // exp is doubled so that exp[log a + log b] needs no reduction mod 65535.
  const exp = new Uint16Array(2 * ORDER);
  const log = new Uint16Array(ORDER + 1);
  let x = 1;
  for (let i = 0; i < ORDER; i++) {
    exp[i] = x;
    exp[i + ORDER] = x;
    log[x] = i;
    x <<= 1;
    if (x & 0x10000) x ^= GF16_POLY;
    if (x === 1 && i < ORDER - 1) throw new Error('GF(2^16): x is not primitive for the reduction polynomial');
  }
  EXP = exp;
  LOG = log;
  return { exp, log };
}

export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const { exp, log } = tables();
  return exp[log[a]! + log[b]!]!;
}

/** a / b; division by zero gives 0, as spqr's a·b^(2^16-2) does. */
export function gfDiv(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  const { exp, log } = tables();
  return exp[log[a]! + ORDER - log[b]!]!;
}

/** Carry-less multiply then reduce, bit by bit: the reference the tables are tested against. */
export function gfMulSlow(a: number, b: number): number {
  let r = 0;
  for (let i = 15; i >= 0; i--) {
    r <<= 1;
    if (r & 0x10000) r ^= GF16_POLY;
    if ((b >> i) & 1) r ^= a;
  }
  return r;
}

/** The log table, for hot loops that multiply many values by one factor. */
export function gfTables(): { readonly exp: Uint16Array; readonly log: Uint16Array } {
  return tables();
}
