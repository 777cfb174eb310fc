/**
 * The mutation engine: turns a valid corpus input into a hostile one by a short
 * list of `Op`s. An op is four plain numbers, decoded here deterministically, so
 * the same (input, ops) always gives the same bytes: the runner draws ops from a
 * seeded PRNG, the test round from fast-check (which then shrinks a failure to
 * fewer ops and smaller numbers).
 *
 * Mutators by format:
 * - every format: bit flips, interesting bytes, insertion, deletion, truncation,
 *   duplication, splicing with another corpus input, amplification (a chunk repeated);
 * - `proto` (protobuf between `head` and `tail` framing bytes, e.g. a version byte
 *   and a MAC): field duplication, deletion, reordering, wire-type swaps (re-framed
 *   and misframed), length-field inflation, edge and over-long varints, unknown
 *   fields, field number 0, deep group nesting, field floods; applied at any nesting
 *   level (embedded messages and bytes that hold protobuf), lengths kept consistent;
 * - `json` and `padded-json` (JSON, or JSON padded Signal-style with 0x80 then zeros):
 *   type swaps, huge and non-finite numbers, `__proto__`/`constructor` keys, duplicate
 *   keys, deep nesting, long strings, long arrays, string surgery, splicing subtrees,
 *   and byte/protobuf mutations of base64 strings (re-encoded);
 * - `text` (headers, query strings, codes): special characters, repetition, case.
 * Every output is at most MAX_INPUT_BYTES.
 */

export interface Op {
  readonly m: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
}

export type Format = 'bytes' | 'proto' | 'json' | 'padded-json' | 'text';

export interface MutationContext {
  readonly format: Format;
  /** Bytes before and after the protobuf (format `proto`). */
  readonly head?: number;
  readonly tail?: number;
  /** Other valid inputs of the same target, for splicing. */
  readonly corpus: readonly Uint8Array[];
}

/** Largest input a mutation produces (above every body limit, so limits get probed). */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

/** mulberry32: a small seeded PRNG (the runner's only source of randomness). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Between 1 and 8 ops, fewer more often. */
export function randomOps(next: () => number): Op[] {
  const n = 1 + (next() % 8 < 5 ? next() % 2 : next() % 8);
  return Array.from({ length: n }, () => ({ m: next(), a: next(), b: next(), c: next() }));
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return concatList(parts);
}

