// `unseal`, the one decoder of sealed envelope bytes: what it accepts (a seal for us,
// v1 or our part of a v2 group send, a certificate that chains to the trust root and
// was valid when the server took the message, a valid sender other than this device,
// a 1:1 message without a group id or a Sender Key message with one) and that
// anything else, mutated or random, is a typed SEALED_SENDER_REJECTED.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IdentityKeyPair,
  PrivateKey,
  sealedSenderEncrypt,
  sealedSenderMultiRecipientSeal,
  SealedSenderMultiRecipientMessage,
  SenderCertificate,
  ServerCertificate,
  UnidentifiedSenderMessageContent,
  type SealedContentType,
} from '@parley/protocol';
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

function sealed(cert = certificate(), type: SealedContentType = 'whisper', to = bob, groupId?: Uint8Array): Uint8Array {
  return sealedSenderEncrypt(UnidentifiedSenderMessageContent.create(type, cert, new Uint8Array([1, 2, 3]), 0, groupId), to.publicKey, alice);
}

const GROUP = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const GROUP_HEX = 'a0a1a2a3a4a5a6a7a8a9aaabacadaeaf';

/** Bob's part of a sealed group send (sealed sender v2, as the server splits it) to bob and carl. */
function sealedForGroup(groupId: Uint8Array | undefined, cert = certificate(), type: SealedContentType = 'sender-key'): Uint8Array {
  const carl = IdentityKeyPair.generate();
  const usmc = UnidentifiedSenderMessageContent.create(type, cert, new Uint8Array([4, 5, 6]), 1, groupId);
  const sent = sealedSenderMultiRecipientSeal(
    usmc,
    [
      { serviceId: BOB, identityKey: bob.publicKey, devices: [{ deviceId: 1, registrationId: 7 }] },
      { serviceId: 'c4f1d0a2-7b3e-4e5f-9a0b-1c2d3e4f5a6b', identityKey: carl.publicKey, devices: [{ deviceId: 1, registrationId: 9 }] },
    ],
    [],
    alice,
  );
  return SealedSenderMultiRecipientMessage.parse(sent).messageForRecipient(BOB);
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
    rejected(() => unseal(sealed(certificate(), 'plaintext'), bob, root.publicKey(), NOW, bobMe), /plaintext/);
    // Sealed for someone else.
    rejected(() => unseal(sealed(certificate(), 'whisper', IdentityKeyPair.generate()), bob, root.publicKey(), NOW, bobMe), /sealed sender/);
  });

  it('opens a group message (v1 or our part of a v2 send): a Sender Key message and the group id inside the seal', () => {
    for (const bytes of [sealedForGroup(GROUP), sealed(certificate(), 'sender-key', bob, GROUP)]) {
      const u = unseal(bytes, bob, root.publicKey(), NOW, bobMe);
      expect(u).toMatchObject({ senderAccountId: ALICE, senderDeviceId: 2, type: 'senderkey', groupId: GROUP_HEX });
      expect(u.identityKey.equals(alice.publicKey)).toBe(true);
    }
    // A 1:1 message carries no group id.
    expect(unseal(sealed(), bob, root.publicKey(), NOW, bobMe).groupId).toBeUndefined();
  });

  it('refuses a Sender Key message without a 16-byte group id, a 1:1 message naming a group, and a group message under a bad certificate', () => {
    rejected(() => unseal(sealedForGroup(undefined), bob, root.publicKey(), NOW, bobMe), /without a valid group id/);
    rejected(() => unseal(sealedForGroup(new Uint8Array(32).fill(1)), bob, root.publicKey(), NOW, bobMe), /without a valid group id/);
    rejected(() => unseal(sealedForGroup(new Uint8Array(15).fill(1)), bob, root.publicKey(), NOW, bobMe), /without a valid group id/);
    rejected(() => unseal(sealedForGroup(GROUP, certificate(), 'whisper'), bob, root.publicKey(), NOW, bobMe), /names a group/);
    rejected(() => unseal(sealed(certificate(), 'prekey', bob, GROUP), bob, root.publicKey(), NOW, bobMe), /names a group/);
    rejected(() => unseal(sealedForGroup(GROUP, certificate({ expiration: NOW - 1 })), bob, root.publicKey(), NOW, bobMe), /expired/);
    rejected(() => unseal(sealedForGroup(GROUP, certificate({ signedBy: PrivateKey.generate() })), bob, root.publicKey(), NOW, bobMe), /forged/);
    rejected(() => unseal(sealedForGroup(GROUP), IdentityKeyPair.generate(), root.publicKey(), NOW, bobMe), /sealed sender/);
  });

  it('property: any group id, content type and content either opens as exactly what was sealed or is refused, typed', () => {
    const types: SealedContentType[] = ['prekey', 'whisper', 'sender-key', 'plaintext'];
    fc.assert(
      fc.property(fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), fc.constantFrom(...types), fc.boolean(), (groupId, type, v2) => {
        const bytes = v2 ? sealedForGroup(groupId, certificate(), type) : sealed(certificate(), type, bob, groupId);
        const ok = type === 'sender-key' ? groupId?.length === 16 : (type === 'prekey' || type === 'whisper') && groupId === undefined;
        let u;
        try {
          u = unseal(bytes, bob, root.publicKey(), NOW, bobMe);
        } catch (e) {
          expect(e).toBeInstanceOf(ClientError);
          expect((e as ClientError).code).toBe('SEALED_SENDER_REJECTED');
          expect(ok).toBe(false);
          return;
        }
        expect(ok).toBe(true);
        expect(u.type).toBe(type === 'sender-key' ? 'senderkey' : type);
        expect(u.groupId).toBe(groupId ? Buffer.from(groupId).toString('hex') : undefined);
      }),
      { numRuns: 100 },
    );
  });

  it('property: mutated, truncated or random bytes are opened or refused with SEALED_SENDER_REJECTED, nothing else', () => {
    const goods = [sealed(), sealedForGroup(GROUP)];
    const mutated = fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      ...goods.flatMap((good) => [
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const b = good.slice();
          b[i]! ^= x;
          return b;
        }),
        fc.nat(good.length).map((n) => good.subarray(0, n)),
      ]),
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
