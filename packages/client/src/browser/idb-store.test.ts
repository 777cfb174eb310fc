// The IndexedDB store (runs in headless Chromium): the client store compliance
// suite, including what a person expects after reloading the tab, and a profile
// written by the previous version.
import { describe, expect, it } from 'vitest';
import { runClientStoreCompliance } from '../storage/compliance.ts';
import { IdbClientStore } from './idb-store.ts';

let n = 0;
const fresh = () => `test-${Date.now()}-${n++}`;
const names = new WeakMap<object, string>();

runClientStoreCompliance('IdbClientStore', {
  async open() {
    const name = fresh();
    const s = await IdbClientStore.open(name);
    names.set(s, name);
    return s;
  },
  async reopen(store) {
    store.close();
    const name = names.get(store)!;
    const s = await IdbClientStore.open(name);
    names.set(s, name);
    return s;
  },
});

describe('IdbClientStore migration', () => {
  it('a profile from before conversation ids keeps its history under the contact\'s conversation', async () => {
    const name = fresh();
    // What version 3 of the database held: conversations by username, no message kinds.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(`parley-${name}`, 3);
      open.onupgradeneeded = () => {
        for (const s of ['kv', 'identities', 'sessions', 'prekeys', 'signed', 'kyber', 'kyberseen', 'contacts', 'messages', 'calllog']) open.result.createObjectStore(s);
      };
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction(['kv', 'contacts', 'messages'], 'readwrite');
        tx.objectStore('kv').put({ serverUrl: 'http://x', accountId: 'me', deviceId: 1, username: 'me', password: new Uint8Array(32), registrationId: 5 }, 'account');
        tx.objectStore('contacts').put({ accountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', username: 'bob', deviceIds: [1], accepted: true, blocked: false }, '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a');
        tx.objectStore('messages').put({ rowId: 1, conversation: 'bob', direction: 'in', clientId: 'aaaaaaaa-1', senderAccountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', timestamp: 1, body: 'hi', status: 'received', seen: false }, 1);
        tx.objectStore('messages').put({ rowId: 2, conversation: 'bob', direction: 'in', clientId: 'call-abc', senderAccountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', timestamp: 2, body: 'Missed voice call', status: 'received', seen: false }, 2);
        tx.oncomplete = () => {
          db.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    });
    const s = await IdbClientStore.open(name);
    expect(s.messages.list('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a').map((m) => [m.body, m.kind])).toEqual([['hi', 'text'], ['Missed voice call', 'system']]);
    s.close();
    const again = await IdbClientStore.open(name);
    expect(again.messages.list('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a')).toHaveLength(2);
    again.close();
  });
});

describe('IdbClientStore: a version 4 database (before disappearing messages)', () => {
  it('gains the conversation settings store and keeps its messages', async () => {
    const name = fresh();
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(`parley-${name}`, 4);
      open.onupgradeneeded = () => {
        for (const s of ['kv', 'identities', 'sessions', 'prekeys', 'signed', 'kyber', 'kyberseen', 'senderkeys', 'contacts', 'messages', 'calllog', 'groups', 'sentlog']) open.result.createObjectStore(s);
      };
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction(['kv', 'messages'], 'readwrite');
        tx.objectStore('kv').put(2, 'data-version');
        tx.objectStore('messages').put({ rowId: 1, conversation: 'direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', direction: 'in', kind: 'text', clientId: 'aaaaaaaa-1', senderAccountId: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', timestamp: 1, body: 'hi', status: 'received', seen: false }, 1);
        tx.oncomplete = () => {
          db.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    });
    const s = await IdbClientStore.open(name);
    expect(s.messages.list().map((m) => m.body)).toEqual(['hi']);
    await s.transaction(async (tx) => tx.conversationSettings.save('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', { expireSeconds: 60 }));
    s.close();
    const again = await IdbClientStore.open(name);
    expect(again.conversationSettings.get('direct:9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a')).toEqual({ expireSeconds: 60 });
    again.close();
  });
});

describe('IdbClientStore.delete', () => {
  it('removes the profile: opening it again finds nothing', async () => {
    const name = fresh();
    const s = await IdbClientStore.open(name);
    await s.transaction(async (tx) => tx.contacts.save({ accountId: 'x', username: 'xavier', deviceIds: [1] }));
    s.close();
    await IdbClientStore.delete(name);
    const again = await IdbClientStore.open(name);
    expect(again.contacts.all()).toEqual([]);
    again.close();
  });
});
