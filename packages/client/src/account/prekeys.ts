/**
 * One-time prekeys: generated here, public halves uploaded, topped up when the
 * server holds fewer than PREKEY_LOW_WATER. Also the signed and last-resort keys
 * a new device (registered or linked) starts with.
 */
import { KyberPreKeyRecord, PreKeyRecord, SignedPreKeyRecord, type IdentityKeyPair } from '@parley/protocol';
import type { ClientContext } from '../internal/context.ts';
import type { StoreTx } from '../storage/store.ts';

export const ONE_TIME_PREKEY_BATCH = 100;
export const PQ_PREKEY_BATCH = 20;
/** Top up when the server holds fewer than this many one-time keys. */
export const PREKEY_LOW_WATER = 20;

/** The signed EC prekey and last-resort Kyber prekey a device registers with. */
export function initialKeys(identity: IdentityKeyPair, now: number): { signed: SignedPreKeyRecord; lastResort: KyberPreKeyRecord } {
  return { signed: SignedPreKeyRecord.generate(1, identity, now), lastResort: KyberPreKeyRecord.generate(1, identity, now) };
}

/** Stores a new device's initial keys (inside its registration transaction). */
export async function saveInitialKeys(tx: StoreTx, keys: { signed: SignedPreKeyRecord; lastResort: KyberPreKeyRecord }): Promise<void> {
  await tx.protocol.saveSignedPreKey(keys.signed.id, keys.signed);
  await tx.protocol.saveKyberPreKey(keys.lastResort.id, keys.lastResort, false);
  tx.account.nextPreKeyId('kem', 1);
}

export const publicSigned = (k: SignedPreKeyRecord | KyberPreKeyRecord) => ({ keyId: k.id, publicKey: k.publicKey.serialize(), signature: k.signature });

/**
 * Uploads fresh one-time prekeys when the server is running low (or `force`). The
 * caller holds the operation lock (`ctx.lock.run(() => topUpPreKeys(ctx))`).
 */
export async function topUpPreKeys(ctx: ClientContext, force = false): Promise<void> {
  const counts = force ? { preKeys: 0, pqPreKeys: 0 } : await ctx.http.preKeyCount();
  if (counts.preKeys >= PREKEY_LOW_WATER && counts.pqPreKeys >= PREKEY_LOW_WATER / 4) return;
  const identity = await ctx.store.protocol.getIdentityKeyPair();
  const { ec, kem } = await ctx.store.transaction(async (tx) => {
    const ec: PreKeyRecord[] = [];
    const kem: KyberPreKeyRecord[] = [];
    const ecStart = tx.account.nextPreKeyId('ec', ONE_TIME_PREKEY_BATCH);
    for (let i = 0; i < ONE_TIME_PREKEY_BATCH; i++) {
      const r = PreKeyRecord.generate(ecStart + i);
      await tx.protocol.savePreKey(r.id, r);
      ec.push(r);
    }
    const kemStart = tx.account.nextPreKeyId('kem', PQ_PREKEY_BATCH);
    for (let i = 0; i < PQ_PREKEY_BATCH; i++) {
      const r = KyberPreKeyRecord.generate(kemStart + i, identity, ctx.now());
      await tx.protocol.saveKyberPreKey(r.id, r, true);
      kem.push(r);
    }
    return { ec, kem };
  });
  await ctx.http.uploadKeys({ preKeys: ec.map((r) => ({ keyId: r.id, publicKey: r.publicKey.serialize() })), pqPreKeys: kem.map(publicSigned) });
}
