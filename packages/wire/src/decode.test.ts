// decodeJson's nesting bound: deeply nested JSON is refused before JSON.parse, whose
// time grows faster than the text (the fuzzer's inputs: 1 MiB bodies of 500,000 nested
// arrays took 0.7-1.8 s each, on POST /v1/accounts, a socket frame or a client answer).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeJson, nestedDeeperThan, type Decoder } from './decode.ts';
import { WireError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { clientFrame, createAttachmentRequest, registerRequest } from './schemas/index.ts';

function refused(f: () => unknown): WireError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return e as WireError;
  }
  throw new Error('accepted');
}

describe('decodeJson nesting bound', () => {
  it('refuses 1 MiB of nested arrays or objects quickly, with BAD_REQUEST (fuzz: server.create-attachment-request, server.websocket-frame, client.*-response)', () => {
    const bodies = [
      '['.repeat(500_000) + ']'.repeat(500_000),
      `{"type":{"type":"ack","id":-3},"id":${'['.repeat(499_980)}0${']'.repeat(499_980)}}`,
      '{"a":'.repeat(200_000) + '0' + '}'.repeat(200_000),
      '['.repeat(1_000_000), // unbalanced, as a truncated body
    ];
    for (const body of bodies) {
      const started = performance.now();
      for (const decoder of [createAttachmentRequest, registerRequest, clientFrame] as Decoder<unknown>[]) {
        // Unbounded length, as the server's readBody calls it (Fastify's bodyLimit bounds the length first).
        const e = refused(() => decodeJson(body, decoder, Number.POSITIVE_INFINITY));
        expect(e.code).toBe('BAD_REQUEST');
      }
      expect(performance.now() - started).toBeLessThan(500);
    }
  });

  it('counts brackets only outside strings', () => {
    expect(nestedDeeperThan(`{"s":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestedDeeperThan(`{"s":"\\"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestedDeeperThan(`{"s":"\\\\"${',['.repeat(3)}`, 2)).toBe(true);
    expect(nestedDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestedDeeperThan('[[[[]]]]', 3)).toBe(true);
  });

  it('agrees with the depth JSON.parse sees, for any JSON value', () => {
    const depth = (v: unknown): number => (typeof v === 'object' && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.nat({ max: 9 }), (v, max) => {
        expect(nestedDeeperThan(JSON.stringify(v), max)).toBe(depth(v) > max);
      }),
    );
  });

  it('still decodes a large body of normal depth (a 64 KiB message to 6 devices)', () => {
    const content = Buffer.alloc(LIMITS.maxMessageBytes, 7).toString('base64');
    const body = JSON.stringify({ type: 'send', requestId: 1, to: 'bob', request: { timestamp: 1, messages: [1, 2, 3, 4, 5, 6].map((deviceId) => ({ deviceId, registrationId: 5, type: 'whisper', content })) } });
    expect(decodeJson(body, clientFrame, LIMITS.maxClientFrameBytes).type).toBe('send');
  });
});
