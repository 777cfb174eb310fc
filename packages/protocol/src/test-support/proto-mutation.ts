/**
 * Test helper (portable): rewrites protobuf messages at the field level to probe
 * decoders, written independently of `internal/protobuf.ts` so the codec is not
 * tested with itself. A `Schema` lists the fields libsignal's .proto files define
 * for one message (number -> wire type, or a nested schema for an embedded
 * message, or for bytes that hold another framed message). `insertionCases`
 * enumerates every (nested message, field, wrong wire type, position) of a valid
 * message; `applyInsertion` builds the bytes for one of them.
 */

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 3 group (start ... end), 5 fixed32. */
export type Wire = 0 | 1 | 2 | 3 | 5;
export const ALL_WIRES: readonly Wire[] = [0, 1, 2, 3, 5];

/** An embedded message, or bytes framing one: `head` bytes before its protobuf, `tail` after (version byte, MAC). */
export interface Nested {
  readonly schema: Schema;
  readonly head?: number;
  readonly tail?: number;
  /** A singular embedded message in the .proto (not bytes, not repeated): repeated occurrences merge. */
  readonly merge?: true;
}
export interface Schema {
  readonly [no: number]: 0 | 1 | 2 | 5 | Nested;
}

export function wireOf(t: Schema[number]): Wire {
  return typeof t === 'number' ? t : 2;
}

/** One top-level field as it appears on the wire. */
export interface RawField {
  readonly no: number;
  readonly wire: Wire;
  /** Tag and value. */
  readonly raw: Uint8Array;
  /** Payload of a length-delimited field. */
  readonly payload?: Uint8Array;
}

export function varint(v: number | bigint): number[] {
  let x = BigInt(v);
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
  return out;
}

export function tag(no: number, wire: Wire | 4): number[] {
  return varint(no * 8 + wire);
}

export function concatBytes(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Splits a well-formed message into its top-level fields (a group is one field, through its end tag). */
export function splitFields(body: Uint8Array): RawField[] {
  const fields: RawField[] = [];
  let pos = 0;
  const read = (): number => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = body[pos++];
      if (b === undefined) throw new Error('splitFields: truncated');
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return Number(v);
      shift += 7n;
    }
  };
  // Skips one value of `wire` (a group up to its end tag); returns the payload of a length-delimited one.
  const skip = (no: number, wire: number): Uint8Array | undefined => {
    if (wire === 0) read();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const len = read();
      pos += len;
      return body.subarray(pos - len, pos);
    } else if (wire === 3) {
      for (;;) {
        const key = read();
        if ((key & 7) === 4 && Math.floor(key / 8) === no) break;
        skip(Math.floor(key / 8), key & 7);
      }
    } else throw new Error(`splitFields: wire type ${wire}`);
    return undefined;
  };
  while (pos < body.length) {
    const start = pos;
    const key = read();
    const no = Math.floor(key / 8);
    const wire = (key & 7) as Wire;
    const payload = skip(no, wire);
    if (pos > body.length) throw new Error('splitFields: truncated');
    fields.push(payload ? { no, wire, raw: body.subarray(start, pos), payload } : { no, wire, raw: body.subarray(start, pos) });
  }
  return fields;
}

/** A field encoded with the given wire type; `seed` varies the value. */
export function encodeField(no: number, wire: Wire, seed = 0): Uint8Array {
  switch (wire) {
    case 0:
      return concatBytes(tag(no, 0), varint(seed));
    case 1:
      return concatBytes(tag(no, 1), Array.from({ length: 8 }, (_, i) => (seed + i) & 0xff));
    case 5:
      return concatBytes(tag(no, 5), Array.from({ length: 4 }, (_, i) => (seed + i) & 0xff));
    case 2: {
      const len = seed % 40;
      return concatBytes(tag(no, 2), varint(len), Array.from({ length: len }, (_, i) => (seed * 7 + i) & 0xff));
    }
    case 3:
      // A group holding one varint field, then its matching end tag.
      return concatBytes(tag(no, 3), tag(1, 0), varint(seed), tag(no, 4));
  }
}

