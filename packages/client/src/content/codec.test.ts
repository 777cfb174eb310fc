import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContentError, decodeContent, encodeContent, type Content } from './codec.ts';

describe('message content', () => {
  it('round-trips and pads to a multiple of 160 bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.uuid(), fc.nat(), (text, id, ts) => {
        const c: Content = { v: 1, kind: 'text', id, ts, text };
        const bytes = encodeContent(c);
        expect(bytes.length % 160).toBe(0);
        expect(decodeContent(bytes)).toEqual(c);
      }),
    );
    const r: Content = { v: 1, kind: 'receipt', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 5, receipt: 'read', ids: ['0f0e0d0c-0000-4000-8000-000000000001'] };
    expect(decodeContent(encodeContent(r))).toEqual(r);
  });

  it('short texts are indistinguishable by length', () => {
    const a = encodeContent({ v: 1, kind: 'text', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, text: 'ok' });
    const b = encodeContent({ v: 1, kind: 'text', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, text: 'a somewhat longer reply' });
    expect(a.length).toBe(b.length);
  });

  it('rejects random bytes, bit flips and extra fields with ContentError only', () => {
    const valid = encodeContent({ v: 1, kind: 'text', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, text: 'hello' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(valid.length * 8 - 1), (bytes, bit) => {
        const flipped = valid.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const input of [bytes, flipped]) {
          try {
            decodeContent(input);
          } catch (e) {
            expect(e).toBeInstanceOf(ContentError);
          }
        }
      }),
      { numRuns: 2000 },
    );
    const extra = new TextEncoder().encode(JSON.stringify({ v: 1, kind: 'text', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, text: 'x', html: '<img>' }));
    const padded = new Uint8Array(160);
    padded.set(extra);
    padded[extra.length] = 0x80;
    expect(() => decodeContent(padded)).toThrow(ContentError);
  });
});

describe('call messages', () => {
  const callId = '0123456789abcdef0123456789abcdef';
  it('round-trip every kind and reject anything outside the fixed schema', () => {
    const ok: Content[] = [
      { v: 1, kind: 'call', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, call: { type: 'ring', callId, media: 'video' } },
      { v: 1, kind: 'call', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, call: { type: 'hangup', callId } },
      { v: 1, kind: 'call', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, call: { type: 'offer', callId, sdp: 'v=0' } },
      { v: 1, kind: 'call', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, call: { type: 'ice', callId, candidate: 'candidate:1' } },
    ];
    for (const c of ok) expect(decodeContent(encodeContent(c))).toEqual(c);
    const bad = [
      { type: 'ring', callId, media: 'screen' },
      { type: 'ring', callId, media: 'audio', sdp: 'v=0 smuggled into a ring' },
      { type: 'ring', callId: 'short', media: 'audio' },
      { type: 'offer', callId, sdp: 'x'.repeat(16 * 1024 + 1) },
      { type: 'ice', callId, candidate: 'x'.repeat(1025) },
      { type: 'dial', callId },
    ];
    for (const call of bad) {
      const json = new TextEncoder().encode(JSON.stringify({ v: 1, kind: 'call', id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 1, call }));
      const padded = new Uint8Array(Math.ceil((json.length + 1) / 160) * 160);
      padded.set(json);
      padded[json.length] = 0x80;
      expect(() => decodeContent(padded)).toThrow(ContentError);
    }
  });
});

/** Pads raw JSON as the encoder would, to feed the decoder values the encoder never writes. */
function padJson(v: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(v));
  const padded = new Uint8Array(Math.ceil((json.length + 1) / 160) * 160);
  padded.set(json);
  padded[json.length] = 0x80;
  return padded;
}

