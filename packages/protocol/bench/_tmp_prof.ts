import * as P from '../src/index.ts';
import { ParleyDevice } from '../src/test-support/parley-device.ts';
import { PublicKey } from '../src/curve.ts';
import { KemPublicKey } from '../src/kem.ts';
const payload = new Uint8Array(100);
const b = new ParleyDevice('b');
const bundles: any[] = [];
for (let i = 0; i < 50; i++) { const x = await b.bundle(); bundles.push({ ...x, preKey: x.preKey!.serialize(), signedPreKey: x.signedPreKey.serialize(), kyberPreKey: x.kyberPreKey.serialize(), identityKey: x.identityKey.serialize() }); }
let i = 0;
const N = 500;
const T = [0,0,0,0,0];
for (let k = 0; k < N + 50; k++) {
    const t0 = performance.now();
    const a = new ParleyDevice(`a${i}`);
    const x = bundles[i++ % bundles.length]!;
    const bundle = { ...x, preKey: PublicKey.deserialize(x.preKey), signedPreKey: PublicKey.deserialize(x.signedPreKey), kyberPreKey: KemPublicKey.deserialize(x.kyberPreKey), identityKey: PublicKey.deserialize(x.identityKey) };
    const t1 = performance.now();
    await P.processPreKeyBundle(bundle, b.address, a.store, a.store);
    const t2 = performance.now();
    const m = await P.signalEncrypt(payload, b.address, a.store, a.store);
    const t3 = performance.now();
    const opk = bundle.preKeyId !== undefined ? await b.store.getPreKey(bundle.preKeyId) : undefined;
    const kyber = await b.store.getKyberPreKey(bundle.kyberPreKeyId);
    await P.signalDecryptPreKey(P.PreKeySignalMessage.deserialize(m.serialize()), a.address, b.store, b.store, b.store, b.store, b.store);
    const t4 = performance.now();
    if (opk) await b.store.savePreKey(opk.id, opk);
    await b.store.saveKyberPreKey(kyber.id, kyber, true);
    if (k >= 50) { T[0]! += t1-t0; T[1]! += t2-t1; T[2]! += t3-t2; T[3]! += t4-t3; }
}
console.log('device+bundle', (T[0]!/N*1000).toFixed(0), 'processBundle', (T[1]!/N*1000).toFixed(0), 'encrypt', (T[2]!/N*1000).toFixed(0), 'decryptPreKey', (T[3]!/N*1000).toFixed(0));
