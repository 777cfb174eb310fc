// `unseal`, the one decoder of sealed envelope bytes: what it accepts (a seal for us,
// a certificate that chains to the trust root and was valid when the server took
// the message, a valid sender other than this device, a 1:1 message) and that
// anything else, mutated or random, is a typed SEALED_SENDER_REJECTED.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IdentityKeyPair, PrivateKey, sealedSenderEncrypt, SenderCertificate, ServerCertificate, UnidentifiedSenderMessageContent, type SealedContentType } from '@parley/protocol';
import { ClientError } from '../errors.ts';
import { unseal } from './receive.ts';

const ALICE = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
const BOB = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const NOW = 1_800_000_000_000;
const root = PrivateKey.generate();
const serverKey = PrivateKey.generate();
const signer = ServerCertificate.create(7, serverKey.publicKey(), root);
const alice = IdentityKeyPair.generate();
const bob = IdentityKeyPair.generate();
const bobMe = { accountId: BOB, deviceId: 1 };

function certificate(over: Partial<{ uuid: string; username: string | null; expiration: number; signedBy: PrivateKey; signer: ServerCertificate }> = {}): SenderCertificate {
  return SenderCertificate.create({
    senderUuid: over.uuid ?? ALICE,
    senderE164: over.username === undefined ? 'alice' : over.username,
    senderDeviceId: 2,
    identityKey: alice.publicKey,
    expiration: over.expiration ?? NOW + 86_400_000,
    signer: over.signer ?? signer,
    signerKey: over.signedBy ?? serverKey,
  });
}

function sealed(cert = certificate(), type: SealedContentType = 'whisper', to = bob): Uint8Array {
  return sealedSenderEncrypt(UnidentifiedSenderMessageContent.create(type, cert, new Uint8Array([1, 2, 3])), to.publicKey, alice);
}

const rejected = (f: () => unknown, why: RegExp) => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ClientError);
  expect(caught).toMatchObject({ code: 'SEALED_SENDER_REJECTED', message: expect.stringMatching(why) });
};

describe('unseal', () => {
  it('opens a seal for us into its sender, type and inner message', () => {
    const u = unseal(sealed(), bob, root.publicKey(), NOW, bobMe);
    expect(u).toMatchObject({ senderAccountId: ALICE, senderUsername: 'alice', senderDeviceId: 2, type: 'whisper', contents: new Uint8Array([1, 2, 3]) });
    expect(u.identityKey.equals(alice.publicKey)).toBe(true);
  });

  it('refuses untrusted roots, forged and expired certificates, senders it cannot name, itself, and group content', () => {
    const otherRoot = PrivateKey.generate();
    rejected(() => unseal(sealed(), bob, otherRoot.publicKey(), NOW, bobMe), /forged|untrusted/);
    // Signed by a key the server certificate does not name.
    rejected(() => unseal(sealed(certificate({ signedBy: PrivateKey.generate() })), bob, root.publicKey(), NOW, bobMe), /forged/);
    // A server certificate from another root.
    const rogue = PrivateKey.generate();
    rejected(() => unseal(sealed(certificate({ signer: ServerCertificate.create(7, serverKey.publicKey(), rogue) })), bob, root.publicKey(), NOW, bobMe), /untrusted/);
    // The revoked key id libsignal refuses.
    rejected(() => unseal(sealed(certificate({ signer: ServerCertificate.create(0xdeadc357, serverKey.publicKey(), root) })), bob, root.publicKey(), NOW, bobMe), /revoked/);
    rejected(() => unseal(sealed(certificate({ expiration: NOW - 1 })), bob, root.publicKey(), NOW, bobMe), /expired/);
    rejected(() => unseal(sealed(certificate({ username: null })), bob, root.publicKey(), NOW, bobMe), /no valid account/);
    rejected(() => unseal(sealed(certificate({ uuid: 'alice' })), bob, root.publicKey(), NOW, bobMe), /no valid account/);
    rejected(() => unseal(sealed(), bob, root.publicKey(), NOW, { accountId: ALICE, deviceId: 2 }), /this very device/);
    rejected(() => unseal(sealed(certificate(), 'sender-key'), bob, root.publicKey(), NOW, bobMe), /sender-key/);
    // Sealed for someone else.
    rejected(() => unseal(sealed(certificate(), 'whisper', IdentityKeyPair.generate()), bob, root.publicKey(), NOW, bobMe), /sealed sender/);
  });

  it('property: mutated, truncated or random bytes are opened or refused with SEALED_SENDER_REJECTED, nothing else', () => {
    const good = sealed();
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const b = good.slice();
        b[i]! ^= x;
        return b;
      }),
      fc.nat(good.length).map((n) => good.subarray(0, n)),
    );
    fc.assert(
      fc.property(mutated, (b) => {
        try {
          unseal(b, bob, root.publicKey(), NOW, bobMe);
        } catch (e) {
          expect(e).toBeInstanceOf(ClientError);
          expect((e as ClientError).code).toBe('SEALED_SENDER_REJECTED');
        }
      }),
      { numRuns: 500 },
    );
  });
});