describe('group, sync and retry content', () => {
  const head = { v: 1 as const, id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 7 };
  const A = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
  const G = '00112233445566778899aabbccddeeff';
  const valid: Content[] = [
    { ...head, kind: 'text', text: 'to the group', group: G },
    { ...head, kind: 'typing', typing: 'started', group: G },
    { ...head, kind: 'group-keys', group: G, masterKey: new Uint8Array(32).fill(1), distributionId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', distribution: new Uint8Array(150).fill(2) },
    { ...head, kind: 'sync', sync: { type: 'sent', to: `direct:${A}`, text: 'sent elsewhere' } },
    { ...head, kind: 'sync', sync: { type: 'sent', to: `group:${G}`, text: 'sent elsewhere' } },
    { ...head, kind: 'sync', sync: { type: 'read', read: [{ sender: A, id: head.id }] } },
    { ...head, kind: 'sync', sync: { type: 'delete-for-me', messages: [{ sender: A, id: head.id }] } },
    { ...head, kind: 'sync', sync: { type: 'contacts', contacts: [{ accountId: A, username: 'bob', accepted: true, blocked: false }] } },
    { ...head, kind: 'sync', sync: { type: 'groups', groups: [{ groupId: G, masterKey: new Uint8Array(32).fill(3) }] } },
    { ...head, kind: 'retry', timestamp: 99, group: G },
    { ...head, kind: 'retry', timestamp: 99 },
  ];

  it('every kind round-trips', () => {
    for (const c of valid) expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it('any field of any kind replaced by arbitrary JSON, or an extra field, is a ContentError or a valid content', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.string({ maxLength: 12 }), fc.jsonValue(), (c, key, value) => {
        const raw = JSON.parse(new TextDecoder().decode(encodeContent(c).subarray(0, encodeContent(c).indexOf(0x80)))) as Record<string, unknown>;
        const keys = Object.keys(raw);
        const target = keys.includes(key) ? key : fc.sample(fc.constantFrom(...keys), 1)[0]!;
        for (const mutated of [{ ...raw, [target]: value }, { ...raw, [`x${key}`]: value }]) {
          try {
            const out = decodeContent(padJson(mutated));
            // Accepted only if it is still a well-formed content of a known kind.
            expect(decodeContent(encodeContent(out))).toEqual(out);
          } catch (e) {
            expect(e).toBeInstanceOf(ContentError);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses what a malicious peer would try', () => {
    const bad = [
      { ...head, kind: 'group-keys', group: G, masterKey: Buffer.alloc(31).toString('base64'), distributionId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', distribution: 'AAAA' },
      { ...head, kind: 'sync', sync: { type: 'sent', to: 'bob', text: 'x' } },
      { ...head, kind: 'sync', sync: { type: 'read', read: Array.from({ length: 101 }, () => ({ sender: A, id: head.id })) } },
      { ...head, kind: 'sync', sync: { type: 'delete-for-me', messages: Array.from({ length: 101 }, () => ({ sender: A, id: head.id })) } },
      { ...head, kind: 'sync', sync: { type: 'delete-for-me', messages: [] } },
      { ...head, kind: 'sync', sync: { type: 'delete-for-me', messages: [{ sender: 'not-an-account', id: head.id }] } },
      { ...head, kind: 'sync', sync: { type: 'wipe' } },
      { ...head, kind: 'text', text: 'x', group: 'not-a-group' },
      { ...head, kind: 'retry', timestamp: -1 },
      { ...head, kind: '__proto__', text: 'x' },
    ];
    for (const v of bad) expect(() => decodeContent(padJson(v))).toThrow(ContentError);
    // Keys named like Object.prototype members are unknown fields, not inherited ones.
    for (const k of ['__proto__', 'constructor', 'toString']) {
      const json = `{"v":1,"kind":"text","id":"0f0e0d0c-0000","ts":1,"text":"x","${k}":{"admin":true}}`;
      expect(() => decodeContent(padJson(JSON.parse(json)))).toThrow(ContentError);
    }
  });
});

describe('attachment pointers', () => {
  const head = { v: 1 as const, id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 7 };
  const pointer = {
    id: 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9',
    key: new Uint8Array(64).fill(1),
    digest: new Uint8Array(32).fill(2),
    size: 5_000_000,
    contentType: 'image/jpeg',
    fileName: 'Bergtour 2024 – Gipfel.jpg',
    width: 4000,
    height: 3000,
    thumbnail: new Uint8Array(900).fill(3),
  };
  const withFile: Content[] = [
    { ...head, kind: 'text', text: 'the summit', attachment: pointer },
    { ...head, kind: 'text', text: '', attachment: { id: pointer.id, key: pointer.key, digest: pointer.digest, size: 0, contentType: 'application/octet-stream' } },
    { ...head, kind: 'text', text: '', group: '00112233445566778899aabbccddeeff', attachment: { ...pointer, contentType: 'audio/ogg', durationMs: 12_000, voiceNote: true } },
    { ...head, kind: 'sync', sync: { type: 'sent', to: 'direct:0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c', text: '', attachment: pointer } },
  ];

  it('round-trip inside text and sent-sync content, and fit in one message with a thumbnail and a long caption', () => {
    for (const c of withFile) expect(decodeContent(encodeContent(c))).toEqual(c);
    const long: Content = { ...head, kind: 'text', text: 'x'.repeat(16 * 1024), attachment: { ...pointer, fileName: 'n'.repeat(255), thumbnail: new Uint8Array(4096) } };
    expect(decodeContent(encodeContent(long))).toEqual(long);
  });

  it('refuse keys, digests, sizes, types, names and thumbnails outside their bounds', () => {
    const b64 = (n: number) => Buffer.alloc(n, 1).toString('base64');
    const base = { ...pointer, key: b64(64), digest: b64(32), thumbnail: b64(10) };
    const bad: Array<Record<string, unknown>> = [
      { key: b64(32) },
      { key: b64(65) },
      { digest: b64(31) },
      { id: '../../../../etc/passwd/aaaaaaaaa' },
      { id: 'short' },
      { size: -1 },
      { size: 2 ** 31 + 1 },
      { size: 1.5 },
      { contentType: 'image/JPEG' },
      { contentType: 'text/html; charset=utf-8' },
      { contentType: 'image' },
      { contentType: '' },
      { fileName: '' },
      { fileName: 'n'.repeat(256) },
      { width: 0 },
      { height: 70_000 },
      { durationMs: 25 * 3600_000 },
      { voiceNote: 'yes' },
      { thumbnail: b64(4097) },
      { url: 'https://evil.example/x.jpg' },
    ];
    for (const change of bad) {
      expect(() => decodeContent(padJson({ ...head, kind: 'text', text: '', attachment: { ...base, ...change } })), JSON.stringify(change)).toThrow(ContentError);
    }
  });

  it('property: any pointer field replaced by arbitrary JSON is a ContentError or a pointer that encodes back the same', () => {
    const raw = JSON.parse(new TextDecoder().decode(encodeContent(withFile[0]!).subarray(0, encodeContent(withFile[0]!).lastIndexOf(0x80)))) as { attachment: Record<string, unknown> };
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(raw.attachment), 'extra'), fc.jsonValue(), (key, value) => {
        try {
          const out = decodeContent(padJson({ ...raw, attachment: { ...raw.attachment, [key]: value } }));
          expect(decodeContent(encodeContent(out))).toEqual(out);
        } catch (e) {
          expect(e).toBeInstanceOf(ContentError);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('replies, reactions, edits, deletes and disappearing timers', () => {
  const head = { v: 1 as const, id: '0f0e0d0c-0000-4000-8000-000000000000', ts: 7 };
  const A = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
  const G = '00112233445566778899aabbccddeeff';
  const target = { author: A, id: '1f0e0d0c-0000-4000-8000-000000000001' };
  const valid: Content[] = [
    { ...head, kind: 'text', text: 'yes!', quote: { id: target.id, author: A, text: 'shall we climb on Saturday?' } },
    { ...head, kind: 'text', text: 'in the group', group: G, quote: { id: target.id, author: A, text: '' } },
    { ...head, kind: 'sync', sync: { type: 'sent', to: `direct:${A}`, text: 'a reply sent elsewhere', quote: { id: target.id, author: A, text: 'q'.repeat(200) } } },
    { ...head, kind: 'reaction', target, emoji: '👍' },
    { ...head, kind: 'reaction', target, emoji: '👍🏽' },
    { ...head, kind: 'reaction', target, emoji: '👩‍👩‍👧‍👦' },
    { ...head, kind: 'reaction', target, emoji: '🇩🇪' },
    { ...head, kind: 'reaction', target, emoji: '❤️', remove: true, group: G },
    { ...head, kind: 'reaction', target, emoji: '😂', to: `direct:${A}` },
    { ...head, kind: 'edit', target: target.id, text: 'fixed the typo' },
    { ...head, kind: 'edit', target: target.id, text: 'in a group', group: G },
    { ...head, kind: 'delete', target: target.id },
    { ...head, kind: 'delete', target: target.id, group: G },
    { ...head, kind: 'delete', target: target.id, to: `direct:${A}` },
    { ...head, kind: 'timer', seconds: 3600 },
    { ...head, kind: 'sync', sync: { type: 'settings', readReceipts: false } },
    { ...head, kind: 'timer', seconds: 0, group: G },
    { ...head, kind: 'timer', seconds: 28 * 24 * 3600, to: `direct:${A}` },
    { ...head, kind: 'text', text: 'vanishing', expire: 30 },
    { ...head, kind: 'sync', sync: { type: 'sent', to: `direct:${A}`, text: 'vanishing elsewhere', expire: 604800 } },
  ];
  const raw = (c: Content) => {
    const b = encodeContent(c);
    return JSON.parse(new TextDecoder().decode(b.subarray(0, b.lastIndexOf(0x80)))) as Record<string, unknown>;
  };

  it('every new kind round-trips', () => {
    for (const c of valid) expect(decodeContent(encodeContent(c))).toEqual(c);
  });

  it('property: any field (top level, target or quote) replaced by arbitrary JSON, or an extra field, is a ContentError or a valid content', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.string({ maxLength: 12 }), fc.jsonValue(), fc.boolean(), (c, key, value, nested) => {
        const r = raw(c);
        const inner = nested ? (['target', 'quote'] as const).find((k) => typeof r[k] === 'object') : undefined;
        const mutate = (o: Record<string, unknown>) => {
          const keys = Object.keys(o);
          const k = keys.includes(key) ? key : fc.sample(fc.constantFrom(...keys), 1)[0]!;
          return [{ ...o, [k]: value }, { ...o, [`x${key}`]: value }];
        };
        const variants = inner ? mutate(r[inner] as Record<string, unknown>).map((x) => ({ ...r, [inner]: x })) : mutate(r);
        for (const mutated of variants) {
          try {
            const out = decodeContent(padJson(mutated));
            expect(decodeContent(encodeContent(out))).toEqual(out);
          } catch (e) {
            expect(e).toBeInstanceOf(ContentError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: a reaction is one emoji; any other string is refused with a ContentError', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 6 }), (s) => {
        const input = padJson({ ...head, kind: 'reaction', target, emoji: s });
        const ok = s.length <= 32 && /^(?=[\s\S]*[\p{Extended_Pictographic}\p{Regional_Indicator}])[\p{Extended_Pictographic}\p{Emoji_Component}\p{Emoji_Modifier}\u200d\ufe0f\u20e3]+$/u.test(s);
        if (ok) expect(decodeContent(input)).toMatchObject({ emoji: s });
        else expect(() => decodeContent(input)).toThrow(ContentError);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what a malicious peer would try', () => {
    const bad = [
      { ...head, kind: 'reaction', target, emoji: 'a' },
      { ...head, kind: 'reaction', target, emoji: '' },
      { ...head, kind: 'reaction', target, emoji: '<img src=x>' },
      { ...head, kind: 'reaction', target, emoji: '👍 ' },
      { ...head, kind: 'reaction', target, emoji: '👍'.repeat(17) },
      { ...head, kind: 'reaction', target: { author: 'bob', id: target.id }, emoji: '👍' },
      { ...head, kind: 'reaction', target: { ...target, extra: 1 }, emoji: '👍' },
      { ...head, kind: 'reaction', target, emoji: '👍', remove: 'yes' },
      { ...head, kind: 'reaction', target, emoji: '👍', to: 'bob' },
      { ...head, kind: 'edit', target: target.id, text: '' },
      { ...head, kind: 'edit', target: target.id, text: 'x'.repeat(16 * 1024 + 1) },
      { ...head, kind: 'edit', target: 'not an id!', text: 'x' },
      { ...head, kind: 'edit', text: 'x' },
      { ...head, kind: 'delete', target: target.id, text: 'smuggled' },
      { ...head, kind: 'delete', target: target.id, group: 'nope' },
      { ...head, kind: 'text', text: 'x', quote: { id: target.id, author: A, text: 'q'.repeat(201) } },
      { ...head, kind: 'text', text: 'x', quote: { id: target.id, author: A } },
      { ...head, kind: 'text', text: 'x', quote: { id: target.id, author: A, text: 'q', html: '<b>' } },
      { ...head, kind: 'text', text: 'x', quote: 'just a string' },
      { ...head, kind: 'timer', seconds: -1 },
      { ...head, kind: 'sync', sync: { type: 'settings', readReceipts: 'no' } },
      { ...head, kind: 'sync', sync: { type: 'settings' } },
      { ...head, kind: 'timer', seconds: 28 * 24 * 3600 + 1 },
      { ...head, kind: 'timer', seconds: 1.5 },
      { ...head, kind: 'timer', seconds: '60' },
      { ...head, kind: 'timer' },
      { ...head, kind: 'text', text: 'x', expire: 0 },
      { ...head, kind: 'text', text: 'x', expire: 10 ** 9 },
    ];
    for (const v of bad) expect(() => decodeContent(padJson(v)), JSON.stringify(v).slice(0, 120)).toThrow(ContentError);
  });
});
