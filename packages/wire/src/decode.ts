/**
 * Strict JSON decoding: a tiny set of combinators that turn untrusted JSON into
 * typed, immutable values or throw WireError('BAD_REQUEST') naming the path.
 * Unknown keys are rejected; every string, byte field and array has a bound.
 */
import { WireError } from './errors.ts';
import { LIMITS } from './limits.ts';

export type Decoder<T> = (value: unknown, path: string) => T;

/** Throws the decoders' one error: BAD_REQUEST naming the path and what was wrong. */
export function invalid(path: string, what: string): never {
  throw new WireError('BAD_REQUEST', `${path || 'body'}: ${what}`);
}
const fail: (path: string, what: string) => never = invalid;
const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

export const int =
  (min: number, max: number): Decoder<number> =>
  (v, p) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(p, `expected an integer in ${min}..${max}`);
    return v;
  };

export const str =
  (maxLength: number, pattern?: RegExp): Decoder<string> =>
  (v, p) => {
    if (typeof v !== 'string' || v.length > maxLength) fail(p, `expected a string of at most ${maxLength} characters`);
    if (pattern && !pattern.test(v)) fail(p, 'has an invalid format');
    return v;
  };

export const bool: Decoder<boolean> = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'expected true or false');
  return v;
};

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64 (as produced by Buffer/btoa), decoded to bytes, length-bounded. */
export const bytes =
  (minLength: number, maxLength: number): Decoder<Uint8Array> =>
  (v, p) => {
    if (typeof v !== 'string' || v.length % 4 !== 0 || !B64.test(v) || v.length > Math.ceil(maxLength / 3) * 4) {
      fail(p, `expected base64 of at most ${maxLength} bytes`);
    }
    const out = base64Decode(v);
    if (out.length < minLength || out.length > maxLength) fail(p, `expected ${minLength}..${maxLength} bytes`);
    return out;
  };

export const array =
  <T>(item: Decoder<T>, maxLength: number, minLength = 0): Decoder<readonly T[]> =>
  (v, p) => {
    if (!Array.isArray(v) || v.length > maxLength || v.length < minLength) fail(p, `expected a list of ${minLength}..${maxLength} items`);
    return Object.freeze(v.map((x, i) => item(x, `${p}[${i}]`)));
  };

export const oneOf =
  <T extends string>(...values: T[]): Decoder<T> =>
  (v, p) => {
    if (typeof v !== 'string' || !(values as string[]).includes(v)) fail(p, `expected one of ${values.join(', ')}`);
    return v as T;
  };

type Fields = Record<string, Decoder<unknown>>;
type Out<F extends Fields> = { readonly [K in keyof F]: ReturnType<F[K]> };

/** An object with exactly these keys (optional ones may be absent); unknown keys are an error. */
export function object<R extends Fields, O extends Fields = {}>(required: R, optional?: O): Decoder<Out<R> & Partial<Out<O>>> {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'expected an object');
    const rec = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec)) {
      // Why own properties only: "__proto__", "constructor" or "toString" are unknown fields, not inherited ones.
      if (!own(required, k) && !(optional && own(optional, k))) fail(p, `unknown field "${k.slice(0, 40)}"`);
    }
    for (const [k, d] of Object.entries(required)) {
      if (!own(rec, k)) fail(p ? `${p}.${k}` : k, 'is required');
      out[k] = d(rec[k], p ? `${p}.${k}` : k);
    }
    if (optional) {
      for (const [k, d] of Object.entries(optional)) {
        if (own(rec, k) && rec[k] !== undefined && rec[k] !== null) out[k] = d(rec[k], p ? `${p}.${k}` : k);
      }
    }
    return Object.freeze(out) as Out<R> & Partial<Out<O>>;
  };
}

/**
 * Whether JSON text nests arrays and objects deeper than `max` (brackets inside strings
 * do not count). One pass over the text; malformed text is left to JSON.parse.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Below this length deep nesting costs JSON.parse under a millisecond: not worth a scan on the hot path. */
const DEPTH_SCAN_FROM = 4096;

/** Parses JSON text (bounded in length and nesting) then decodes it. */
export function decodeJson<T>(text: string, decoder: Decoder<T>, maxLength: number): T {
  if (text.length > maxLength) throw new WireError('PAYLOAD_TOO_LARGE', `message larger than ${maxLength} bytes`);
  // Why before parsing: JSON.parse's time grows superlinearly with nesting (0.7 s for 1 MiB of "[").
  if (text.length >= DEPTH_SCAN_FROM && nestedDeeperThan(text, LIMITS.maxJsonDepth)) {
    throw new WireError('BAD_REQUEST', `body: nested deeper than ${LIMITS.maxJsonDepth} levels`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new WireError('BAD_REQUEST', 'body is not valid JSON');
  }
  return decoder(v, '');
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < ALPHA.length; i++) t[ALPHA.charCodeAt(i)] = i;
  return t;
})();

export function base64Encode(b: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += ALPHA[n >> 18]! + ALPHA[(n >> 12) & 63]! + ALPHA[(n >> 6) & 63]! + ALPHA[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    out += ALPHA[n >> 18]! + ALPHA[(n >> 12) & 63]! + (i + 1 < b.length ? ALPHA[(n >> 6) & 63]! : '=') + '=';
  }
  return out;
}

/** One base64 character's value, -1 for anything else ('=' included). */
function sextet(s: string, i: number): number {
  const ch = s.charCodeAt(i);
  return ch < 128 ? LOOKUP[ch]! : -1;
}

export function base64Decode(s: string): Uint8Array {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  if (s.length % 4 !== 0) throw new WireError('BAD_REQUEST', 'invalid base64');
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  // Why no per-group allocation: this runs on every message's content (the hot path).
  const full = s.length - (pad > 0 ? 4 : 0);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n = (sextet(s, i) << 18) | (sextet(s, i + 1) << 12) | (sextet(s, i + 2) << 6) | sextet(s, i + 3);
    if (n < 0) throw new WireError('BAD_REQUEST', 'invalid base64');
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (pad > 0) {
    const a = sextet(s, full);
    const b = sextet(s, full + 1);
    const c = pad === 1 ? sextet(s, full + 2) : 0;
    if (a < 0 || b < 0 || c < 0) throw new WireError('BAD_REQUEST', 'invalid base64');
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (pad === 1) out[o++] = (n >> 8) & 255;
  }
  return out;
}
