// The notice decoders take bytes from the server (and the operator's file): any JSON
// value, valid or mutated, either decodes or is a typed BAD_REQUEST; nothing else.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { WireError } from '../errors.ts';
import { noticePayload, noticesFile, noticesResponse } from './notices.ts';

const valid = {
  payload: { v: 1, id: 'fix-1', issuedAt: 1, expiresAt: 2, to: ['*', 'alice'], title: 't', body: 'b', minVersion: '0.2.0' },
  response: { disabledFeatures: ['calls'], notices: [{ payload: 'AAEC', signature: 'A'.repeat(86) + '==' }], publicKey: 'A'.repeat(43) + '=' },
};

function typedOrOk(decode: (v: unknown, p: string) => unknown, v: unknown): void {
  try {
    decode(v, '');
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    expect((e as WireError).code).toBe('BAD_REQUEST');
  }
}

describe('notice decoders', () => {
  it('accept the valid forms', () => {
    expect(noticePayload(valid.payload, '').id).toBe('fix-1');
    expect(noticesResponse(valid.response, '').notices).toHaveLength(1);
  });

  it('any JSON value is decoded or refused with BAD_REQUEST', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        typedOrOk(noticePayload, v);
        typedOrOk(noticesResponse, v);
        typedOrOk(noticesFile, v);
      }),
      { numRuns: 500 },
    );
  });

  it('a valid payload with one field replaced by any value, or an unknown key added, is decoded or refused with BAD_REQUEST', () => {
    const keys = [...Object.keys(valid.payload), '__proto__', 'constructor', 'extra'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue(), (k, v) => {
        const mutated = JSON.parse(JSON.stringify({ ...valid.payload, [k]: v })) as unknown;
        typedOrOk(noticePayload, mutated);
        if (['__proto__', 'constructor', 'extra'].includes(k)) expect(() => noticePayload(JSON.parse(`{"v":1,"id":"a","issuedAt":1,"expiresAt":2,"to":["*"],"title":"t","body":"b",${JSON.stringify(k)}:1}`), '')).toThrow(WireError);
      }),
      { numRuns: 300 },
    );
  });
});
