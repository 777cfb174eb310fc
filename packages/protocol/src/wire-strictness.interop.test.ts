// Parley's decoders against libsignal-client 0.90 as the oracle, on the same bytes:
// every wrong-wire-type insertion Parley rejects, libsignal rejects too; and for
// what prost does with repeated fields (scalars and bytes: last wins; embedded
// messages: merge; oneofs: last member), unknown fields and groups, over-long
// varints and nesting, both accept the same bytes and read the same values.
// The few places where Parley is stricter on purpose are named in STRICTER below.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as SC from '@signalapp/libsignal-client';
import { isProtocolError } from './index.ts';
import { toHex } from './internal/bytes.ts';
import { ab, LibsignalPeer } from './test-support/libsignal-peer.ts';
import {
  applyInsertion,
  concatBytes,
  encodeField,
  lengthDelimited,
  nestedSites,
  rewrite,
  splitFields,
  tag,
  varint,
  wireOf,
  wrongWireCases,
  type RawField,
  type Wire,
} from './test-support/proto-mutation.ts';
import { buildKinds, type Kind, type KindContext, type KindName } from './test-support/wire-kinds.ts';

type Oracle = (bytes: Uint8Array) => unknown;

/**
 * libsignal-client's JS `distributionId()` stringifies with a check for RFC 4122
 * version bits that its (Rust) decoder does not make: for such ids, read the last
 * distribution_uuid (field 1) libsignal decoded from the bytes themselves.
 */