export function lengthDelimited(no: number, payload: Uint8Array): Uint8Array {
  return concatBytes(tag(no, 2), varint(payload.length), payload);
}

/** One probe: in the message reached by `path`, insert `field` before top-level field `position`. */
export interface Insertion {
  /** Indexes of the nested fields to descend through, from the top-level message. */
  readonly path: readonly number[];
  readonly position: number;
  readonly field: Uint8Array;
}

/** Rewrites the (framed) message `bytes` of schema `spec` with `insertion` applied, fixing lengths on the way out. */
export function applyInsertion(bytes: Uint8Array, spec: Nested, insertion: Insertion): Uint8Array {
  return rewrite(bytes, spec, insertion.path, (fields) => {
    const parts = fields.map((f) => f.raw);
    parts.splice(insertion.position, 0, insertion.field);
    return parts;
  });
}

/**
 * Rewrites the message at `path` inside the framed `bytes`: `edit` gets its
 * top-level fields and returns the raw parts to write instead.
 */
export function rewrite(
  bytes: Uint8Array,
  spec: Nested,
  path: readonly number[],
  edit: (fields: RawField[]) => Uint8Array[],
): Uint8Array {
  const head = spec.head ?? 0;
  const tail = spec.tail ?? 0;
  const body = bytes.subarray(head, bytes.length - tail);
  const fields = splitFields(body);
  let parts: Uint8Array[];
  if (path.length === 0) parts = edit(fields);
  else {
    const [index, ...rest] = path as [number, ...number[]];
    const target = fields[index];
    const inner = target && spec.schema[target.no];
    if (!target?.payload || inner === undefined || typeof inner === 'number') throw new Error('rewrite: path leaves the schema');
    parts = fields.map((f, i) => (i === index ? lengthDelimited(f.no, rewrite(f.payload!, inner, rest, edit)) : f.raw));
  }
  return concatBytes(bytes.subarray(0, head), ...parts, bytes.subarray(bytes.length - tail));
}

/** A nested message present in a valid value: where it is, and its schema. */
export interface NestedSite {
  readonly path: readonly number[];
  readonly spec: Nested;
  readonly fields: readonly RawField[];
  /** Readable location, e.g. "4.1" (field 4, then field 1 inside it). */
  readonly name: string;
}

/** Every message inside `bytes` that the schema reaches, the top level first. */
export function nestedSites(bytes: Uint8Array, spec: Nested): NestedSite[] {
  const sites: NestedSite[] = [];
  const walk = (b: Uint8Array, s: Nested, path: number[], name: string) => {
    let fields: RawField[];
    try {
      fields = splitFields(b.subarray(s.head ?? 0, b.length - (s.tail ?? 0)));
    } catch (e) {
      if (path.length === 0) throw e;
      return; // a nested value that earlier probes made unparsable: nothing to reach inside
    }
    sites.push({ path, spec: s, fields, name: name || 'top' });
    fields.forEach((f, i) => {
      const inner = s.schema[f.no];
      if (f.payload && inner !== undefined && typeof inner !== 'number') walk(f.payload, inner, [...path, i], name ? `${name}.${f.no}` : `${f.no}`);
    });
  };
  walk(bytes, spec, [], '');
  return sites;
}

/** A wrong-wire-type probe, described for test names. */
export interface WrongWireCase extends Insertion {
  readonly site: string;
  readonly no: number;
  readonly wire: Wire;
}

/**
 * Every (nested message, schema field, wire type other than the field's, position)
 * of a valid message, each with a field value derived from `seed`.
 */
export function wrongWireCases(bytes: Uint8Array, spec: Nested, seed = 5): WrongWireCase[] {
  const cases: WrongWireCase[] = [];
  for (const site of nestedSites(bytes, spec)) {
    for (const [key, t] of Object.entries(site.spec.schema)) {
      const no = Number(key);
      for (const wire of ALL_WIRES) {
        if (wire === wireOf(t)) continue;
        for (let position = 0; position <= site.fields.length; position++) {
          cases.push({ path: site.path, position, field: encodeField(no, wire, seed), site: site.name, no, wire });
        }
      }
    }
  }
  return cases;
}
