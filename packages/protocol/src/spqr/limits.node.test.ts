// docs/LIMITS.md's SPQR table says what the code does: every number in it is read here
// from the constant its row names, and every constant listed here has a row. Node only:
// it reads the doc from disk.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../internal/protobuf.ts';
import { SELF_SESSION_MAX_JUMP } from '../session/pqxdh.ts';
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from '../session/session-state.ts';
import { EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH, KEY_SIZE, trimSize } from './chain.ts';
import { MAX_MESSAGE_BYTES, NUM_POLYS } from './erasure.ts';
import { CHUNK_BYTES, MAX_CHAIN_INDEX, MAX_CHUNK_INDEX, MAX_SAFE_EPOCH, MAX_VARINT_BYTES } from './message.ts';
import { CIPHERTEXT1_SIZE, ENCAPSULATION_KEY_SIZE } from './mlkem768.ts';
import { CT2_WITH_MAC, HEADER_WITH_MAC } from './states.ts';

const LIBSIGNAL_PARAMS = { maxJump: MAX_FORWARD_JUMPS, maxOooKeys: MAX_MESSAGE_KEYS };

/** Each row's code cell (up to its first " (") and the number the code has for it. */
const CODE: Record<string, number> = {
  '`MAX_FORWARD_JUMPS`': MAX_FORWARD_JUMPS,
  '`SELF_SESSION_MAX_JUMP`': SELF_SESSION_MAX_JUMP,
  '`MAX_MESSAGE_KEYS`': MAX_MESSAGE_KEYS,
  '`trimSize`': trimSize(LIBSIGNAL_PARAMS),
  '`KEY_SIZE`': KEY_SIZE,
  '`trimSize` × `KEY_SIZE`': trimSize(LIBSIGNAL_PARAMS) * KEY_SIZE,
  '`EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH`': EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH,
  '`CHUNK_BYTES`': CHUNK_BYTES,
  '`MAX_CHUNK_INDEX`': MAX_CHUNK_INDEX,
  '`MAX_CHAIN_INDEX`': MAX_CHAIN_INDEX,
  '`MAX_VARINT_BYTES`': MAX_VARINT_BYTES,
  '`MAX_SAFE_EPOCH`': MAX_SAFE_EPOCH,
  '`NUM_POLYS`': NUM_POLYS,
  '`MAX_MESSAGE_BYTES`': MAX_MESSAGE_BYTES,
  '`HEADER_WITH_MAC`': HEADER_WITH_MAC,
  '`ENCAPSULATION_KEY_SIZE`': ENCAPSULATION_KEY_SIZE,
  '`CIPHERTEXT1_SIZE`': CIPHERTEXT1_SIZE,
  '`CT2_WITH_MAC`': CT2_WITH_MAC,
  '`MAX_DEPTH`': MAX_DEPTH,
};

interface Row {
  readonly limit: string;
  readonly value: string;
  readonly code: string;
}

/** The rows of the table under "## Post-quantum ratchet (SPQR)". */
function spqrRows(doc: string): Row[] {
  const section = doc.split('\n## ').find((s) => s.startsWith('Post-quantum ratchet (SPQR)'));
  if (!section) throw new Error('docs/LIMITS.md has no "## Post-quantum ratchet (SPQR)" section');
  return section
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| limit |') && !l.startsWith('| ---'))
    .map((l) => {
      const cells = l.split(' | ').map((c) => c.replace(/^\| /, '').trim());
      return { limit: cells[0]!, value: cells[1]!, code: cells[2]!.split(' (')[0]!.trim() };
    });
}

const number = (text: string): number => Number(/\d[\d,]*/.exec(text)![0].replaceAll(',', ''));

describe('docs/LIMITS.md: the SPQR limits are the code', () => {
  const doc = readFileSync(new URL('../../../../docs/LIMITS.md', import.meta.url), 'utf8');
  const rows = spqrRows(doc);

  it('every row names a constant, and its number is the constant', () => {
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(CODE, `row "${row.limit}" names ${row.code}, which this test does not know`).toHaveProperty([row.code]);
      expect(number(row.value), `row "${row.limit}"`).toBe(CODE[row.code]);
      // A size given in chunks too: the chunk count follows from the size.
      const chunks = /\((\d+) chunks\)/.exec(row.value);
      if (chunks) expect(Number(chunks[1]), `row "${row.limit}"`).toBe(Math.ceil(CODE[row.code]! / CHUNK_BYTES));
    }
  });

  it('every constant has its row', () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(CODE).sort());
  });

  it("libsignal's values, as spqr's own defaults and libsignal's spqr_chain_params set them", () => {
    // Written out from spqr 1.5.3 chain.rs / encoding and libsignal's ratchet.rs, not from Parley's code.
    expect([MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, trimSize(LIBSIGNAL_PARAMS), KEY_SIZE, EPOCHS_TO_KEEP_PRIOR_TO_SEND_EPOCH]).toEqual([25_000, 2_000, 2_201, 36, 1]);
    expect([SELF_SESSION_MAX_JUMP, CHUNK_BYTES, MAX_CHUNK_INDEX, NUM_POLYS, MAX_MESSAGE_BYTES]).toEqual([2 ** 32 - 1, 32, 2 ** 16 - 1, 16, 2 ** 16 * 16]);
    expect([HEADER_WITH_MAC, ENCAPSULATION_KEY_SIZE, CIPHERTEXT1_SIZE, CT2_WITH_MAC]).toEqual([64 + 32, 1152, 960, 128 + 32]);
    // Stored 0 means the default, as in spqr.
    expect(trimSize({ maxJump: 0, maxOooKeys: 0 })).toBe(2_201);
  });
});