function distributionId(m: { distributionId(): string }, bytes: Uint8Array, tail: number): string {
  try {
    return m.distributionId();
  } catch {
    const raw = splitFields(bytes.subarray(1, bytes.length - tail)).filter((f) => f.no === 1).at(-1)!.payload!;
    const h = toHex(raw);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

function oracles(ctx: KindContext): Record<KindName, Oracle> {
  const recipient = new LibsignalPeer('bob', 1, {
    privateKey: SC.PrivateKey.deserialize(ab(ctx.recipient.privateKey.serialize())),
    registrationId: 1,
  });
  const f = ctx.fingerprint;
  const key = (k: { serialize(): Uint8Array }) => SC.PublicKey.deserialize(ab(k.serialize()));
  const ours = SC.Fingerprint.new(2, 2, ab(f.localIdentifier), key(f.localKey), ab(f.remoteIdentifier), key(f.remoteKey)).scannableFingerprint();
  const usmc = (m: SC.UnidentifiedSenderMessageContent) => {
    const groupId = m.groupId();
    return { type: m.msgType(), contentHint: m.contentHint(), groupId: groupId ? toHex(groupId) : null, contents: toHex(m.contents()), sender: m.senderCertificate().senderUuid() };
  };
  const session = (b: Uint8Array) => ({ remoteRegistrationId: SC.SessionRecord.deserialize(ab(b)).remoteRegistrationId() });
  const senderKey = (b: Uint8Array) => SC.SenderKeyRecord.deserialize(ab(b)) !== undefined;
  return {
    SignalMessage: (b) => {
      const m = SC.SignalMessage.deserialize(ab(b));
      return { counter: m.counter(), body: toHex(m.body()) };
    },
    PreKeySignalMessage: (b) => {
      const m = SC.PreKeySignalMessage.deserialize(ab(b));
      return { version: m.version(), preKeyId: m.preKeyId(), signedPreKeyId: m.signedPreKeyId(), registrationId: m.registrationId() };
    },
    SenderKeyMessage: (b) => {
      const m = SC.SenderKeyMessage.deserialize(ab(b));
      return { distributionId: distributionId(m, b, 64), chainId: m.chainId(), iteration: m.iteration(), ciphertext: toHex(m.ciphertext()) };
    },
    SenderKeyDistributionMessage: (b) => {
      const m = SC.SenderKeyDistributionMessage.deserialize(ab(b));
      return { distributionId: distributionId(m, b, 0), chainId: m.chainId(), iteration: m.iteration(), chainKey: toHex(m.chainKey()) };
    },
    'sealed sender v1': async (b) => usmc(await SC.sealedSenderDecryptToUsmc(ab(b), recipient.identities)),
    UnidentifiedSenderMessageContent: (b) => usmc(SC.UnidentifiedSenderMessageContent.deserialize(ab(b))),
    SenderCertificate: (b) => {
      const c = SC.SenderCertificate.deserialize(ab(b));
      return { uuid: c.senderUuid(), e164: c.senderE164(), device: c.senderDeviceId(), expiration: c.expiration(), signer: c.serverCertificate().keyId() };
    },
    ServerCertificate: (b) => {
      const c = SC.ServerCertificate.deserialize(ab(b));
      return { keyId: c.keyId(), key: toHex(c.key().serialize()) };
    },
    ScannableFingerprint: (b) => ours.compare(SC.ScannableFingerprint._fromBuffer(ab(b))),
    'SessionRecord (new session)': session,
    'SessionRecord (skipped keys)': session,
    'SenderKeyRecord (own)': senderKey,
    'SenderKeyRecord (received)': senderKey,
    // Records parse keys lazily in libsignal: reading them here makes it check what Parley checks on load.
    PreKeyRecord: (b) => {
      const r = SC.PreKeyRecord.deserialize(ab(b));
      r.privateKey();
      return { id: r.id(), publicKey: toHex(r.publicKey().serialize()) };
    },
    SignedPreKeyRecord: (b) => {
      const r = SC.SignedPreKeyRecord.deserialize(ab(b));
      r.privateKey();
      return { id: r.id(), timestamp: r.timestamp(), publicKey: toHex(r.publicKey().serialize()), signature: toHex(r.signature()) };
    },
    KyberPreKeyRecord: (b) => {
      const r = SC.KyberPreKeyRecord.deserialize(ab(b));
      r.keyPair();
      return { id: r.id(), timestamp: r.timestamp(), signature: toHex(r.signature()) };
    },
    IdentityKeyPair: (b) => toHex(SC.IdentityKeyPair.deserialize(ab(b)).publicKey.serialize()),
  };
}

/**
 * Where Parley refuses what libsignal 0.90 accepts, on purpose (README, "Strictness"):
 * libsignal takes bytes after a 33-byte public key (it logs a warning and has a TODO
 * to refuse them); stored timestamps above 2^53 ms; and a sender certificate that
 * names its server certificate by id, which libsignal resolves only to Signal's own
 * built-in certificates, when it validates (Parley has none, so refuses on parsing).
 */
const STRICTER = [/public key: expected 33 bytes/, /exceeds 2\^53|out of range/, /unknown server certificate id/];

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function run(f: Oracle, bytes: Uint8Array, typed: boolean): Promise<Outcome> {
  try {
    return { ok: true, value: await f(bytes) };
  } catch (e) {
    // Parley may throw only its typed errors, whatever the bytes.
    if (typed && !isProtocolError(e)) throw e;
    return { ok: false, error: (e as Error).message };
  }
}

let kinds: Kind[];
let oracle: Record<KindName, Oracle>;
beforeAll(async () => {
  const built = await buildKinds();
  kinds = built.kinds;
  oracle = oracles(built.context);
});

/** Both implementations on `bytes`: the same verdict and the same values, or a named STRICTER case. */
async function expectParity(kind: Kind, bytes: Uint8Array, what: string): Promise<'accepted' | 'rejected' | 'stricter'> {
  const ours = await run(kind.decode, bytes, true);
  const theirs = await run(oracle[kind.name], bytes, false);
  const label = `${kind.name}: ${what} (${toHex(bytes).slice(0, 400)})`;
  if (!ours.ok && theirs.ok && STRICTER.some((r) => r.test(ours.error))) return 'stricter';
  expect({ ok: ours.ok, value: ours.ok ? ours.value : undefined }, `${label}; Parley: ${ours.ok ? 'accepted' : ours.error}; libsignal: ${theirs.ok ? 'accepted' : theirs.error}`).toEqual({
    ok: theirs.ok,
    value: theirs.ok ? theirs.value : undefined,
  });
  return ours.ok ? 'accepted' : 'rejected';
}

describe('protobuf parity with libsignal 0.90', () => {
  it('libsignal reads every valid sample and sees the same values as Parley', async () => {
    for (const kind of kinds) expect(await expectParity(kind, kind.bytes, 'valid sample')).toBe('accepted');
  });

  it('libsignal rejects every wrong-wire-type insertion too (every field, wire type, position, nested message)', async () => {
    let n = 0;
    for (const kind of kinds) {
      for (const c of wrongWireCases(kind.bytes, kind.spec)) {
        const bytes = applyInsertion(kind.bytes, kind.spec, c);
        const theirs = await run(oracle[kind.name], bytes, false);
        expect(theirs.ok, `${kind.name}: libsignal accepted field ${c.site}/${c.no} as wire type ${c.wire} at ${c.position}`).toBe(false);
        expect(await expectParity(kind, bytes, `field ${c.site}/${c.no} as wire type ${c.wire} at ${c.position}`)).toBe('rejected');
        n++;
      }
    }
    expect(n).toBeGreaterThan(4000);
  });

  it('a repeated field with the same wire type: last one wins, in both (every field, before and after, same and other value)', async () => {
    for (const kind of kinds) {
      for (const site of nestedSites(kind.bytes, kind.spec)) {
        for (const [key, type] of Object.entries(site.spec.schema)) {
          const no = Number(key);
          const present = site.fields.filter((f) => f.no === no);
          const copies: Uint8Array[] = present.map((f) => f.raw);
          // Another value of the same type (for records, whose keys libsignal parses only when used: varints only);
          // bytes fields that hold keys get a key-sized value too.
          if (!isRecord(kind) || wireOf(type) === 0) {
            copies.push(encodeField(no, wireOf(type), 77));
            if (wireOf(type) === 2) copies.push(lengthDelimited(no, new Uint8Array(33).fill(9).fill(5, 0, 1)));
          }
          for (const field of copies) {
            for (const position of [0, site.fields.length]) {
              await expectParity(kind, applyInsertion(kind.bytes, kind.spec, { path: site.path, position, field }), `field ${site.name}/${no} repeated at ${position}`);
            }
          }
        }
      }
    }
  });

  it('an embedded message sent in two parts merges, in both (every singular embedded message, every split)', async () => {
    let n = 0;
    for (const kind of kinds) {
      for (const site of nestedSites(kind.bytes, kind.spec)) {
        for (let index = 0; index < site.fields.length; index++) {
          const f = site.fields[index]!;
          const inner = site.spec.schema[f.no];
          if (inner === undefined || typeof inner === 'number' || !inner.merge || !f.payload) continue;
          const parts = splitRaw(f.payload)!;
          for (let cut = 0; cut <= parts.length; cut++) {
            const first = lengthDelimited(f.no, concatBytes(...parts.slice(0, cut)));
            const second = lengthDelimited(f.no, concatBytes(...parts.slice(cut)));
            const bytes = rewrite(kind.bytes, kind.spec, site.path, (fields) => fields.flatMap((g, i) => (i === index ? [first, second] : [g.raw])));
            expect(await expectParity(kind, bytes, `${site.name}/${f.no} split after ${cut} of ${parts.length} fields`)).toBe('accepted');
            n++;
          }
        }
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('unknown fields of every wire type, groups nested up to prost\'s limit of 100, and over-long varints: the same verdicts', async () => {
    const groups = (no: number, depth: number) => concatBytes(...Array.from({ length: depth }, () => tag(no, 3)), ...Array.from({ length: depth }, () => tag(no, 4)));
    for (const kind of kinds) {
      for (const site of nestedSites(kind.bytes, kind.spec)) {
        const at = (field: Uint8Array, position = site.fields.length) => applyInsertion(kind.bytes, kind.spec, { path: site.path, position, field });
        const unknown = 31;
        const probes: [string, Uint8Array][] = [
          ...([0, 1, 2, 5, 3] as Wire[]).map((w): [string, Uint8Array] => [`unknown field as wire type ${w}`, at(encodeField(unknown, w, 3), 0)]),
          ['largest field number', at(concatBytes(tag(2 ** 29 - 1, 0), [1]))],
          ['group with nested fields', at(concatBytes(tag(unknown, 3), encodeField(1, 2, 5), tag(2, 3), tag(2, 4), tag(unknown, 4)))],
          ['group closed by another number', at(concatBytes(tag(unknown, 3), tag(unknown + 1, 4)))],
          ['group never closed', at(concatBytes(tag(unknown, 3)))],
          ['group end alone', at(concatBytes(tag(unknown, 4)))],
          ['wire type 6', at(concatBytes(varint(unknown * 8 + 6)))],
          ['groups 98 deep', at(groups(unknown, 98))],
          ['groups 99 deep', at(groups(unknown, 99))],
          ['groups 100 deep', at(groups(unknown, 100))],
          ['groups 101 deep', at(groups(unknown, 101))],
        ];
        for (const f of site.fields.filter((g) => g.wire === 0)) {
          const value = readVarint(f.raw, tag(f.no, 0).length);
          probes.push([`field ${f.no} + 2^32`, at(concatBytes(tag(f.no, 0), varint(value + 2n ** 32n)))]);
          probes.push([`field ${f.no} + 2^63`, at(concatBytes(tag(f.no, 0), varint(value + 2n ** 63n)))]);
          probes.push([`field ${f.no} in 10 bytes`, at(concatBytes(tag(f.no, 0), overlong(value)))]);
          probes.push([`field ${f.no} tag in 5 bytes`, at(concatBytes(overlong(BigInt(f.no * 8), 5), varint(value)))]);
        }
        for (const [what, bytes] of probes) await expectParity(kind, bytes, `${site.name}: ${what}`);
      }
    }
  });

  it('random framing changes: same verdicts and values (fast-check)', async () => {
    const mutation = fc.record({
      op: fc.constantFrom('dup', 'same-type', 'unknown', 'split', 'overlong', 'drop'),
      site: fc.nat(),
      field: fc.nat(),
      position: fc.nat(),
      seed: fc.nat({ max: 1 << 24 }),
      wire: fc.constantFrom<Wire>(0, 1, 2, 3, 5),
    });
    let stricter = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (k, ops) => {
        const kind = kinds[k % kinds.length]!;
        let bytes = kind.bytes;
        for (const m of ops) bytes = mutate(kind, bytes, m);
        if ((await expectParity(kind, bytes, JSON.stringify(ops))) === 'stricter') stricter++;
      }),
      { numRuns: 1500 },
    );
    // The named exceptions stay exceptions.
    expect(stricter).toBeLessThan(60);
  });
});

function isRecord(kind: Kind): boolean {
  return /Record|IdentityKeyPair/.test(kind.name);
}

/** The fields of an embedded message, raw; undefined if earlier probes made it unparsable. */
function splitRaw(payload: Uint8Array): Uint8Array[] | undefined {
  try {
    return splitFields(payload).map((f) => f.raw);
  } catch {
    return undefined;
  }
}

function readVarint(raw: Uint8Array, from: number): bigint {
  let v = 0n;
  let shift = 0n;
  for (let i = from; i < raw.length; i++) {
    v |= BigInt(raw[i]! & 0x7f) << shift;
    shift += 7n;
  }
  return v;
}

/** `v` as a varint padded with continuation bytes to `length` bytes (non-minimal, still valid). */
function overlong(v: bigint, length = 10): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) {
    const last = i === length - 1;
    out.push(Number(v & 0x7fn) | (last ? 0 : 0x80));
    v >>= 7n;
  }
  return out;
}

interface Mutation {
  op: 'dup' | 'same-type' | 'unknown' | 'split' | 'overlong' | 'drop';
  site: number;
  field: number;
  position: number;
  seed: number;
  wire: Wire;
}

/** One framing change at a nested message of the (current) bytes; the record kinds get only meaning-preserving ones. */
function mutate(kind: Kind, bytes: Uint8Array, m: Mutation): Uint8Array {
  const sites = nestedSites(bytes, kind.spec);
  const site = sites[m.site % sites.length]!;
  const fields = site.fields;
  const pick = <T>(xs: readonly T[], n: number): T | undefined => (xs.length ? xs[n % xs.length] : undefined);
  const insert = (field: Uint8Array) => applyInsertion(bytes, kind.spec, { path: site.path, position: m.position % (fields.length + 1), field });
  const edit = (f: (fs: RawField[]) => Uint8Array[]) => rewrite(bytes, kind.spec, site.path, f);
  switch (m.op) {
    case 'dup': {
      const f = pick(fields, m.field);
      return f ? insert(f.raw) : bytes;
    }
    case 'same-type': {
      if (isRecord(kind)) return bytes;
      const numbers = Object.keys(site.spec.schema).map(Number);
      const no = pick(numbers, m.field)!;
      const wire = wireOf(site.spec.schema[no]!);
      if (wire !== 0) return insert(encodeField(no, wire, m.seed));
      // Small values, values past 2^32 and past 2^63.
      const value = [BigInt(m.seed % 5), BigInt(m.seed), BigInt(m.seed) + 2n ** 32n, BigInt(m.seed) + 2n ** 63n][m.seed % 4]!;
      return insert(concatBytes(tag(no, 0), varint(value)));
    }
    case 'unknown': {
      const known = new Set(Object.keys(site.spec.schema).map(Number));
      let no = 1 + (m.field % 40);
      while (known.has(no)) no++;
      const depth = 1 + (m.seed % 3);
      const field =
        m.wire === 3
          ? concatBytes(...Array.from({ length: depth }, () => tag(no, 3)), encodeField(1 + (m.seed % 5), (m.seed % 2) as Wire, m.seed), ...Array.from({ length: depth }, () => tag(no, 4)))
          : encodeField(no, m.wire, m.seed);
      return insert(field);
    }
    case 'split': {
      const candidates = fields
        .map((f, i) => ({ f, i }))
        .filter(({ f }) => {
          const inner = site.spec.schema[f.no];
          return inner !== undefined && typeof inner !== 'number' && inner.merge && f.payload;
        });
      const c = pick(candidates, m.field);
      if (!c) return bytes;
      const parts = splitRaw(c.f.payload!);
      if (!parts) return bytes;
      const cut = m.seed % (parts.length + 1);
      return edit((fs) =>
        fs.flatMap((g, i) => (i === c.i ? [lengthDelimited(g.no, concatBytes(...parts.slice(0, cut))), lengthDelimited(g.no, concatBytes(...parts.slice(cut)))] : [g.raw])),
      );
    }
    case 'overlong': {
      const varints = fields.map((f, i) => ({ f, i })).filter(({ f }) => f.wire === 0);
      const c = pick(varints, m.field);
      if (!c) return bytes;
      const value = readVarint(c.f.raw, tag(c.f.no, 0).length);
      const raw = m.seed % 2 ? concatBytes(tag(c.f.no, 0), overlong(value)) : concatBytes(tag(c.f.no, 0), varint(value + (BigInt(1 + (m.seed % 7)) << 32n)));
      return edit((fs) => fs.map((g, i) => (i === c.i ? raw : g.raw)));
    }
    case 'drop': {
      // Only an occurrence that has an identical twin (dropping a part of a split message
      // would leave a record that libsignal, which parses record keys lazily, still takes).
      const counts = new Map<string, number>();
      for (const f of fields) counts.set(toHex(f.raw), (counts.get(toHex(f.raw)) ?? 0) + 1);
      const repeated = fields.map((f, i) => ({ f, i })).filter(({ f }) => counts.get(toHex(f.raw))! > 1);
      const c = pick(repeated, m.field);
      if (!c) return bytes;
      return edit((fs) => fs.filter((_, i) => i !== c.i).map((g) => g.raw));
    }
  }
}
