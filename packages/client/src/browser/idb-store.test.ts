// The IndexedDB store (runs in headless Chromium): protocol store compliance, and
// what a person expects after reloading the tab.
import { describe, expect, it } from 'vitest';
import { IdentityKeyPair, ProtocolAddress, SessionRecord } from '@parley/protocol';
import { runStoreCompliance } from '@parley/protocol/store-compliance';
import { IdbClientStore } from './idb-store.ts';

let n = 0;
const fresh = () => `test-${Date.now()}-${n++}`;
const account = (registrationId: number) => ({ serverUrl: 'http://x', accountId: 'acc', deviceId: 1, username: 'me', password: new Uint8Array(32).fill(3), registrationId });

runStoreCompliance('IdbClientStore', async (identity, registrationId) => {
  const s = await IdbClientStore.open(fresh());
  s.saveAccount(account(registrationId), identity);
  return s;
});

describe('IdbClientStore persistence', () => {
  it('everything is still there after reopening (a tab reload)', async () => {
    const name = fresh();
    const identity = IdentityKeyPair.generate();
    const s1 = await IdbClientStore.open(name);
    s1.saveAccount(account(77), identity);
    await s1.storeSession(new ProtocolAddress('peer', 1), SessionRecord.newFresh());
    s1.saveContact({ accountId: 'peer', username: 'pat', deviceIds: [1] });
    expect(s1.addMessage({ conversation: 'pat', direction: 'in', clientId: '0f0e0d0c-0000', senderAccountId: 'peer', timestamp: 5, body: 'hi', status: 'received' })).toBe(true);
    expect(s1.addMessage({ conversation: 'pat', direction: 'in', clientId: '0f0e0d0c-0000', senderAccountId: 'peer', timestamp: 5, body: 'hi', status: 'received' })).toBe(false);
    await s1.flush();
    s1.close();
    const s2 = await IdbClientStore.open(name);
    expect(s2.getAccount()?.registrationId).toBe(77);
    expect(s2.getAccount()?.password).toEqual(new Uint8Array(32).fill(3));
    expect((await s2.getIdentityKeyPair()).publicKey.equals(identity.publicKey)).toBe(true);
    expect(await s2.loadSession(new ProtocolAddress('peer', 1))).toBeDefined();
    expect(s2.contactByUsername('pat')?.accountId).toBe('peer');
    expect(s2.messages('pat').map((m) => m.body)).toEqual(['hi']);
    s2.close();
  });

  it('a failed transaction leaves nothing behind, in memory or on disk', async () => {
    const name = fresh();
    const s1 = await IdbClientStore.open(name);
    await expect(
      s1.transaction(async () => {
        s1.saveContact({ accountId: 'x', username: 'xavier', deviceIds: [1] });
        s1.addMessage({ conversation: 'xavier', direction: 'in', clientId: 'aaaaaaaa-1', senderAccountId: 'x', timestamp: 1, body: 'lost', status: 'received' });
        throw new Error('decrypt failed');
      }),
    ).rejects.toThrow('decrypt failed');
    expect(s1.contactByUsername('xavier')).toBeUndefined();
    expect(s1.messages()).toEqual([]);
    await s1.transaction(async () => {
      s1.saveContact({ accountId: 'y', username: 'yara', deviceIds: [1] });
    });
    s1.close();
    const s2 = await IdbClientStore.open(name);
    expect(s2.contactByUsername('xavier')).toBeUndefined();
    expect(s2.contactByUsername('yara')?.accountId).toBe('y');
    s2.close();
  });
});
