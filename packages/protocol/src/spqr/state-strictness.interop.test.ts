// The stored SPQR state against libsignal-client 0.103 (spqr 1.5.3, prost): a record that
// libsignal wrote is changed inside its SPQR state (field 15 of the current session) and
// both verdicts are compared. libsignal decodes the state when it next encrypts; Parley
// when its session is next used (`decodeState`). A wrong wire type at any occurrence and
// depth, a truncated field and a broken oneof member that a later one overrides are
// refused by both; unknown fields are accepted by both. Node only.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidState } from '../errors.ts';
import { SessionRecord } from '../session/session-state.ts';
import { ab, LibsignalPeer } from '../test-support/libsignal-peer.ts';
import { ALL_WIRES, applyInsertion, concatBytes, encodeField, nestedSites, rewrite, tag, varint, wireOf, type Nested, type Wire } from '../test-support/proto-mutation.ts';
import { PQ_RATCHET_STATE } from '../test-support/wire-kinds.ts';
import { decodeState } from './state-codec.ts';

/** RecordStructure -> current SessionStructure (1) -> pq_ratchet_state bytes (15); only that path is probed. */
const RECORD: Nested = { schema: { 1: { schema: { 15: PQ_RATCHET_STATE } } } };
const IN_STATE = /^1\.15(\.|$)/;

const enc = new TextEncoder();

/** A record as its owner's libsignal wrote it for the peer. */
interface Stored {
  readonly owner: LibsignalPeer;
  readonly peer: LibsignalPeer;
  readonly bytes: Uint8Array;
}

/** Records both sides' libsignal wrote at points of a lopsided conversation (the braid states of both roles). */
async function libsignalRecords(): Promise<Stored[]> {
  const alice = LibsignalPeer.v0103('a6f0c1de-1111-4e2a-9d3c-00000000000a');
  const bob = LibsignalPeer.v0103('b6f0c1de-2222-4e2a-9d3c-00000000000b');
  const bundle = bob.bundle();
  await alice.processBundle(bundle, bob.address);
  const records: Stored[] = [{ owner: alice, peer: bob, bytes: alice.record(bob.address)! }];
  // Long one-sided runs, as the braid needs dozens of messages to move a key or ciphertext.
  const pattern = 'a'.repeat(45) + 'b'.repeat(45) + 'ab'.repeat(30) + 'b'.repeat(40) + 'a'.repeat(40);
  for (const [i, who] of [...pattern].entries()) {
    const [from, to] = who === 'a' ? [alice, bob] : [bob, alice];
    await to.decrypt(from.address, await from.encrypt(enc.encode(who), to.address));
    if (i % 7 === 0) records.push({ owner: alice, peer: bob, bytes: alice.record(bob.address)! }, { owner: bob, peer: alice, bytes: bob.record(alice.address)! });
  }
  return records;
}

