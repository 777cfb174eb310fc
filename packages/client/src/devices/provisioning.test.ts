// Link codes and the provisioning cipher: codes round-trip however they are typed;
// only the device that showed the code can open what is sent for it; a server that
// swaps in its own key, or alters a byte, gets a typed LINK_FAILED and nothing else.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PrivateKey } from '@parley/protocol';
import { ClientError } from '../errors.ts';
import { decryptProvisioning, encryptProvisioning, formatLinkCode, linkQrPayload, newSecret, parseLinkCode } from './provisioning.ts';

const code = { channelId: 'abcdefghjk', secret: newSecret() };

describe('link codes', () => {
  it('round-trip as shown, in capitals, with spaces, and from the QR payload', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-km-np-z2-9]{10}$/), (channelId) => {
        const c = { channelId, secret: newSecret() };
        const shown = formatLinkCode(c);
        expect(parseLinkCode(shown)).toEqual(c);
        expect(parseLinkCode(shown.toUpperCase().replace(/-/g, ' '))).toEqual(c);
        expect(parseLinkCode(linkQrPayload(c))).toEqual(c);
      }),
    );
  });

  it('anything else is INVALID_LINK_CODE', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        try {
          parseLinkCode(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ClientError);
          expect((e as ClientError).code).toBe('INVALID_LINK_CODE');
        }
      }),
    );
    for (const bad of ['', 'abcd', `${formatLinkCode(code)}x`, formatLinkCode(code).replace(/.$/, '0'), formatLinkCode(code).replace(/^./, 'l')]) {
      expect(() => parseLinkCode(bad)).toThrow(ClientError);
    }
  });
});

describe('provisioning cipher', () => {
  const plaintext = new TextEncoder().encode('{"identity":"secret"}');

  it('opens only with the new device key and the code it showed', () => {
    const device = PrivateKey.generate();
    const sealed = encryptProvisioning(device.publicKey(), code, plaintext);
    expect(decryptProvisioning(device, code, sealed)).toEqual(plaintext);
    // Another secret (a guessed or half-read code), or another key (a server in the middle).
    expect(() => decryptProvisioning(device, { ...code, secret: newSecret() }, sealed)).toThrow(/LINK_FAILED|could not be opened/);
    expect(() => decryptProvisioning(PrivateKey.generate(), code, sealed)).toThrow(ClientError);
    expect(() => decryptProvisioning(device, { ...code, channelId: 'bcdefghjkm' }, sealed)).toThrow(ClientError);
  });

  it('a server that substitutes its own key can agree keys but not open the message without the secret', () => {
    const device = PrivateKey.generate();
    const server = PrivateKey.generate();
    // The existing device is tricked into encrypting to the server's key...
    const sealed = encryptProvisioning(server.publicKey(), code, plaintext);
    // ...but the server does not know the secret in the code.
    expect(() => decryptProvisioning(server, { ...code, secret: newSecret() }, sealed)).toThrow(ClientError);
    expect(() => decryptProvisioning(device, code, sealed)).toThrow(ClientError);
  });

  it('any altered, truncated or random message is LINK_FAILED, never another error', () => {
    const device = PrivateKey.generate();
    const sealed = encryptProvisioning(device.publicKey(), code, plaintext);
    fc.assert(
      fc.property(fc.nat(sealed.length * 8 - 1), fc.uint8Array({ maxLength: 200 }), fc.nat(sealed.length - 1), (bit, random, cut) => {
        const flipped = sealed.slice();
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        for (const input of [flipped, random, sealed.subarray(0, cut)]) {
          try {
            decryptProvisioning(device, code, input);
            throw new Error('opened');
          } catch (e) {
            expect(e).toBeInstanceOf(ClientError);
            expect((e as ClientError).code).toBe('LINK_FAILED');
          }
        }
      }),
      { numRuns: 300 },
    );
    // Every single-bit change, the sender's key's ignored top bit included.
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const flipped = sealed.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      expect(() => decryptProvisioning(device, code, flipped), `bit ${bit}`).toThrow(ClientError);
    }
  });
});
