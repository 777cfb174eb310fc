/**
 * Test helper (Node only): a libsignal-client device with in-memory stores, the
 * reference implementation Parley is checked against. `new LibsignalPeer(...)` is
 * libsignal-client 0.90 (SPQR optional, no local address); `LibsignalPeer.v0103(...)`
 * is 0.103 (SPQR required, every call takes the local address).
 */
import * as SC from '@signalapp/libsignal-client';
import * as SC103 from '@signalapp/libsignal-client-0103';

export const ab = (u: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(u);

/** Both npm versions have this shape for what the helper uses (0.103 adds the local address). */
type Lib = typeof SC;
export const LIB_0103 = SC103 as unknown as Lib;

function storeClasses(lib: Lib) {
  class Sessions extends lib.SessionStore {
    m = new Map<string, Uint8Array<ArrayBuffer>>();
    async saveSession(a: SC.ProtocolAddress, r: SC.SessionRecord) {
      this.m.set(a.toString(), r.serialize());
    }
    async getSession(a: SC.ProtocolAddress) {
      const b = this.m.get(a.toString());
      return b ? lib.SessionRecord.deserialize(b) : null;
    }
    async getExistingSessions(as: SC.ProtocolAddress[]) {
      return (await Promise.all(as.map((a) => this.getSession(a)))).filter((x): x is SC.SessionRecord => x !== null);
    }
  }

  class Identities extends lib.IdentityKeyStore {
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
      return old && !old.equals(k) ? lib.IdentityChange.ReplacedExisting : lib.IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(a: SC.ProtocolAddress, k: SC.PublicKey) {
      const old = this.m.get(a.toString());
      return !old || old.equals(k);
    }
    async getIdentity(a: SC.ProtocolAddress) {
      return this.m.get(a.toString()) ?? null;
    }
  }

  class PreKeys extends lib.PreKeyStore {
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

  class SignedPreKeys extends lib.SignedPreKeyStore {
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

  class KyberPreKeys extends lib.KyberPreKeyStore {
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
  return { Sessions, Identities, PreKeys, SignedPreKeys, KyberPreKeys };
}

const classes = new Map<Lib, ReturnType<typeof storeClasses>>();
function storesFor(lib: Lib) {
  let c = classes.get(lib);
  if (!c) classes.set(lib, (c = storeClasses(lib)));
  return c;
}

export class LibsignalPeer {
  readonly identityKey: SC.PrivateKey;
  readonly regId: number;
  readonly sessions;
  readonly identities;
  readonly preKeys;
  readonly signedPreKeys;
  readonly kyberPreKeys;
  readonly address: SC.ProtocolAddress;
  private nextId = 1;

  /** `identity` lets a test move an existing device's identity (and its records) into libsignal. */
  constructor(
    name: string,
    deviceId = 1,
    identity?: { privateKey: SC.PrivateKey; registrationId: number },
    readonly lib: Lib = SC,
  ) {
    const s = storesFor(lib);
    this.sessions = new s.Sessions();
    this.preKeys = new s.PreKeys();
    this.signedPreKeys = new s.SignedPreKeys();
    this.kyberPreKeys = new s.KyberPreKeys();
    this.address = lib.ProtocolAddress.new(name, deviceId);
    this.identityKey = identity?.privateKey ?? lib.PrivateKey.generate();
    this.regId = identity?.registrationId ?? 1 + Math.floor(Math.random() * 16380);
    this.identities = new s.Identities(this.identityKey, this.regId);
  }

  /** A libsignal-client 0.103 device (SPQR required). */
  static v0103(name: string, deviceId = 1): LibsignalPeer {
    return new LibsignalPeer(name, deviceId, undefined, LIB_0103);
  }

  get modern(): boolean {
    return this.lib === LIB_0103;
  }

  /** Fresh prekeys in libsignal's own records, and the pieces of a bundle. */
  bundleParts(withOneTime = true) {
    const lib = this.lib;
    const id = this.nextId++;
    const spk = lib.PrivateKey.generate();
    const spkSig = this.identityKey.sign(spk.getPublicKey().serialize());
    this.signedPreKeys.m.set(id, lib.SignedPreKeyRecord.new(id, Date.now(), spk.getPublicKey(), spk, spkSig));
    const kyber = lib.KEMKeyPair.generate();
    const kyberSig = this.identityKey.sign(kyber.getPublicKey().serialize());
    this.kyberPreKeys.m.set(id, lib.KyberPreKeyRecord.new(id, Date.now(), kyber, kyberSig));
    let opk: SC.PrivateKey | undefined;
    if (withOneTime) {
      opk = lib.PrivateKey.generate();
      this.preKeys.m.set(id, lib.PreKeyRecord.new(id, opk.getPublicKey(), opk));
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

  /** Fresh prekeys (`bundleParts`) as libsignal's own PreKeyBundle. */
  bundle(withOneTime = true): SC.PreKeyBundle {
    const b = this.bundleParts(withOneTime);
    return this.lib.PreKeyBundle.new(
      b.registrationId,
      b.deviceId,
      b.preKeyId ?? null,
      b.preKey ?? null,
      b.signedPreKeyId,
      b.signedPreKey,
      b.signedPreKeySignature,
      b.identityKey,
      b.kyberPreKeyId,
      b.kyberPreKey,
      b.kyberPreKeySignature,
    );
  }

  /** Local address argument for 0.103's calls (none for 0.90). */
  private local(): SC.ProtocolAddress[] {
    return this.modern ? [this.address] : [];
  }

  async processBundle(bundle: SC.PreKeyBundle, address: SC.ProtocolAddress): Promise<void> {
    const f = this.lib.processPreKeyBundle as (...a: unknown[]) => Promise<void>;
    await f(bundle, address, ...this.local(), this.sessions, this.identities);
  }

  async encrypt(plaintext: Uint8Array, to: SC.ProtocolAddress): Promise<{ type: 'prekey' | 'whisper'; body: Uint8Array }> {
    const f = this.lib.signalEncrypt as (...a: unknown[]) => Promise<SC.CiphertextMessage>;
    const m = await f(ab(plaintext), to, ...this.local(), this.sessions, this.identities);
    return { type: m.type() === this.lib.CiphertextMessageType.PreKey ? 'prekey' : 'whisper', body: m.serialize() };
  }

  async decrypt(from: SC.ProtocolAddress, msg: { type: 'prekey' | 'whisper'; body: Uint8Array }): Promise<Uint8Array> {
    const lib = this.lib;
    if (msg.type === 'prekey') {
      const f = lib.signalDecryptPreKey as (...a: unknown[]) => Promise<Uint8Array>;
      return f(
        lib.PreKeySignalMessage.deserialize(ab(msg.body)),
        from,
        ...this.local(),
        this.sessions,
        this.identities,
        this.preKeys,
        this.signedPreKeys,
        this.kyberPreKeys,
      );
    }
    const f = lib.signalDecrypt as (...a: unknown[]) => Promise<Uint8Array>;
    return f(lib.SignalMessage.deserialize(ab(msg.body)), from, ...this.local(), this.sessions, this.identities);
  }

  /** The stored record for `address` (serialized), as libsignal wrote it. */
  record(address: SC.ProtocolAddress): Uint8Array | undefined {
    return this.sessions.m.get(address.toString());
  }
}