describe('stored SPQR state: Parley refuses exactly what libsignal 0.103 refuses', async () => {
  const records = await libsignalRecords();
  const kinds = new Set(records.map((r) => decodeState(SessionRecord.deserialize(r.bytes).currentState()!.pqRatchetState).inner!.kind));

  /** libsignal's verdict: does the owner's next encrypt, on this record, go through? */
  async function libsignalAccepts(stored: Stored, record: Uint8Array): Promise<boolean> {
    stored.owner.sessions.m.set(stored.peer.address.toString(), ab(record));
    try {
      await stored.owner.encrypt(enc.encode('probe'), stored.peer.address);
      return true;
    } catch {
      return false;
    }
  }

  /** Parley's verdict, and that a refusal is an InvalidState. */
  function parleyAccepts(record: Uint8Array): boolean {
    try {
      decodeState(SessionRecord.deserialize(record).currentState()!.pqRatchetState);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidState);
      return false;
    }
  }

  async function same(stored: Stored, record: Uint8Array, expected: boolean, what: string): Promise<void> {
    expect(await libsignalAccepts(stored, record), `libsignal: ${what}`).toBe(expected);
    expect(parleyAccepts(record), `Parley: ${what}`).toBe(expected);
  }

  it('the unchanged records are accepted by both, in several braid states', async () => {
    expect(kinds.size, [...kinds].join(', ')).toBeGreaterThanOrEqual(8);
    for (const r of records) await same(r, r.bytes, true, 'unchanged');
  });

  it('a wrong wire type anywhere in the state: both refuse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(records.length - 1), fc.nat(), fc.nat(), fc.nat(), fc.nat({ max: 1 << 20 }), async (which, sitePick, fieldPick, positionPick, seed) => {
        const stored = records[which]!;
        const record = stored.bytes;
        const sites = nestedSites(record, RECORD).filter((s) => IN_STATE.test(s.name));
        const site = sites[sitePick % sites.length]!;
        const numbers = Object.keys(site.spec.schema).map(Number);
        const no = numbers[fieldPick % numbers.length]!;
        const wrong = ALL_WIRES.filter((w) => w !== wireOf(site.spec.schema[no]!));
        const wire = wrong[seed % wrong.length] as Wire;
        const position = positionPick % (site.fields.length + 1);
        const bytes = applyInsertion(record, RECORD, { path: site.path, position, field: encodeField(no, wire, seed) });
        await same(stored, bytes, false, `${site.name}/${no} as wire type ${wire} at ${position}`);
      }),
      { numRuns: 300 },
    );
  });

  it('a truncated field anywhere in the state, or a broken oneof member overridden by a later one: both refuse', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(records.length - 1), fc.nat(), fc.nat(), fc.nat(), async (which, sitePick, fieldPick, cutPick) => {
        const stored = records[which]!;
        const record = stored.bytes;
        const sites = nestedSites(record, RECORD).filter((s) => IN_STATE.test(s.name) && s.name !== '1.15' && s.fields.some((f) => f.payload?.length));
        const site = sites[sitePick % sites.length]!;
        const withPayload = site.fields.map((f, i) => [f, i] as const).filter(([f]) => f.payload?.length);
        const [field, index] = withPayload[fieldPick % withPayload.length]!;
        const cut = 1 + (cutPick % field.payload!.length);
        const bytes = rewrite(record, RECORD, site.path, (fields) => [...fields.slice(0, index).map((f) => f.raw), field.raw.subarray(0, field.raw.length - cut)]);
        await same(stored, bytes, false, `${site.name}/${field.no} cut by ${cut}`);
      }),
      { numRuns: 150 },
    );
    for (const stored of records) {
      const record = stored.bytes;
      const v1 = nestedSites(record, RECORD).find((s) => s.name === '1.15.3')!;
      const member = v1.fields[0]!.no;
      const other = member === 1 ? 2 : 1;
      const broken = concatBytes(tag(other, 2), varint(5), [0x0a, 0x10, 1, 2, 3]);
      await same(stored, rewrite(record, RECORD, v1.path, (fields) => [broken, ...fields.map((f) => f.raw)]), false, `broken member ${other} before ${member}`);
    }
  });

  it('unknown fields of any wire type anywhere in the state: both accept', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(records.length - 1), fc.nat(), fc.nat(), fc.constantFrom(...ALL_WIRES), fc.integer({ min: 12, max: 2000 }), fc.nat(), async (which, sitePick, positionPick, wire, no, seed) => {
        const stored = records[which]!;
        const record = stored.bytes;
        const sites = nestedSites(record, RECORD).filter((s) => IN_STATE.test(s.name));
        const site = sites[sitePick % sites.length]!;
        if (site.spec.schema[no] !== undefined) return;
        const position = positionPick % (site.fields.length + 1);
        await same(stored, applyInsertion(record, RECORD, { path: site.path, position, field: encodeField(no, wire, seed) }), true, `unknown ${site.name}/${no} as ${wire}`);
      }),
      { numRuns: 150 },
    );
  });
});
