// The browser's notice keeper: what it saves loads back (key bytes included); a
// damaged entry is an error that says what to do, never an empty list a server
// could use to pin a new key.
import { describe, expect, it } from 'vitest';
import { LocalStorageNoticeKeeper } from './notice-keeper.ts';

function storage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('LocalStorageNoticeKeeper', () => {
  it('keeps the pinned key and notices per profile', () => {
    const s = storage();
    const k = new LocalStorageNoticeKeeper(s, 'parley.notices.a');
    expect(k.load()).toEqual({ notices: [] });
    const kept = { publicKey: new Uint8Array(32).fill(7), notices: [{ id: 'n1', issuedAt: 1, expiresAt: 2, title: 't', body: 'b' }] };
    k.save(kept);
    expect(new LocalStorageNoticeKeeper(s, 'parley.notices.a').load()).toEqual(kept);
    expect(new LocalStorageNoticeKeeper(s, 'parley.notices.b').load()).toEqual({ notices: [] });
  });

  it('a damaged entry is an error naming the way out', () => {
    const s = storage();
    s.m.set('parley.notices.default', '{"notices": 5}');
    expect(() => new LocalStorageNoticeKeeper(s).load()).toThrow(/damaged.*clear this site's data/);
    s.m.set('parley.notices.default', 'not json');
    expect(() => new LocalStorageNoticeKeeper(s).load()).toThrow(/damaged/);
  });
});