/** For many parts (a spread of 100,000 arguments overflows the stack). */
function concatList(parts: readonly (Uint8Array | number[])[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function cap(b: Uint8Array): Uint8Array {
  return b.length > MAX_INPUT_BYTES ? b.subarray(0, MAX_INPUT_BYTES) : b;
}

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

/**
 * A size from an ascending list whose entries from `bigFrom` on make large inputs:
 * those one time in 16, as they cost 100 times more to make and decode.
 */
function size(list: readonly number[], n: number, bigFrom: number): number {
  if (((n >>> 24) & 15) === 0) return list[bigFrom + (n % (list.length - bigFrom))]!;
  return list[n % bigFrom]!;
}

// ---------------------------------------------------------------------------
// Bytes

const INTERESTING_BYTES = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x08, 0x0a, 0x10, 0x12, 0x1a, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3d, 0x05, 0x06, 0x33, 0x34];

type Mutator = (b: Uint8Array, op: Op, ctx: MutationContext) => Uint8Array;

const BYTE_MUTATORS: Mutator[] = [
  function bitFlip(b, op) {
    if (!b.length) return new Uint8Array([op.b & 0xff]);
    const out = b.slice();
    out[op.a % b.length]! ^= 1 << (op.b % 8);
    return out;
  },
  function interestingByte(b, op) {
    if (!b.length) return new Uint8Array([pick(INTERESTING_BYTES, op.b)]);
    const out = b.slice();
    out[op.a % b.length] = pick(INTERESTING_BYTES, op.b);
    return out;
  },
  function arithmetic(b, op) {
    if (!b.length) return b;
    const out = b.slice();
    const i = op.a % b.length;
    out[i] = (out[i]! + (op.b % 35) - 17) & 0xff;
    return out;
  },
  function insertBytes(b, op) {
    const at = op.a % (b.length + 1);
    const n = 1 + (op.b % 16);
    const ins = Array.from({ length: n }, (_, i) => (op.c >>> (i % 4) * 8) & 0xff);
    return concat(b.subarray(0, at), ins, b.subarray(at));
  },
  function deleteRange(b, op) {
    if (!b.length) return b;
    const at = op.a % b.length;
    const n = 1 + (op.b % Math.min(32, b.length - at));
    return concat(b.subarray(0, at), b.subarray(at + n));
  },
  function truncate(b, op) {
    return b.subarray(0, op.a % (b.length + 1));
  },
  function dropHead(b, op) {
    return b.subarray(op.a % (Math.min(b.length, 64) + 1));
  },
  function duplicateRange(b, op) {
    if (!b.length) return b;
    const start = op.a % b.length;
    const n = 1 + (op.b % Math.min(256, b.length - start));
    const at = op.c % (b.length + 1);
    return concat(b.subarray(0, at), b.subarray(start, start + n), b.subarray(at));
  },
  function splice(b, op, ctx) {
    const other = pick(ctx.corpus, op.b);
    if (!other) return b;
    return concat(b.subarray(0, op.a % (b.length + 1)), other.subarray(op.c % (other.length + 1)));
  },
  function overwriteFromOther(b, op, ctx) {
    const other = pick(ctx.corpus, op.b);
    if (!other || !b.length || !other.length) return b;
    const from = op.c % other.length;
    const at = op.a % b.length;
    const n = Math.min(1 + ((op.c >>> 16) % 64), other.length - from, b.length - at);
    const out = b.slice();
    out.set(other.subarray(from, from + n), at);
    return out;
  },
  function amplify(b, op) {
    if (!b.length) return b;
    const start = op.a % b.length;
    const n = 1 + (op.b % Math.min(8, b.length - start));
    const times = size([2, 16, 100, 1000, 10_000, 100_000], op.c, 4);
    const chunk = b.subarray(start, start + n);
    const parts: Uint8Array[] = [b.subarray(0, start)];
    for (let i = 0; i < times && parts.length * n < MAX_INPUT_BYTES; i++) parts.push(chunk);
    parts.push(b.subarray(start));
    return cap(concatList(parts));
  },
];

// ---------------------------------------------------------------------------
// Protobuf

interface Field {
  readonly no: number;
  readonly wire: number;
  /** The whole field: tag and value. */
  readonly raw: Uint8Array;
  /** Payload of a length-delimited field. */
  readonly payload?: Uint8Array;
  readonly value?: bigint;
}

function varint(v: bigint | number): number[] {
  let x = BigInt(v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

/** `v` encoded in exactly `n` bytes (over-long when `n` is more than it needs). */
function longVarint(v: bigint, n: number): number[] {
  const out = varint(v);
  while (out.length < n) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

const tag = (no: number, wire: number) => varint(BigInt(no) * 8n + BigInt(wire));

/** Splits a well-formed message into its top-level fields; undefined when it is not one. */
function parseFields(body: Uint8Array): Field[] | undefined {
  const fields: Field[] = [];
  let pos = 0;
  const read = (): bigint | undefined => {
    let v = 0n;
    for (let i = 0; i < 10; i++) {
      const x = body[pos++];
      if (x === undefined) return undefined;
      v |= BigInt(x & 0x7f) << BigInt(7 * i);
      if (x < 0x80) return v;
    }
    return undefined;
  };
  while (pos < body.length) {
    const start = pos;
    const key = read();
    if (key === undefined || key < 8n) return undefined;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    let payload: Uint8Array | undefined;
    let value: bigint | undefined;
    if (wire === 0) {
      value = read();
      if (value === undefined) return undefined;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = read();
      if (len === undefined || len > BigInt(body.length - pos)) return undefined;
      payload = body.subarray(pos, pos + Number(len));
      pos += Number(len);
    } else return undefined; // groups are rare in valid inputs: treat as not parsable
    if (pos > body.length) return undefined;
    fields.push({ no, wire, raw: body.subarray(start, pos), ...(payload ? { payload } : {}), ...(value !== undefined ? { value } : {}) });
  }
  return fields;
}

const INTERESTING_VARINTS = [0n, 1n, 2n, 3n, 4n, 0x7fn, 0x80n, 0xffn, 0x3fffn, 0x4000n, 0xffffffn, 0x1000000n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n];
const INTERESTING_LENGTHS = (len: number) => [len + 1, len + 2, len * 2 + 1, 0x7fffffff, 0xffffffff, 0x100000000, 2 ** 53, 2n ** 64n - 1n];
const FIELD_NUMBERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 99, 2047, 2048, 536870911];

function valueFor(wire: number, seed: number): number[] {
  switch (wire) {
    case 0:
      return varint(pick(INTERESTING_VARINTS, seed));
    case 1:
      return Array.from({ length: 8 }, (_, i) => (seed >>> i) & 0xff);
    case 5:
      return Array.from({ length: 4 }, (_, i) => (seed >>> (i * 3)) & 0xff);
    case 2: {
      const n = pick([0, 1, 2, 32, 33, 64, 300], seed);
      return [...varint(n), ...Array.from({ length: n }, (_, i) => (seed + i) & 0xff)];
    }
    case 3:
      return []; // caller adds the end tag
    default:
      return [];
  }
}

const withFields = (fields: readonly Field[]): Uint8Array => concatList(fields.map((f) => f.raw));
const rawField = (no: number, wire: number, value: number[] | Uint8Array): Field => ({ no, wire, raw: concat(tag(no, wire), value) });

type ProtoLeaf = (fields: Field[], op: Op) => Field[];

const PROTO_LEAVES: ProtoLeaf[] = [
  function duplicateField(fs, op) {
    if (!fs.length) return fs;
    const f = fs[op.a % fs.length]!;
    const out = fs.slice();
    out.splice(op.b % (fs.length + 1), 0, f);
    return out;
  },
  function deleteField(fs, op) {
    const out = fs.slice();
    out.splice(op.a % Math.max(1, fs.length), 1);
    return out;
  },
  function swapFields(fs, op) {
    if (fs.length < 2) return fs;
    const out = fs.slice();
    const i = op.a % fs.length;
    const j = op.b % fs.length;
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
  function misframeWireType(fs, op) {
    // The tag says another wire type; the value's bytes stay as they were.
    if (!fs.length) return fs;
    const i = op.a % fs.length;
    const f = fs[i]!;
    const wire = pick([0, 1, 2, 3, 4, 5, 6, 7].filter((w) => w !== f.wire), op.b);
    const out = fs.slice();
    out[i] = { no: f.no, wire, raw: concat(tag(f.no, wire), f.raw.subarray(tag(f.no, f.wire).length)) };
    return out;
  },
  function reframeWireType(fs, op) {
    // The same field number with a well-formed value of another wire type, inserted or replacing.
    const f = fs.length ? fs[op.a % fs.length]! : { no: 1, wire: 0 };
    const wire = pick([0, 1, 2, 3, 5].filter((w) => w !== f.wire), op.b);
    const value = wire === 3 ? concat(tag(f.no, 3), tag(f.no, 4)) : concat(tag(f.no, wire), valueFor(wire, op.c));
    const nf: Field = { no: f.no, wire, raw: value };
    const out = fs.slice();
    if (op.c % 2 && fs.length) out[op.a % fs.length] = nf;
    else out.splice(op.c % (fs.length + 1), 0, nf);
    return out;
  },
  function inflateLength(fs, op) {
    const lens = fs.map((f, i) => [f, i] as const).filter(([f]) => f.wire === 2);
    if (!lens.length) return fs;
    const [f, i] = lens[op.a % lens.length]!;
    const len = pick(INTERESTING_LENGTHS(f.payload!.length), op.b);
    const out = fs.slice();
    out[i] = { no: f.no, wire: 2, raw: concat(tag(f.no, 2), varint(len), f.payload!) };
    return out.slice(0, i + 1); // the inflated field runs to the end
  },
  function edgeVarint(fs, op) {
    const vs = fs.map((f, i) => [f, i] as const).filter(([f]) => f.wire === 0);
    if (!vs.length) return fs;
    const [f, i] = vs[op.a % vs.length]!;
    const v = op.c % 3 === 0 ? f.value! : pick(INTERESTING_VARINTS, op.b);
    // Sometimes over-long: the same value in up to 11 bytes (10 is the most protobuf allows).
    const bytes = op.c % 3 === 0 ? longVarint(v, 2 + (op.b % 10)) : varint(v);
    const out = fs.slice();
    out[i] = rawField(f.no, 0, bytes);
    return out;
  },
  function unknownField(fs, op) {
    const no = op.c % 4 === 0 ? 1 + (op.c % 40) : pick(FIELD_NUMBERS, op.c);
    const wire = pick([0, 1, 2, 3, 4, 5, 6, 7], op.b);
    const raw = wire === 3 ? concat(tag(no, 3), op.b % 5 === 0 ? [] : tag(no, 4)) : concat(tag(no, wire), valueFor(wire, op.c));
    const out = fs.slice();
    out.splice(op.a % (fs.length + 1), 0, { no, wire, raw });
    return out;
  },
  function fieldZeroOrHugeTag(fs, op) {
    const raw = op.b % 2 ? concat([0x00], valueFor(0, op.c)) : concat(varint(2n ** BigInt(32 + (op.c % 32))), [0]);
    const out = fs.slice();
    out.splice(op.a % (fs.length + 1), 0, { no: 0, wire: 0, raw });
    return out;
  },
  function deepGroups(fs, op) {
    const depth = size([50, 99, 100, 101, 1000, 100_000], op.b, 5);
    const no = 1 + (op.c % 30);
    const start = tag(no, 3);
    const end = tag(no, 4);
    const parts: number[][] = [];
    for (let i = 0; i < depth; i++) parts.push(start);
    if (op.c % 4) for (let i = 0; i < depth; i++) parts.push(end);
    const out = fs.slice();
    out.splice(op.a % (fs.length + 1), 0, { no, wire: 3, raw: concatList(parts) });
    return out;
  },
  function floodFields(fs, op) {
    if (!fs.length) return fs;
    const f = fs[op.a % fs.length]!;
    const times = size([10, 1000, 1025, 5000, 20_000], op.b, 3);
    const out = fs.slice();
    for (let i = 0; i < times && out.length * f.raw.length < MAX_INPUT_BYTES; i++) out.push(f);
    return out;
  },
  function replacePayload(fs, op) {
    const lens = fs.map((f, i) => [f, i] as const).filter(([f]) => f.wire === 2);
    if (!lens.length) return fs;
    const [f, i] = lens[op.a % lens.length]!;
    const n = size([0, 1, 31, 32, 33, 34, 64, 65, 1568, 1569, 1570, 65_536, 300_000], op.b, 11);
    const out = fs.slice();
    out[i] = rawField(f.no, 2, concat(varint(n), new Uint8Array(n).fill(op.c & 0xff)));
    return out;
  },
  function deepEmbedded(fs, op) {
    // A field holding a message holding a message ... (embedded messages, not groups).
    const depth = size([99, 100, 101, 200, 5000], op.b, 4);
    const no = 1 + (op.c % 8);
    let inner: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < depth && inner.length < MAX_INPUT_BYTES / 2; i++) inner = concat(tag(no, 2), varint(inner.length), inner);
    const out = fs.slice();
    out.splice(op.a % (fs.length + 1), 0, { no, wire: 2, raw: inner });
    return out;
  },
];

/** Applies one protobuf mutation at some nesting level of `body` (undefined when `body` is not protobuf). */
function mutateProto(body: Uint8Array, op: Op, depth = 0): Uint8Array | undefined {
  const fields = parseFields(body);
  if (!fields) return undefined;
  // Descend into a length-delimited field that parses as a message, about half the time.
  const nested = fields.map((f, i) => [f, i] as const).filter(([f]) => f.wire === 2 && f.payload!.length > 0 && parseFields(f.payload!));
  if (depth < 4 && nested.length && (op.c >>> (depth * 2)) % 2 === 0) {
    const [f, i] = nested[(op.a >>> 3) % nested.length]!;
    const inner = mutateProto(f.payload!, { ...op, a: Math.floor(op.a / 7) }, depth + 1);
    if (inner) {
      const out = fields.slice();
      out[i] = rawField(f.no, 2, concat(varint(inner.length), inner));
      return withFields(out);
    }
  }
  return cap(withFields(pick(PROTO_LEAVES, op.m >>> 8)(fields, op)));
}

function protoMutator(b: Uint8Array, op: Op, ctx: MutationContext): Uint8Array {
  const head = Math.min(ctx.head ?? 0, b.length);
  const tail = Math.min(ctx.tail ?? 0, b.length - head);
  const body = b.subarray(head, b.length - tail);
  const out = mutateProto(body, op);
  if (!out) return pick(BYTE_MUTATORS, op.m >>> 8)(b, op, ctx);
  return cap(concat(b.subarray(0, head), out, b.subarray(b.length - tail)));
}

// ---------------------------------------------------------------------------
// JSON

/** JSON as a tree that can hold what JSON.parse would hide: duplicate keys, raw number text. */
type J = { t: 'obj'; e: Array<[string, J]> } | { t: 'arr'; v: J[] } | { t: 'raw'; s: string };

/** Recursive, so only for what JSON.parse gave us at a depth that is safe (see parseJsonInput). */
function toTree(v: unknown): J {
  if (Array.isArray(v)) return { t: 'arr', v: v.map(toTree) };
  if (typeof v === 'object' && v !== null) return { t: 'obj', e: Object.keys(v).map((k) => [k, toTree((v as Record<string, unknown>)[k])]) };
  return { t: 'raw', s: JSON.stringify(v) };
}

function serialize(j: J, out: string[]): void {
  if (j.t === 'raw') out.push(j.s);
  else if (j.t === 'arr') {
    out.push('[');
    j.v.forEach((x, i) => {
      if (i) out.push(',');
      serialize(x, out);
    });
    out.push(']');
  } else {
    out.push('{');
    j.e.forEach(([k, x], i) => {
      if (i) out.push(',');
      out.push(JSON.stringify(k), ':');
      serialize(x, out);
    });
    out.push('}');
  }
}

const stringify = (j: J): string => {
  const out: string[] = [];
  serialize(j, out);
  return out.join('');
};

/** Every node with a way to replace it. */
function nodes(root: J): Array<{ node: J; set: (n: J) => void; key?: string }> {
  const list: Array<{ node: J; set: (n: J) => void; key?: string }> = [];
  const walk = (node: J, set: (n: J) => void, key?: string) => {
    if (list.length > 5000) return;
    list.push({ node, set, ...(key !== undefined ? { key } : {}) });
    if (node.t === 'arr') node.v.forEach((x, i) => walk(x, (n) => (node.v[i] = n), key));
    else if (node.t === 'obj') node.e.forEach((entry) => walk(entry[1], (n) => (entry[1] = n), entry[0]));
  };
  walk(root, () => undefined); // the root's own setter is `at`'s
  return list;
}

const RAW_VALUES = [
  'null', 'true', 'false', '0', '-0', '-1', '1.5', '1e308', '1e400', '-1e400', '1e-400', '9007199254740991', '9007199254740993',
  '4294967295', '4294967296', '2147483648', '127', '128', '16380', '16381', '1025', '123456789012345678901234567890', '""', '"x"',
  '"0"', '"true"', '"null"', '[]', '{}', '[null]', '{"":0}', '"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"', '"=="', '"AA=="', '"A==="',
  '"-_"', '"../../etc/passwd"', '"<script>"', '"%00"', '" "', '"\\n"',
];
const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'then', 'toJSON', '', 'type', 'kind', 'id', 'length', '0', 'a'.repeat(100)];
const LENGTHS = [0, 1, 2, 3, 31, 32, 33, 36, 43, 44, 63, 64, 65, 100, 101, 127, 128, 255, 256, 257, 1000, 1024, 1025, 4096, 4097, 16_384, 16_385, 65_536, 87_384, 100_000, 1_048_577];
const CHARS = ['a', 'A', '0', 'f', '=', '/', '+', '-', '_', '\u00e9', '\u{1F600}', '\u0000', ' ', '\\', '"'];

function longString(len: number, ch: string): string {
  const s = ch.repeat(Math.ceil(len / ch.length)).slice(0, len);
  return JSON.stringify(s);
}

function copy(j: J): J {
  return j.t === 'raw' ? { ...j } : j.t === 'arr' ? { t: 'arr', v: j.v.map(copy) } : { t: 'obj', e: j.e.map(([k, v]) => [k, copy(v)]) };
}

function nest(depth: number, seed: number, leaf: J): J {
  // Built as text, not as a deep tree, so nothing here recurses `depth` deep.
  const open = seed % 2 ? '[' : '{"a":';
  const close = seed % 2 ? ']' : '}';
  return { t: 'raw', s: open.repeat(depth) + stringify(leaf) + close.repeat(depth) };
}

const B64_RE = /^"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?"$/;

function b64decode(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function b64encode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

type JsonMutator = (root: J, op: Op, ctx: MutationContext) => J;

function at(root: J, n: number): { node: J; set: (n: J) => void; key?: string; root: () => J } {
  let top = root;
  const list = nodes(root);
  const chosen = list[n % list.length]!;
  // The root's setter replaces `top`.
  if (chosen.node === root) return { node: root, set: (x) => (top = x), root: () => top };
  return { ...chosen, root: () => top };
}

const JSON_MUTATORS: JsonMutator[] = [
  function swapType(root, op) {
    const n = at(root, op.a);
    n.set({ t: 'raw', s: pick(RAW_VALUES, op.b) });
    return n.root();
  },
  function longStringValue(root, op) {
    const n = at(root, op.a);
    n.set({ t: 'raw', s: longString(size(LENGTHS, op.b, LENGTHS.indexOf(16_385)), pick(CHARS, op.c)) });
    return n.root();
  },
  function addKey(root, op, ctx) {
    const objs = nodes(root).filter((x) => x.node.t === 'obj');
    if (!objs.length) return root;
    const o = objs[op.a % objs.length]!.node as Extract<J, { t: 'obj' }>;
    const existing = o.e.length ? o.e[op.c % o.e.length]![0] : 'x';
    const key = op.b % 5 === 0 ? existing : pick(KEYS, op.b);
    const value: J = op.c % 3 === 0 ? copy(pick(nodes(root), op.c).node) : op.c % 3 === 1 ? { t: 'raw', s: pick(RAW_VALUES, op.c >>> 4) } : spliceFrom(ctx, op);
    o.e.splice(op.c % (o.e.length + 1), 0, [key, value]);
    return root;
  },
  function deleteMember(root, op) {
    const containers = nodes(root).filter((x) => (x.node.t === 'obj' && x.node.e.length) || (x.node.t === 'arr' && x.node.v.length));
    if (!containers.length) return root;
    const c = containers[op.a % containers.length]!.node;
    if (c.t === 'obj') c.e.splice(op.b % c.e.length, 1);
    else if (c.t === 'arr') c.v.splice(op.b % c.v.length, 1);
    return root;
  },
  function duplicateKey(root, op) {
    const objs = nodes(root).filter((x) => x.node.t === 'obj' && x.node.e.length);
    if (!objs.length) return root;
    const o = objs[op.a % objs.length]!.node as Extract<J, { t: 'obj' }>;
    const [k] = o.e[op.b % o.e.length]!;
    o.e.splice(op.c % (o.e.length + 1), 0, [k, { t: 'raw', s: pick(RAW_VALUES, op.c >>> 8) }]);
    return root;
  },
  function deepNesting(root, op) {
    const n = at(root, op.a);
    n.set(nest(size([10, 100, 1000, 10_000, 100_000, 500_000], op.b, 3), op.c, { t: 'raw', s: '0' }));
    return n.root();
  },
  function longArray(root, op) {
    const arrs = nodes(root).filter((x) => x.node.t === 'arr');
    const target = arrs.length && op.c % 3 ? arrs[op.a % arrs.length]!.node : undefined;
    const len = size([2, 6, 7, 8, 100, 101, 200, 201, 1000, 1024, 1025, 5000, 100_000], op.b, 8);
    if (target && target.t === 'arr') {
      const item = target.v.length ? target.v[op.c % target.v.length]! : { t: 'raw' as const, s: '1' };
      const text = stringify(item);
      const times = Math.min(len, Math.floor(MAX_INPUT_BYTES / (text.length + 1)));
      target.v = Array.from({ length: times }, () => item);
      return root;
    }
    const n = at(root, op.a);
    n.set({ t: 'raw', s: `[${Array.from({ length: Math.min(len, 200_000) }, () => pick(RAW_VALUES, op.c)).join(',')}]` });
    return n.root();
  },
  function stringSurgery(root, op) {
    const strs = nodes(root).filter((x) => x.node.t === 'raw' && x.node.s.startsWith('"'));
    if (!strs.length) return root;
    const n = strs[op.a % strs.length]!;
    const s = JSON.parse((n.node as { s: string }).s) as string;
    const i = op.c % (s.length + 1);
    const inserts = ['\u0000', '\ud800', '\udc00', '\u{1F600}', '/', '\\', '..', '\n', '=', '%2e', 'A', ' ', '\u202e', '\uffff', s.toUpperCase(), s];
    const mutations = [
      () => s.slice(0, i) + pick(inserts, op.b >>> 4) + s.slice(i),
      () => s.slice(0, i),
      () => s.slice(i),
      () => s.toUpperCase(),
      () => s + s,
      () => s.slice(0, i) + s.slice(i + 1),
      () => s.slice(0, Math.max(0, s.length - 1)) + '=',
    ];
    n.set({ t: 'raw', s: JSON.stringify(pick(mutations, op.b)()) });
    return root;
  },
  function numberTweak(root, op) {
    const nums = nodes(root).filter((x) => x.node.t === 'raw' && /^-?\d/.test(x.node.s));
    if (!nums.length) return root;
    const n = nums[op.a % nums.length]!;
    const v = Number((n.node as { s: string }).s);
    const tweaks = [v + 1, v - 1, -v, v * 2, v + 0.5, v * 1000, 2 ** 31, 2 ** 32, 2 ** 53, 0, -1];
    const w = pick(tweaks, op.b);
    n.set({ t: 'raw', s: Object.is(w, -0) ? '-0' : String(w) });
    return root;
  },
  function spliceSubtree(root, op, ctx) {
    const n = at(root, op.a);
    n.set(spliceFrom(ctx, op));
    return n.root();
  },
  function wrap(root, op) {
    const n = at(root, op.a);
    n.set(op.b % 2 ? { t: 'arr', v: [n.node] } : { t: 'obj', e: [[n.key ?? 'value', n.node]] });
    return n.root();
  },
  function swapValues(root, op) {
    const list = nodes(root);
    const x = list[op.a % list.length]!;
    const y = list[op.b % list.length]!;
    if (x.node === root || y.node === root) return root;
    const [nx, ny] = [x.node, y.node];
    x.set(copy(ny));
    y.set(copy(nx));
    return root;
  },
  function mutateBase64(root, op, ctx) {
    // A base64 string (keys, ciphertexts, protobuf): its bytes mutated (as protobuf when they parse), re-encoded.
    const strs = nodes(root).filter((x) => x.node.t === 'raw' && x.node.s.length > 6 && B64_RE.test(x.node.s));
    if (!strs.length) return root;
    const n = strs[op.a % strs.length]!;
    const bytes = b64decode(JSON.parse((n.node as { s: string }).s) as string);
    const inner = { ...ctx, format: 'bytes' as const, corpus: [] };
    let out: Uint8Array;
    if (op.b % 2 === 0) {
      // Skip a plausible version byte first, as Signal messages have one.
      out = mutateProto(bytes, op) ?? (bytes.length > 1 ? concat(bytes.subarray(0, 1), mutateProto(bytes.subarray(1), op) ?? pick(BYTE_MUTATORS, op.m >>> 8)(bytes.subarray(1), op, inner)) : pick(BYTE_MUTATORS, op.m >>> 8)(bytes, op, inner));
    } else out = pick(BYTE_MUTATORS, op.m >>> 8)(bytes, op, inner);
    n.set({ t: 'raw', s: JSON.stringify(b64encode(out)) });
    return root;
  },
];

function spliceFrom(ctx: MutationContext, op: Op): J {
  const other = pick(ctx.corpus, op.c);
  const tree = other ? parseJsonInput(other, ctx.format) : undefined;
  if (!tree) return { t: 'raw', s: pick(RAW_VALUES, op.c) };
  return copy(pick(nodes(tree), op.b).node);
}

const PAD_BLOCK = 160;

/** The JSON text of an input (without Signal-style padding for `padded-json`). */
function jsonText(b: Uint8Array, format: Format): Uint8Array | undefined {
  if (format !== 'padded-json') return b;
  let end = b.length - 1;
  while (end >= 0 && b[end] === 0) end--;
  if (end < 0 || b[end] !== 0x80) return undefined;
  return b.subarray(0, end);
}

function parseJsonInput(b: Uint8Array, format: Format): J | undefined {
  const text = jsonText(b, format);
  if (!text) return undefined;
  try {
    // Deeply nested inputs (made by an earlier op) are mutated as text: the tree walk recurses.
    return toTree(JSON.parse(dec.decode(text)));
  } catch {
    return undefined; // not JSON, or too deep for the walk (RangeError)
  }
}

function jsonMutator(b: Uint8Array, op: Op, ctx: MutationContext): Uint8Array {
  const tree = parseJsonInput(b, ctx.format);
  if (!tree) return textMutator(b, op, ctx);
  const text = enc.encode(stringify(pick(JSON_MUTATORS, op.m >>> 8)(tree, op, ctx)));
  if (ctx.format !== 'padded-json') return cap(text);
  // Re-padded, so the codec gets past its padding check to the JSON (sometimes padded wrong on purpose).
  const size = op.c % 11 === 0 ? text.length + 1 : Math.ceil((text.length + 1) / PAD_BLOCK) * PAD_BLOCK;
  const out = new Uint8Array(Math.min(size, MAX_INPUT_BYTES));
  out.set(text.subarray(0, out.length));
  if (text.length < out.length) out[text.length] = 0x80;
  return out;
}

// ---------------------------------------------------------------------------
// Text

const TEXT_INSERTS = ['\u0000', '\r\n', ' ', '-', ',', ';', '=', '/', '..', '%', '+', '0', '9', '\u00e9', '\ud800', '999999999999999999', '-1', 'bytes=', 'parley:link:', 'A'.repeat(70)];

function textMutator(b: Uint8Array, op: Op, ctx: MutationContext): Uint8Array {
  const s = dec.decode(jsonText(b, ctx.format) ?? b);
  const i = op.a % (s.length + 1);
  const ops = [
    () => s.slice(0, i) + pick(TEXT_INSERTS, op.b) + s.slice(i),
    () => s.slice(0, i) + s.slice(i + 1 + (op.b % 4)),
    () => s.toUpperCase(),
    () => s.slice(0, i) + s.slice(i, i + 1 + (op.b % 8)).repeat(size([2, 10, 1000, 100_000], op.c, 3)) + s.slice(i),
    () => s.slice(0, i) + String(pick([0, 1, 2 ** 31, 2 ** 32, 2 ** 53, 1e21, -1], op.b)) + s.slice(i + 1),
    () => s + s,
  ];
  return cap(enc.encode(pick(ops, op.m >>> 8)()));
}

// ---------------------------------------------------------------------------

function mutatorsFor(format: Format): Mutator[] {
  switch (format) {
    case 'proto':
      return [...BYTE_MUTATORS, ...Array<Mutator>(BYTE_MUTATORS.length * 2).fill(protoMutator)];
    case 'json':
    case 'padded-json':
      return [...BYTE_MUTATORS, ...Array<Mutator>(BYTE_MUTATORS.length * 3).fill(jsonMutator), textMutator];
    case 'text':
      return [...BYTE_MUTATORS, ...Array<Mutator>(BYTE_MUTATORS.length).fill(textMutator)];
    default:
      return BYTE_MUTATORS;
  }
}

/** Applies `ops` in order to `input`. Deterministic; never throws; never longer than MAX_INPUT_BYTES. */
export function mutate(input: Uint8Array, ops: readonly Op[], ctx: MutationContext): Uint8Array {
  const mutators = mutatorsFor(ctx.format);
  let b = input;
  for (const op of ops) {
    try {
      b = cap(pick(mutators, op.m)(b, op, ctx));
    } catch {
      // A mutator that cannot handle what earlier ops made (too deep to walk): this op is skipped.
    }
  }
  return b;
}
