import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Decode, base64Encode, decodeJson } from './decode.ts';
import { WireError } from './errors.ts';
import { LIMITS } from './limits.ts';
import { checkClientVersion } from './version.ts';
import { clientFrame, registerRequest, sendRequest, serverFrame, uploadKeysRequest, username } from './schemas/index.ts';

describe('wire decoders', () => {
  it('base64 matches the platform encoder and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = base64Encode(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(base64Decode(s)).toEqual(b);
      }),
    );
  });

  it('accept a valid send request and reject unknown fields, bad sizes and types with BAD_REQUEST', () => {
    const ok = { timestamp: 1, messages: [{ deviceId: 1, registrationId: 5, type: 'whisper', content: 'AAAA' }] };
    expect(decodeJson(JSON.stringify(ok), sendRequest, 1e6).messages[0]!.content).toEqual(new Uint8Array(3));
    for (const bad of [
      { ...ok, extra: 1 },
      { ...ok, messages: [] },
      { ...ok, messages: [{ ...ok.messages[0], type: 'plaintext' }] },
      { ...ok, messages: [{ ...ok.messages[0], content: 'not base64!' }] },
      { ...ok, timestamp: -1 },
      [],
      null,
    ]) {
      expect(() => decodeJson(JSON.stringify(bad), sendRequest, 1e6)).toThrow(WireError);
    }
    expect(() => decodeJson('{', sendRequest, 1e6)).toThrow(WireError);
    try {
      decodeJson('x'.repeat(100), sendRequest, 10);
    } catch (e) {
      expect((e as WireError).code).toBe('PAYLOAD_TOO_LARGE');
    }
  });

  it('socket sends and their answers decode strictly', () => {
    const request = { timestamp: 1, messages: [{ deviceId: 1, registrationId: 5, type: 'whisper', content: 'AAAA' }] };
    const send = decodeJson(JSON.stringify({ type: 'send', requestId: 3, to: 'bob', request }), clientFrame, 1e6);
    expect(send).toMatchObject({ type: 'send', requestId: 3, to: 'bob' });
    for (const bad of [
      { type: 'send', requestId: 0, to: 'bob', request },
      { type: 'send', requestId: 3, to: 'b'.repeat(65), request },
      { type: 'send', requestId: 3, to: 'bob', request: { ...request, messages: [] } },
      { type: 'send', requestId: 3, to: 'bob', request, extra: true },
    ]) {
      expect(() => decodeJson(JSON.stringify(bad), clientFrame, 1e6)).toThrow(WireError);
    }
    expect(decodeJson('{"type":"sent","requestId":3,"serverTimestamp":9}', serverFrame, 1e6)).toEqual({ type: 'sent', requestId: 3, serverTimestamp: 9 });
    const failed = decodeJson('{"type":"send-failed","requestId":3,"code":"STALE_DEVICES","message":"m","staleDevices":[2]}', serverFrame, 1e6);
    expect(failed).toEqual({ type: 'send-failed', requestId: 3, code: 'STALE_DEVICES', message: 'm', staleDevices: [2] });
    expect(() => decodeJson('{"type":"send-failed","requestId":3,"code":"X","message":"m","sdp":"v=0"}', serverFrame, 1e6)).toThrow(WireError);
    expect(() => decodeJson('{"type":"sent","requestId":-1,"serverTimestamp":9}', serverFrame, 1e6)).toThrow(WireError);
    // Near-valid frames: one field replaced by arbitrary JSON gives a frame or a WireError, nothing else.
    const valid = { type: 'send', requestId: 3, to: 'bob', request };
    const answers = [{ type: 'sent', requestId: 3, serverTimestamp: 9 }, { type: 'send-failed', requestId: 3, code: 'X', message: 'm' }];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.constantFrom('type', 'requestId', 'to', 'request', 'serverTimestamp', 'code', 'message', 'missingDevices'), fc.jsonValue(), (which, key, v) => {
        const [decoder, base] = which === 0 ? [clientFrame, valid] : [serverFrame, answers[which - 1]!];
        try {
          decoder({ ...base, [key]: v }, '');
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('acks name one id (the earlier form) or a list of them, and decode to the list', () => {
    const ack = (v: unknown) => decodeJson(JSON.stringify(v), clientFrame, 1e6);
    expect(ack({ type: 'ack', id: 7 })).toEqual({ type: 'ack', ids: [7] });
    expect(ack({ type: 'ack', ids: [7, 9, 8] })).toEqual({ type: 'ack', ids: [7, 9, 8] });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: LIMITS.maxUnackedEnvelopes }), (ids) => {
        expect(ack({ type: 'ack', ids })).toEqual({ type: 'ack', ids });
      }),
      { numRuns: 200 },
    );
    for (const bad of [
      { type: 'ack', ids: [] },
      { type: 'ack', ids: Array.from({ length: LIMITS.maxUnackedEnvelopes + 1 }, (_, i) => i + 1) },
      { type: 'ack', ids: [1, 0] },
      { type: 'ack', ids: [1.5] },
      { type: 'ack', ids: 3 },
      { type: 'ack', id: 3, ids: [3] },
      { type: 'ack' },
      { type: 'ack', id: [3] },
    ]) {
      expect(() => ack(bad)).toThrow(WireError);
    }
    // Anything in place of the list gives a frame or a WireError, nothing else.
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (v, single) => {
        try {
          clientFrame({ type: 'ack', [single ? 'id' : 'ids']: v }, '');
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('usernames follow the documented rules', () => {
    for (const good of ['alice', 'bob_2', 'a12']) expect(username(good, 'u')).toBe(good);
    for (const bad of ['Al', 'ab', '1abc', 'alice!', 'x'.repeat(33), 'Alice']) expect(() => username(bad, 'u')).toThrow(WireError);
  });

  it('version check answers UPGRADE_REQUIRED with the required version', () => {
    expect(() => checkClientVersion('0.1.0', '0.1.0')).not.toThrow();
    try {
      checkClientVersion('0.3.0', '0.5.0');
      throw new Error('no error');
    } catch (e) {
      expect((e as WireError).code).toBe('UPGRADE_REQUIRED');
      expect((e as WireError).describe()).toBe('UPGRADE_REQUIRED: this client is 0.3.0; the server needs 0.5.0 or newer - update Parley');
    }
    expect(() => checkClientVersion(undefined, '0.1.0')).toThrow(WireError);
  });

  it('every decoder throws only WireError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        for (const d of [registerRequest, sendRequest, uploadKeysRequest, clientFrame, serverFrame]) {
          try {
            d(v, '');
          } catch (e) {
            expect(e).toBeInstanceOf(WireError);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
