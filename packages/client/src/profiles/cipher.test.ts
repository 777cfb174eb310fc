// The profile cipher: names and pictures round-trip under their key; a sealed name
// is one of two lengths whatever the name; the version is a function of the key
// only; and anything a hostile contact or server can put in front of the decoders
// (other keys, altered bytes, random bytes, invalid plaintexts) is PROFILE_UNREADABLE
// or INVALID_PROFILE, never a garbage name and never another error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../errors.ts';
import { seal } from '../internal/seal.ts';
import { decryptAvatar, decryptProfileName, encryptAvatar, encryptProfileName, MAX_PROFILE_NAME_LENGTH, nameProblem, profileVersion } from './cipher.ts';

const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const validName = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.trim()).filter((s) => nameProblem(s) === undefined);

function typed(f: () => unknown, ...codes: string[]): unknown {
  try {
    return f();
  } catch (e) {
    expect(e).toBeInstanceOf(ClientError);
    expect(codes).toContain((e as ClientError).code);
    return e;
  }
}

/** Must throw, with exactly this code. */
function refuses(f: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ClientError);
  expect((thrown as ClientError).code).toBe(code);
}

describe('profile cipher', () => {
  it('names round-trip, sealed to 81 or 285 bytes whatever their length', () => {
    fc.assert(
      fc.property(key, validName, (k, name) => {
        const sealed = encryptProfileName(k, name);
        expect([12 + 53 + 16, 12 + 257 + 16]).toContain(sealed.length);
        expect(decryptProfileName(k, sealed, 'x')).toBe(name);
      }),
    );
    const k = new Uint8Array(32).fill(1);
    expect(encryptProfileName(k, 'Al').length).toBe(encryptProfileName(k, 'A'.repeat(53)).length);
    expect(encryptProfileName(k, 'A'.repeat(54)).length).toBe(285);
    // Sealed twice, never the same bytes (random nonce).
    expect(encryptProfileName(k, 'Al')).not.toEqual(encryptProfileName(k, 'Al'));
  });

  it('pictures round-trip; a name cannot pass for a picture or the reverse', () => {
    fc.assert(
      fc.property(key, fc.uint8Array({ maxLength: 2000 }), (k, rest) => {
        const picture = new Uint8Array([...PNG, ...rest]);
        expect(decryptAvatar(k, encryptAvatar(k, picture), 'x')).toEqual(picture);
      }),
    );
    const k = new Uint8Array(32).fill(2);
    refuses(() => decryptAvatar(k, encryptProfileName(k, 'Al'), 'x'), 'PROFILE_UNREADABLE');
    refuses(() => decryptProfileName(k, encryptAvatar(k, new Uint8Array(PNG)), 'x'), 'PROFILE_UNREADABLE');
  });

  it('another key, a flipped bit or random bytes: PROFILE_UNREADABLE only', () => {
    fc.assert(
      fc.property(key, key, validName, fc.nat(), fc.uint8Array({ maxLength: 400 }), (k1, k2, name, bit, random) => {
        const sealed = encryptProfileName(k1, name);
        if (Buffer.compare(k1, k2) !== 0) refuses(() => decryptProfileName(k2, sealed, 'x'), 'PROFILE_UNREADABLE');
        const flipped = sealed.slice();
        flipped[(bit >> 3) % flipped.length]! ^= 1 << (bit & 7);
        refuses(() => decryptProfileName(k1, flipped, 'x'), 'PROFILE_UNREADABLE');
        typed(() => decryptProfileName(k1, random, 'x'), 'PROFILE_UNREADABLE');
        typed(() => decryptAvatar(k1, random, 'x'), 'PROFILE_UNREADABLE');
      }),
    );
  });

  it('whatever a contact seals as a name: a valid name or PROFILE_UNREADABLE', () => {
    const aad = new TextEncoder().encode('Parley profile name v1');
    fc.assert(
      fc.property(key, fc.uint8Array({ maxLength: 300 }), (k, plaintext) => {
        const r = typed(() => decryptProfileName(k, seal(k, plaintext, aad), 'x'), 'PROFILE_UNREADABLE');
        if (typeof r === 'string') expect(nameProblem(r)).toBeUndefined();
      }),
    );
    // Unpadded, or hiding a text-direction override: refused.
    refuses(() => decryptProfileName(new Uint8Array(32), seal(new Uint8Array(32), new TextEncoder().encode('Mallory'), aad), 'x'), 'PROFILE_UNREADABLE');
    const evil = new Uint8Array(53);
    evil.set(new TextEncoder().encode('evil\u202eeman'));
    refuses(() => decryptProfileName(new Uint8Array(32), seal(new Uint8Array(32), evil, aad), 'x'), 'PROFILE_UNREADABLE');
  });

  it('refuses names and pictures it cannot set: INVALID_PROFILE, naming what to do', () => {
    const k = new Uint8Array(32);
    for (const bad of ['x'.repeat(MAX_PROFILE_NAME_LENGTH + 1), '🏔'.repeat(70), 'tab\there', ' padded', 'rtl\u202eoverride']) refuses(() => encryptProfileName(k, bad), 'INVALID_PROFILE');
    refuses(() => encryptAvatar(k, new Uint8Array()), 'INVALID_PROFILE');
    refuses(() => encryptAvatar(k, new TextEncoder().encode('<svg onload=alert(1)>')), 'INVALID_PROFILE');
    refuses(() => encryptAvatar(k, new Uint8Array(512 * 1024 + 1).fill(0xff)), 'INVALID_PROFILE');
  });

  it('the version depends on the key only: 64 hex characters, different keys apart', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(profileVersion(a)).toMatch(/^[0-9a-f]{64}$/);
        expect(profileVersion(a)).toBe(profileVersion(a.slice()));
        if (Buffer.compare(a, b) !== 0) expect(profileVersion(a)).not.toBe(profileVersion(b));
      }),
    );
  });
});
