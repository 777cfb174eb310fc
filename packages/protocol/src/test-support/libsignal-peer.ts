/**
 * Test helper (Node only): a libsignal-client 0.90 device with in-memory stores,
 * the reference implementation Parley is checked against.
 */
import * as SC from '@signalapp/libsignal-client';

export const ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);

class Sessions extends SC.SessionStore {
  m = new Map<string, Uint8Array<ArrayBuffer>>();
  async saveSession(a: SC.ProtocolAddress, r: SC.SessionRecord) {
    this.m.set(a.toString(), r.serialize());
  }
  async getSession(a: SC.ProtocolAddress) {
    const b = this.m.get(a.toString());
    return b ? SC.SessionRecord.deserialize(b) : null;
  }
  async getExistingSessions(as: SC.ProtocolAddress[]) {
    return (await Promise.all(as.map((a) => this.getSession(a)))).filter((x): x is SC.SessionRecord => x !== null);
  }
}

class Identities extends SC.IdentityKeyStore {
  m = new Map<string, SC.PublicKey>();
  constructor(
    readonly key: SC.PrivateKey,
    readonly regId: number,
  ) {
    super();
  }
  async getIdentityKey() {
    return this.key;
  }
  async getLocalRegistrationId() {
    return this.regId;
  }
  async saveIdentity(a: SC.ProtocolAddress, k: SC.PublicKey) {
    const old = this.m.get(a.toString());
    this.m.set(a.toString(), k);
    return old && !old.equals(k) ? SC.IdentityChange.ReplacedExisting : SC.IdentityChange.NewOrUnchanged;
  }
  async isTrustedIdentity(a: SC.ProtocolAddress, k: SC.PublicKey) {
    const old = this.m.get(a.toString());
    return !old || old.equals(k);
  }
  async getIdentity(a: SC.ProtocolAddress) {
    return this.m.get(a.toString()) ?? null;
  }
}

class PreKeys extends SC.PreKeyStore {
  m = new Map<number, SC.PreKeyRecord>();
  async savePreKey(id: number, r: SC.PreKeyRecord) {
    this.m.set(id, r);
  }
  async getPreKey(id: number) {
    const r = this.m.get(id);
    if (!r) throw new Error(`no prekey ${id}`);
    return r;
  }
  async removePreKey(id: number) {
    this.m.delete(id);
  }
}

class SignedPreKeys extends SC.SignedPreKeyStore {
  m = new Map<number, SC.SignedPreKeyRecord>();
  async saveSignedPreKey(id: number, r: SC.SignedPreKeyRecord) {
    this.m.set(id, r);
  }
  async getSignedPreKey(id: number) {
    const r = this.m.get(id);
    if (!r) throw new Error(`no signed prekey ${id}`);
    return r;
  }
}

class KyberPreKeys extends SC.KyberPreKeyStore {
  m = new Map<number, SC.KyberPreKeyRecord>();
  used: number[] = [];
  async saveKyberPreKey(id: number, r: SC.KyberPreKeyRecord) {
    this.m.set(id, r);
  }
  async getKyberPreKey(id: number) {
    const r = this.m.get(id);
    if (!r) throw new Error(`no kyber prekey ${id}`);
    return r;
  }
  async markKyberPreKeyUsed(id: number) {
    this.used.push(id);
  }
}

export class LibsignalPeer {
  readonly identityKey: SC.PrivateKey;
  readonly regId: number;
  readonly sessions = new Sessions();
  readonly identities: Identities;
  readonly preKeys = new PreKeys();
  readonly signedPreKeys = new SignedPreKeys();
  readonly kyberPreKeys = new KyberPreKeys();
  readonly address: SC.ProtocolAddress;
  private nextId = 1;

  /** `identity` lets a test move an existing device's identity (and its records) into libsignal. */
  constructor(name: string, deviceId = 1, identity?: { privateKey: SC.PrivateKey; registrationId: number }) {
    this.address = SC.ProtocolAddress.new(name, deviceId);
    this.identityKey = identity?.privateKey ?? SC.PrivateKey.generate();
    this.regId = identity?.registrationId ?? 1 + Math.floor(Math.random() * 16380);
    this.identities = new Identities(this.identityKey, this.regId);
  }

  /** Fresh prekeys in libsignal's own records, and the pieces of a bundle. */
  bundleParts(withOneTime = true) {
    const id = this.nextId++;
    const spk = SC.PrivateKey.generate();
    const spkSig = this.identityKey.sign(spk.getPublicKey().serialize());
    this.signedPreKeys.m.set(id, SC.SignedPreKeyRecord.new(id, Date.now(), spk.getPublicKey(), spk, spkSig));
    const kyber = SC.KEMKeyPair.generate();
    const kyberSig = this.identityKey.sign(kyber.getPublicKey().serialize());
    this.kyberPreKeys.m.set(id, SC.KyberPreKeyRecord.new(id, Date.now(), kyber, kyberSig));
    let opk: SC.PrivateKey | undefined;
    if (withOneTime) {
      opk = SC.PrivateKey.generate();
      this.preKeys.m.set(id, SC.PreKeyRecord.new(id, opk.getPublicKey(), opk));
    }
    return {
      registrationId: this.regId,
      deviceId: this.address.deviceId(),
      preKeyId: opk ? id : undefined,
      preKey: opk?.getPublicKey(),
      signedPreKeyId: id,
      signedPreKey: spk.getPublicKey(),
      signedPreKeySignature: spkSig,
      kyberPreKeyId: id,
      kyberPreKey: kyber.getPublicKey(),
      kyberPreKeySignature: kyberSig,
      identityKey: this.identityKey.getPublicKey(),
    };
  }

  async encrypt(plaintext: Uint8Array, to: SC.ProtocolAddress): Promise<{ type: 'prekey' | 'whisper'; body: Uint8Array }> {
    const m = await SC.signalEncrypt(ab(plaintext), to, this.sessions, this.identities);
    return { type: m.type() === SC.CiphertextMessageType.PreKey ? 'prekey' : 'whisper', body: m.serialize() };
  }

  async decrypt(from: SC.ProtocolAddress, msg: { type: 'prekey' | 'whisper'; body: Uint8Array }): Promise<Uint8Array> {
    if (msg.type === 'prekey') {
      return SC.signalDecryptPreKey(
        SC.PreKeySignalMessage.deserialize(ab(msg.body)),
        from,
        this.sessions,
        this.identities,
        this.preKeys,
        this.signedPreKeys,
        this.kyberPreKeys,
      );
    }
    return SC.signalDecrypt(SC.SignalMessage.deserialize(ab(msg.body)), from, this.sessions, this.identities);
  }
}
