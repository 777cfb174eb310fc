import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64Decode, base64Encode, decodeJson } from './decode.ts';
import { WireError } from './errors.ts';
import { checkClientVersion } from './version.ts';
import { clientFrame, registerRequest, sendRequest, serverFrame, uploadKeysRequest, username } from './schemas.ts';

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
