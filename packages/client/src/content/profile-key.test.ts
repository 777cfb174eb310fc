// The profile-key content and the profile parts of sync messages: they round-trip,
// and the strict decoders refuse anything else (a key of the wrong size, extra or
// missing fields, wrong types) with ContentError only.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentError, decodeContent, encodeContent, type Content } from './codec.ts';

const id = '0f0e0d0c-0000-4000-8000-000000000000';
const ACCOUNT = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

function padJson(v: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(v));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / 160) * 160);
  padded.set(json);
  padded[json.length] = 0x80;
  return padded;
}

function refused(v: unknown): boolean {
  try {
    decodeContent(padJson(v));
    return false;
  } catch (e) {
    expect(e).toBeInstanceOf(ContentError);
    return true;
  }
}

describe('profile-key content', () => {
  it('round-trips any 32-byte key, and keys of every length pad alike', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(), (key, ts) => {
        const c: Content = { v: 1, kind: 'profile-key', id, ts, key };
        const bytes = encodeContent(c);
        expect(bytes.length).toBe(160);
        expect(decodeContent(bytes)).toEqual(c);
      }),
    );
  });

  it('refuses a wrong-sized or mistyped key, and extra or missing fields', () => {
    const valid = { v: 1, kind: 'profile-key', id, ts: 1, key: b64(new Uint8Array(32).fill(1)) };
    expect(refused(valid)).toBe(false);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).filter((b) => b.length !== 32).map(b64), fc.jsonValue().filter((v) => typeof v !== 'string')), (key) => {
        expect(refused({ ...valid, key })).toBe(true);
      }),
    );
    expect(refused({ ...valid, key: 'not base64!' })).toBe(true);
    expect(refused({ ...valid, name: 'Alice' })).toBe(true);
    const { key: _, ...noKey } = valid;
    expect(refused(noKey)).toBe(true);
  });
});

describe('profile parts of sync messages', () => {
  it('round-trip our key with its time, and contacts with the keys they shared', () => {
    const key = new Uint8Array(32).fill(7);
    const ours: Content = { v: 1, kind: 'sync', id, ts: 1, sync: { type: 'profile-key', key, createdAt: 1234 } };
    expect(decodeContent(encodeContent(ours))).toEqual(ours);
    const contacts: Content = {
      v: 1,
      kind: 'sync',
      id,
      ts: 1,
      sync: { type: 'contacts', contacts: [{ accountId: ACCOUNT, username: 'bob', accepted: true, blocked: false, profileKey: key }, { accountId: ACCOUNT, username: 'carol', accepted: false, blocked: true }] },
    };
    expect(decodeContent(encodeContent(contacts))).toEqual(contacts);
  });

  it('refuses a malformed key or time', () => {
    const sync = { type: 'profile-key', key: b64(new Uint8Array(32)), createdAt: 5 };
    const wrap = (s: unknown) => ({ v: 1, kind: 'sync', id, ts: 1, sync: s });
    expect(refused(wrap(sync))).toBe(false);
    for (const bad of [{ ...sync, key: b64(new Uint8Array(31)) }, { ...sync, createdAt: -1 }, { ...sync, createdAt: 1.5 }, { type: 'profile-key', key: sync.key }, { ...sync, name: 'x' }]) {
      expect(refused(wrap(bad))).toBe(true);
    }
    const contact = { accountId: ACCOUNT, username: 'bob', accepted: true, blocked: false, profileKey: b64(new Uint8Array(33)) };
    expect(refused(wrap({ type: 'contacts', contacts: [contact] }))).toBe(true);
  });

  it('a full contacts sync with every key still fits in one content', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ accountId: ACCOUNT, username: `user_${String(i).padStart(27, '0')}`, accepted: true, blocked: false, profileKey: new Uint8Array(32).fill(i) }));
    const c: Content = { v: 1, kind: 'sync', id, ts: 1, sync: { type: 'contacts', contacts: many } };
    expect(decodeContent(encodeContent(c))).toEqual(c);
  });
});
