// The profile schemas: a sealed name is exactly one of the padded lengths, a picture
// is bounded, the version is 64 hex characters, the access key 16 bytes; anything
// else (and any unknown field) is a WireError, never another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WireError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { profileResponse, setProfileRequest } from './profiles.ts';

const b64 = (n: number, fill = 1) => Buffer.alloc(n, fill).toString('base64');
const valid = { version: 'ab'.repeat(32), name: b64(81), accessKey: b64(16) };

describe('profile schemas', () => {
  it('accepts exactly the padded name lengths and a bounded picture', () => {
    expect(setProfileRequest(valid, '').name).toHaveLength(81);
    expect(setProfileRequest({ ...valid, name: b64(285) }, '').name).toHaveLength(285);
    expect(setProfileRequest({ ...valid, avatar: b64(LIMITS.maxProfileAvatarBytes + 28) }, '').avatar).toHaveLength(LIMITS.maxProfileAvatarBytes + 28);
    expect(profileResponse({ version: valid.version, name: valid.name }, '').avatar).toBeUndefined();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 }), (n) => {
        const ok = n === 81 || n === 285;
        if (ok) expect(setProfileRequest({ ...valid, name: b64(n) }, '').name).toHaveLength(n);
        else expect(() => setProfileRequest({ ...valid, name: b64(n) }, '')).toThrow(WireError);
      }),
    );
  });

  it('refuses anything else with a WireError', () => {
    const bad = [
      { ...valid, version: 'AB'.repeat(32) },
      { ...valid, version: 'ab'.repeat(31) },
      { ...valid, accessKey: b64(15) },
      { ...valid, avatar: b64(LIMITS.maxProfileAvatarBytes + 29) },
      { ...valid, avatar: b64(28) },
      { ...valid, extra: 1 },
      { name: valid.name, accessKey: valid.accessKey },
    ];
    for (const v of bad) expect(() => setProfileRequest(v, '')).toThrow(WireError);
    fc.assert(
      fc.property(fc.constantFrom('version', 'name', 'accessKey', 'avatar'), fc.jsonValue(), (k, v) => {
        try {
          setProfileRequest({ ...valid, [k]: v }, '');
          profileResponse({ version: valid.version, name: valid.name, [k === 'accessKey' ? 'avatar' : k]: v }, '');
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
