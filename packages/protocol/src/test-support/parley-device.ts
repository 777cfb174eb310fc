/**
 * Test helper: a Parley device with in-memory stores and a published bundle.
 * Portable (runs in Node and Chromium). Not exported from the package.
 */
import { ProtocolAddress } from '../address.ts';
import { IdentityKeyPair } from '../identity-key.ts';
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord, type CheckedPreKeyBundle } from '../session/prekeys.ts';
import { InMemoryProtocolStore } from '../session/stores.ts';

export class ParleyDevice {
  readonly identity: IdentityKeyPair;
  readonly registrationId: number;
  readonly store: InMemoryProtocolStore;
  readonly address: ProtocolAddress;
  private nextPreKeyId = 1;

  /** `identity` lets a test move an existing device's identity (and its records) into Parley. */
  constructor(name: string, deviceId = 1, identity?: { keyPair: IdentityKeyPair; registrationId: number }) {
    this.identity = identity?.keyPair ?? IdentityKeyPair.generate();
    this.registrationId = identity?.registrationId ?? 1 + Math.floor(Math.random() * 16380);
    this.store = new InMemoryProtocolStore(this.identity, this.registrationId);
    this.address = new ProtocolAddress(name, deviceId);
  }

  /** Creates and stores fresh prekeys; returns the bundle a peer would fetch. */
  async bundle(withOneTime = true): Promise<CheckedPreKeyBundle> {
    const id = this.nextPreKeyId++;
    const signed = SignedPreKeyRecord.generate(id, this.identity, Date.now());
    const kyber = KyberPreKeyRecord.generate(id, this.identity, Date.now());
    await this.store.saveSignedPreKey(id, signed);
    await this.store.saveKyberPreKey(id, kyber, true);
    let preKey: PreKeyRecord | undefined;
    if (withOneTime) {
      preKey = PreKeyRecord.generate(id);
      await this.store.savePreKey(id, preKey);
    }
    return {
      registrationId: this.registrationId,
      deviceId: this.address.deviceId,
      preKeyId: preKey?.id,
      preKey: preKey?.publicKey,
      signedPreKeyId: id,
      signedPreKey: signed.publicKey,
      signedPreKeySignature: signed.signature,
      kyberPreKeyId: id,
      kyberPreKey: kyber.publicKey,
      kyberPreKeySignature: kyber.signature,
      identityKey: this.identity.publicKey,
    };
  }
}

/** Deterministic PRNG (mulberry32) so randomized conversations can be replayed from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
