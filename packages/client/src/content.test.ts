import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ContentError, decodeContent, encodeContent, type Content } from './content.ts';

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
