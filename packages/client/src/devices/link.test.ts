// The provisioning message as the new device opens it: anything that does not open,
// is not the message's JSON, or carries no usable identity is LINK_FAILED and nothing
// else. Regression inputs from the fuzzer (fuzz/targets/client.ts, client.provisioning-*).
import { describe, expect, it } from 'vitest';
import { IdentityKeyPair, PrivateKey } from '@parley/protocol';
import { base64Encode } from '@parley/wire';
import { ClientError } from '../errors.ts';
import { openProvisioningMessage } from './link.ts';
import { encryptProvisioning, newSecret } from './provisioning.ts';

const code = { channelId: 'abcdefghjk', secret: newSecret() };
const eph = PrivateKey.generate();
const enc = new TextEncoder();
const message = (identity: Uint8Array) => ({
  v: 1,
  accountId: '9d0652a3-dcc3-4d11-975f-74d61598733f',
  username: 'alice',
  identity: base64Encode(identity),
  linkToken: base64Encode(new Uint8Array(32).fill(4)),
  from: 1,
});
const sealed = (plaintext: unknown) => encryptProvisioning(eph.publicKey(), code, enc.encode(typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext)));

function linkFailed(f: () => unknown): void {
  let threw: unknown;
  try {
    f();
  } catch (e) {
    threw = e;
  }
  expect(threw).toBeInstanceOf(ClientError);
  expect((threw as ClientError).code).toBe('LINK_FAILED');
}

describe('openProvisioningMessage', () => {
  it('opens what an existing device sealed for this code', () => {
    const identity = IdentityKeyPair.generate();
    const { msg, identity: opened } = openProvisioningMessage(eph, code, sealed(message(identity.serialize())));
    expect(msg.username).toBe('alice');
    expect(opened.publicKey.equals(identity.publicKey)).toBe(true);
  });

  it('an identity that is not a key pair is LINK_FAILED (fuzz: client.provisioning-plaintext, InvalidKey escaped)', () => {
    // The fuzzer's input: a key pair's protobuf with its private key cut short (8 bytes removed).
    const cut = 'CiEFrAtG5x4G4oNWIK84TIrr3daP7VRuhCJrqsuXk2OWQ00SIMhzP9ZQC2mqT6mb973Q+KbZLql5w5aJxVsh2Mo6';
    linkFailed(() => openProvisioningMessage(eph, code, sealed({ ...message(new Uint8Array(0)), identity: cut })));
    const valid = IdentityKeyPair.generate().serialize();
    for (const identity of [valid.subarray(0, 60), new Uint8Array(70).fill(0xff), Uint8Array.from([...valid, 0x08])]) {
      linkFailed(() => openProvisioningMessage(eph, code, sealed(message(identity))));
    }
  });

  it('altered, truncated or non-JSON messages are LINK_FAILED', () => {
    const good = sealed(message(IdentityKeyPair.generate().serialize()));
    const flipped = good.slice();
    flipped[40]! ^= 1;
    linkFailed(() => openProvisioningMessage(eph, code, flipped));
    linkFailed(() => openProvisioningMessage(eph, code, good.subarray(0, 20)));
    linkFailed(() => openProvisioningMessage(eph, code, sealed('not json')));
    const json = JSON.stringify(message(IdentityKeyPair.generate().serialize()));
    linkFailed(() => openProvisioningMessage(eph, code, sealed(`{"__proto__":{"v":1},${json.slice(1)}`)));
  });
});
