// Every decoder of untrusted (or stored) bytes rejects a field whose wire type
// differs from the schema's, wherever that field occurs: before, between or after
// the real occurrences, at every nesting level, as libsignal (prost) does. Driven
// only through the public exports. Runs in Node and in headless Chromium; the
// interop twin checks that libsignal 0.90 rejects the same bytes.
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ALL_WIRES, applyInsertion, encodeField, wireOf, wrongWireCases, nestedSites, type Wire } from './test-support/proto-mutation.ts';
import { buildKinds, type Kind } from './test-support/wire-kinds.ts';

let kinds: Kind[];
beforeAll(async () => {
  kinds = (await buildKinds()).kinds;
});

function expectTypedRejection(kind: Kind, bytes: Uint8Array, what: string): void {
  let threw: unknown;
  try {
    kind.decode(bytes);
  } catch (e) {
    threw = e;
  }
  if (threw === undefined) expect.fail(`${kind.name}: ${what} was accepted`);
  expect(threw, `${kind.name}: ${what}`).toBeInstanceOf(kind.error);
  // The rejection is for the wire type, not for some other flaw the probe happened to cause.
  expect((threw as Error).message, `${kind.name}: ${what}`).toMatch(/wire type/);
}

const KIND_NAMES = [
  'SignalMessage',
  'PreKeySignalMessage',
  'SenderKeyMessage',
  'SenderKeyDistributionMessage',
  'sealed sender v1',
  'UnidentifiedSenderMessageContent',
  'SenderCertificate',
  'ServerCertificate',
  'ScannableFingerprint',
  'SessionRecord (new session)',
  'SessionRecord (skipped keys)',
  'SenderKeyRecord (own)',
  'SenderKeyRecord (received)',
  'PreKeyRecord',
  'SignedPreKeyRecord',
  'KyberPreKeyRecord',
  'IdentityKeyPair',
] as const;

describe('a field with the wrong wire type is rejected at every occurrence', () => {
  it('covers every kind the package decodes', () => {
    expect(kinds.map((k) => k.name).sort()).toEqual([...KIND_NAMES].sort());
  });

  for (const name of KIND_NAMES) {
    it(`${name}: every field, every other wire type, every position, every nested message`, () => {
      const kind = kinds.find((k) => k.name === name)!;
      expect(() => kind.decode(kind.bytes)).not.toThrow();
      const cases = wrongWireCases(kind.bytes, kind.spec);
      expect(cases.length).toBeGreaterThan(0);
      // Exhaustive with one value per wire type, then random values, sites and positions.
      for (const c of cases) {
        expectTypedRejection(kind, applyInsertion(kind.bytes, kind.spec, c), `field ${c.site}/${c.no} as wire type ${c.wire} at ${c.position}`);
      }
      const sites = nestedSites(kind.bytes, kind.spec);
      fc.assert(
        fc.property(
          fc.nat({ max: sites.length - 1 }),
          fc.nat(),
          fc.nat(),
          fc.nat({ max: 1 << 20 }),
          (siteIndex, fieldPick, positionPick, seed) => {
            const site = sites[siteIndex]!;
            const numbers = Object.keys(site.spec.schema).map(Number);
            const no = numbers[fieldPick % numbers.length]!;
            const wrong = ALL_WIRES.filter((w) => w !== wireOf(site.spec.schema[no]!));
            const wire = wrong[seed % wrong.length] as Wire;
            const position = positionPick % (site.fields.length + 1);
            const bytes = applyInsertion(kind.bytes, kind.spec, { path: site.path, position, field: encodeField(no, wire, seed) });
            expectTypedRejection(kind, bytes, `field ${site.name}/${no} as wire type ${wire} at ${position} (seed ${seed})`);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
