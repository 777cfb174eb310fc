/**
 * The compliance suite every ClientStore runs: the in-memory reference, SQLite
 * (Node) and IndexedDB (Chromium). It proves, through the interface only, what
 * the SDK relies on: records round-trip by value, duplicates are refused, writes
 * happen only inside a transaction and a failed one leaves nothing behind, and
 * (for durable stores) everything survives reopening. The protocol's own store
 * suite runs against `tx.protocol` too.
 */
import { describe, expect, it } from 'vitest';
import { IdentityKeyPair, KeyPair, ProtocolAddress, SenderKeyRecord, SessionRecord } from '@parley/protocol';
import { runStoreCompliance } from '@parley/protocol/store-compliance';
import type { AccountInfo, ConversationId, GroupRecord, NewMessage, StoredAttachment } from './records.ts';
import { StoreMisuse, type ClientStore } from './store.ts';

export interface StoreFactory {
  /** A fresh, empty store. */
  open(): Promise<ClientStore>;
  /** Closes `store` and opens the same one again (durable stores only). */
  reopen?(store: ClientStore): Promise<ClientStore>;
}

const ALICE = '0b4e2a3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c';
const BOB = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const withBob: ConversationId = `direct:${BOB}`;
const account = (registrationId = 77): AccountInfo => ({ serverUrl: 'http://x', accountId: ALICE, deviceId: 1, username: 'alice', password: new Uint8Array(32).fill(3), registrationId });
const msg = (clientId: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  conversation: withBob,
  direction: 'in',
  kind: 'text',
  clientId,
  senderAccountId: BOB,
  timestamp: 5,
  body: `body of ${clientId}`,
  status: 'received',
  ...extra,
});

export function runClientStoreCompliance(name: string, factory: StoreFactory): void {
  describe(`${name}: client store compliance`, () => {
    runStoreCompliance(`${name} (tx.protocol)`, async (identity, registrationId) => {
      const s = await factory.open();
      await s.transaction(async (tx) => tx.account.save(account(registrationId), identity));
      const p = s.protocol;
      // Each protocol call runs in its own transaction, as the SDK's would.
      const w = <A extends unknown[], R>(f: (tx: Parameters<Parameters<ClientStore['transaction']>[0]>[0], ...a: A) => Promise<R>) => (...a: A) => s.transaction((tx) => f(tx, ...a));
      return {
        getIdentityKeyPair: () => p.getIdentityKeyPair(),
        getLocalRegistrationId: w((tx) => tx.protocol.getLocalRegistrationId()),
        saveIdentity: w((tx, a: ProtocolAddress, k) => tx.protocol.saveIdentity(a, k)),
        isTrustedIdentity: w((tx, a: ProtocolAddress, k, d) => tx.protocol.isTrustedIdentity(a, k, d)),
        getIdentity: (a) => p.getIdentity(a),
        approveIdentity: w((tx, a: ProtocolAddress, k) => tx.protocol.approveIdentity(a, k)),
        getTrustLevel: (a) => p.getTrustLevel(a),
        loadSession: (a) => p.loadSession(a),
        storeSession: w((tx, a: ProtocolAddress, r) => tx.protocol.storeSession(a, r)),
        getPreKey: w((tx, id: number) => tx.protocol.getPreKey(id)),
        savePreKey: w((tx, id: number, r) => tx.protocol.savePreKey(id, r)),
        removePreKey: w((tx, id: number) => tx.protocol.removePreKey(id)),
        getSignedPreKey: w((tx, id: number) => tx.protocol.getSignedPreKey(id)),
        saveSignedPreKey: w((tx, id: number, r) => tx.protocol.saveSignedPreKey(id, r)),
        getKyberPreKey: w((tx, id: number) => tx.protocol.getKyberPreKey(id)),
        saveKyberPreKey: w((tx, id: number, r, oneTime?: boolean) => tx.protocol.saveKyberPreKey(id, r, oneTime)),
        markKyberPreKeyUsed: w((tx, id: number, spk: number, base) => tx.protocol.markKyberPreKeyUsed(id, spk, base)),
      };
    });

    it('keeps the account, its identity and prekey id counters', async () => {
      const s = await factory.open();
      expect(s.account.get()).toBeUndefined();
      const identity = IdentityKeyPair.generate();
      await s.transaction(async (tx) => {
        tx.account.save(account(), identity);
        expect(tx.account.nextPreKeyId('ec', 100)).toBe(1);
        expect(tx.account.nextPreKeyId('ec', 100)).toBe(101);
        expect(tx.account.nextPreKeyId('kem', 20)).toBe(1);
      });
      const got = s.account.get()!;
      expect(got).toEqual(account());
      // Reads are copies: changing one does not change the store.
      got.password.fill(0);
      expect(s.account.get()!.password).toEqual(new Uint8Array(32).fill(3));
      expect((await s.protocol.getIdentityKeyPair()).publicKey.equals(identity.publicKey)).toBe(true);
    });

    it('keeps a pending password change (nextPassword) and forgets it once settled', async () => {
      const s = await factory.open();
      const identity = IdentityKeyPair.generate();
      const next = new Uint8Array(32).fill(8);
      await s.transaction(async (tx) => tx.account.save({ ...account(), nextPassword: next }, identity));
      expect(s.account.get()!.nextPassword).toEqual(next);
      expect(s.account.get()!.password).toEqual(new Uint8Array(32).fill(3));
      await s.transaction(async (tx) => tx.account.save({ ...account(), password: next, nextPassword: undefined }, identity));
      expect(s.account.get()!.password).toEqual(next);
      expect(s.account.get()!.nextPassword).toBeUndefined();
    });

    it('contacts by id and username; a username moves to its newest account', async () => {
      const s = await factory.open();
      await s.transaction(async (tx) => {
        tx.contacts.save({ accountId: BOB, username: 'bob', deviceIds: [1, 2], accepted: true });
        tx.contacts.save({ accountId: ALICE, username: 'alice', deviceIds: [1] });
      });
      expect(s.contacts.byUsername('bob')).toEqual({ accountId: BOB, username: 'bob', deviceIds: [1, 2], accepted: true, blocked: false });
      expect(s.contacts.byId(ALICE)?.accepted).toBe(false);
      await s.transaction(async (tx) => tx.contacts.save({ accountId: ALICE, username: 'bob', deviceIds: [3] }));
      expect(s.contacts.byUsername('bob')?.accountId).toBe(ALICE);
      expect(s.contacts.byId(BOB)).toBeUndefined();
      expect(s.contacts.all().map((c) => c.username)).toEqual(['bob']);
    });

    it('profiles: our own (key, name, picture) and contacts\' shared keys and names round-trip by value', async () => {
      const s = await factory.open();
      expect(s.profile.get()).toBeUndefined();
      const key = new Uint8Array(32).fill(9);
      await s.transaction(async (tx) => {
        tx.profile.save({ key, createdAt: 5, name: 'Alice Smith', avatar: new Uint8Array([1, 2, 3]), uploaded: false });
        tx.contacts.save({ accountId: BOB, username: 'bob', deviceIds: [1], accepted: true, profileKey: new Uint8Array(32).fill(4), profileName: 'Bob Jones', profileKeyShared: true });
      });
      key.fill(0); // the store kept its own copy
      expect(s.profile.get()).toEqual({ key: new Uint8Array(32).fill(9), createdAt: 5, name: 'Alice Smith', avatar: new Uint8Array([1, 2, 3]) });
      expect(s.contacts.byId(BOB)).toEqual({ accountId: BOB, username: 'bob', deviceIds: [1], accepted: true, blocked: false, profileKey: new Uint8Array(32).fill(4), profileName: 'Bob Jones', profileKeyShared: true });
      await s.transaction(async (tx) => {
        tx.profile.save({ key: new Uint8Array(32).fill(8), createdAt: 6, uploaded: true });
        const { profileName: _, ...bob } = tx.contacts.byId(BOB)!;
        tx.contacts.save({ ...bob, profileKeyShared: false });
      });
      expect(s.profile.get()).toEqual({ key: new Uint8Array(32).fill(8), createdAt: 6, uploaded: true });
      expect(s.contacts.byId(BOB)).toEqual({ accountId: BOB, username: 'bob', deviceIds: [1], accepted: true, blocked: false, profileKey: new Uint8Array(32).fill(4) });
      // A refused access key is remembered with the profile key it came from, by value.
      const refused = new Uint8Array(32).fill(4);
      await s.transaction(async (tx) => tx.contacts.save({ ...tx.contacts.byId(BOB)!, sealedRefusedKey: refused }));
      refused.fill(0);
      expect(s.contacts.byId(BOB)?.sealedRefusedKey).toEqual(new Uint8Array(32).fill(4));
      await expect(s.transaction(async (tx) => {
        tx.profile.save({ key: new Uint8Array(32).fill(7), createdAt: 7 });
        throw new Error('abort');
      })).rejects.toThrow('abort');
      expect(s.profile.get()?.key).toEqual(new Uint8Array(32).fill(8));
      if (factory.reopen) {
        const s2 = await factory.reopen(s);
        expect(s2.profile.get()).toEqual({ key: new Uint8Array(32).fill(8), createdAt: 6, uploaded: true });
        expect(s2.contacts.byId(BOB)?.profileKey).toEqual(new Uint8Array(32).fill(4));
        expect(s2.contacts.byId(BOB)?.sealedRefusedKey).toEqual(new Uint8Array(32).fill(4));
        s2.close();
      }
    });

    it('messages: in order, duplicates refused, status, seen, delete; row ids never reused', async () => {
      const s = await factory.open();
      const ids = await s.transaction(async (tx) => {
        const a = tx.messages.add(msg('aaaaaaaa-1'))!;
        const b = tx.messages.add(msg('aaaaaaaa-2', { direction: 'out', senderAccountId: ALICE, status: 'sent' }))!;
        expect(tx.messages.add(msg('aaaaaaaa-1', { body: 'again' }))).toBeUndefined();
        const c = tx.messages.add(msg('aaaaaaaa-3', { conversation: 'group:00112233445566778899aabbccddeeff', kind: 'system' }))!;
        return [a.rowId, b.rowId, c.rowId];
      });
      expect(ids[0]! < ids[1]! && ids[1]! < ids[2]!).toBe(true);
      expect(s.messages.list().map((m) => m.clientId)).toEqual(['aaaaaaaa-1', 'aaaaaaaa-2', 'aaaaaaaa-3']);
      expect(s.messages.list(withBob).map((m) => m.clientId)).toEqual(['aaaaaaaa-1', 'aaaaaaaa-2']);
      expect(s.messages.list(undefined, true).map((m) => m.clientId)).toEqual(['aaaaaaaa-1', 'aaaaaaaa-3']);
      expect(s.messages.find(BOB, 'aaaaaaaa-1')?.body).toBe('body of aaaaaaaa-1');
      expect(s.messages.find(BOB, 'aaaaaaaa-3')?.kind).toBe('system');
      await s.transaction(async (tx) => {
        tx.messages.setStatus(ALICE, ['aaaaaaaa-2', 'ffffffff-9'], 'read');
        tx.messages.markSeen([ids[0]!]);
      });
      expect(s.messages.find(ALICE, 'aaaaaaaa-2')?.status).toBe('read');
      expect(s.messages.list(withBob, true)).toEqual([]);
      await s.transaction(async (tx) => tx.messages.deleteConversation(withBob));
      expect(s.messages.list().map((m) => m.clientId)).toEqual(['aaaaaaaa-3']);
      expect(s.messages.find(BOB, 'aaaaaaaa-1')).toBeUndefined();
      const again = await s.transaction(async (tx) => tx.messages.add(msg('aaaaaaaa-1'))!);
      expect(again.rowId).toBeGreaterThan(ids[2]!);
    });

    it('messages keep their attachment by value; only its state changes', async () => {
      const s = await factory.open();
      const attachment: StoredAttachment = {
        id: 'AbCdEfGhIjKlMnOpQrStUvWxYz012-_9',
        key: new Uint8Array(64).fill(7),
        digest: new Uint8Array(32).fill(8),
        size: 123456,
        contentType: 'image/jpeg',
        fileName: '../../etc/passwd',
        width: 640,
        height: 480,
        thumbnail: new Uint8Array([1, 2, 3]),
        state: 'remote',
      };
      const m = await s.transaction(async (tx) => {
        tx.messages.add(msg('eeeeeeee-1'));
        return tx.messages.add(msg('eeeeeeee-2', { body: '', attachment }))!;
      });
      expect(m.attachment).toEqual(attachment);
      expect(s.messages.find(BOB, 'eeeeeeee-2')?.attachment).toEqual(attachment);
      expect(s.messages.find(BOB, 'eeeeeeee-1')?.attachment).toBeUndefined();
      await s.transaction(async (tx) => {
        tx.messages.setAttachmentState(BOB, 'eeeeeeee-2', 'downloaded');
        tx.messages.setAttachmentState(BOB, 'eeeeeeee-1', 'invalid');
        tx.messages.setAttachmentState(BOB, 'ffffffff-0', 'invalid');
      });
      expect(s.messages.list(withBob).map((x) => x.attachment?.state)).toEqual([undefined, 'downloaded']);
      expect(s.messages.find(BOB, 'eeeeeeee-2')).toEqual({ ...m, attachment: { ...attachment, state: 'downloaded' } });
      // A failed transaction leaves the state as it was.
      await expect(
        s.transaction(async (tx) => {
          tx.messages.setAttachmentState(BOB, 'eeeeeeee-2', 'expired');
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(s.messages.find(BOB, 'eeeeeeee-2')?.attachment?.state).toBe('downloaded');
      if (factory.reopen) {
        const again = await factory.reopen(s);
        expect(again.messages.find(BOB, 'eeeeeeee-2')?.attachment).toEqual({ ...attachment, state: 'downloaded' });
        again.close();
      }
    });

    it('replies, reactions, edits and deletions: replace rewrites what may change, and keeps it across reopening', async () => {
      const s = await factory.open();
      const quote = { id: 'aaaaaaaa-1', author: BOB, text: 'the quoted text' };
      const [orig, reply] = await s.transaction(async (tx) => [tx.messages.add(msg('ffffffff-1'))!, tx.messages.add(msg('ffffffff-2', { quote, reactions: [], edits: 0, deleted: false }))!]);
      // Empty, zero and false optional fields are absent in every store.
      expect(reply).toEqual({ ...msg('ffffffff-2', { quote }), rowId: reply.rowId, seen: false });
      expect(s.messages.find(BOB, 'ffffffff-2')).toEqual(reply);
      const reacted = { ...orig, reactions: [{ author: ALICE, emoji: '👍🏽', ts: 9 }, { author: BOB, emoji: '❤️', ts: 10 }], body: 'edited', edits: 2, editedAt: 11, status: 'read' as const, seen: true };
      // Conversation, sender and content id never change through replace.
      await s.transaction(async (tx) => tx.messages.replace({ ...reacted, conversation: 'group:00112233445566778899aabbccddeeff', senderAccountId: ALICE, clientId: 'zzzz' }));
      expect(s.messages.find(BOB, 'ffffffff-1')).toEqual(reacted);
      expect(s.messages.find(ALICE, 'zzzz')).toBeUndefined();
      const tomb = { ...reply, body: '', deleted: true };
      delete (tomb as { quote?: unknown }).quote;
      await s.transaction(async (tx) => tx.messages.replace(tomb));
      expect(s.messages.find(BOB, 'ffffffff-2')).toEqual(tomb);
      expect(s.messages.list(withBob).map((m) => m.clientId)).toEqual(['ffffffff-1', 'ffffffff-2']);
      await expect(
        s.transaction(async (tx) => {
          tx.messages.replace({ ...reacted, reactions: [] });
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(s.messages.find(BOB, 'ffffffff-1')?.reactions).toHaveLength(2);
      if (factory.reopen) {
        const again = await factory.reopen(s);
        expect(again.messages.find(BOB, 'ffffffff-1')).toEqual(reacted);
        expect(again.messages.find(BOB, 'ffffffff-2')).toEqual(tomb);
        again.close();
      }
    });

    it('disappearing messages: reading starts the clock, expiring and nextExpiry find what is due, remove deletes; conversation and account settings', async () => {
      const s = await factory.open();
      const [a, b, c] = await s.transaction(async (tx) => [
        tx.messages.add(msg('99999999-1', { expiresInMs: 5000 }))!,
        tx.messages.add(msg('99999999-2', { direction: 'out', senderAccountId: ALICE, status: 'sent', expiresInMs: 1000, expiresAt: 1500 }))!,
        tx.messages.add(msg('99999999-3'))!,
      ]);
      expect(a.expiresAt).toBeUndefined();
      expect(s.messages.nextExpiry()).toBe(1500);
      expect(s.messages.expiring(1499)).toEqual([]);
      expect(s.messages.expiring(1500).map((m) => m.clientId)).toEqual(['99999999-2']);
      // Seen without a time: no clock; with one: it starts once and is not restarted.
      await s.transaction(async (tx) => tx.messages.markSeen([a.rowId]));
      expect(s.messages.find(BOB, '99999999-1')?.expiresAt).toBeUndefined();
      await s.transaction(async (tx) => tx.messages.markSeen([a.rowId, c.rowId], 100));
      await s.transaction(async (tx) => tx.messages.markSeen([a.rowId], 900));
      expect(s.messages.find(BOB, '99999999-1')).toMatchObject({ seen: true, expiresInMs: 5000, expiresAt: 5100 });
      expect(s.messages.find(BOB, '99999999-3')?.expiresAt).toBeUndefined();
      expect(s.messages.expiring(6000).map((m) => m.clientId)).toEqual(['99999999-1', '99999999-2']);
      await s.transaction(async (tx) => tx.messages.remove([a.rowId, b.rowId]));
      expect(s.messages.list().map((m) => m.clientId)).toEqual(['99999999-3']);
      expect(s.messages.nextExpiry()).toBeUndefined();
      expect(s.conversationSettings.get(withBob)).toBeUndefined();
      expect(s.settings.get()).toEqual({});
      await s.transaction(async (tx) => tx.settings.save({ readReceipts: false }));
      expect(s.settings.get()).toEqual({ readReceipts: false });
      await s.transaction(async (tx) => tx.conversationSettings.save(withBob, { expireSeconds: 3600 }));
      expect(s.conversationSettings.get(withBob)).toEqual({ expireSeconds: 3600 });
      await expect(
        s.transaction(async (tx) => {
          tx.conversationSettings.save(withBob, { expireSeconds: 0 });
          tx.messages.remove([c.rowId]);
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(s.conversationSettings.get(withBob)).toEqual({ expireSeconds: 3600 });
      expect(s.messages.list()).toHaveLength(1);
      if (factory.reopen) {
        const again = await factory.reopen(s);
        expect(again.conversationSettings.get(withBob)).toEqual({ expireSeconds: 3600 });
        expect(again.settings.get()).toEqual({ readReceipts: false });
        again.close();
      }
    });

    it('search: case-insensitive (Unicode) across conversations or in one, newest first, limited; no system lines or deleted messages', async () => {
      const s = await factory.open();
      const group: ConversationId = 'group:00112233445566778899aabbccddeeff';
      await s.transaction(async (tx) => {
        tx.messages.add(msg('55555555-1', { body: 'Äpfel und Birnen' }));
        tx.messages.add(msg('55555555-2', { body: 'no fruit here' }));
        tx.messages.add(msg('55555555-3', { conversation: group, body: 'wer hat ÄPFEL?' }));
        tx.messages.add(msg('55555555-4', { conversation: group, kind: 'system', body: 'äpfel line' }));
        const d = tx.messages.add(msg('55555555-5', { body: 'äpfel, deleted' }))!;
        tx.messages.replace({ ...d, body: 'äpfel, deleted', deleted: true });
        tx.messages.add(msg('55555555-6', { body: '100% sure_ [x]' }));
      });
      expect(s.messages.search('äPfEl').map((m) => m.clientId)).toEqual(['55555555-3', '55555555-1']);
      expect(s.messages.search('äpfel', { conversation: withBob }).map((m) => m.clientId)).toEqual(['55555555-1']);
      expect(s.messages.search('äpfel', { limit: 1 }).map((m) => m.clientId)).toEqual(['55555555-3']);
      // LIKE wildcards are plain text.
      expect(s.messages.search('% sure_').map((m) => m.clientId)).toEqual(['55555555-6']);
      expect(s.messages.search('_')).toHaveLength(1);
      expect(s.messages.search('')).toEqual([]);
      expect(s.messages.search('kiwi')).toEqual([]);
    });

    it('the call log only grows, in order', async () => {
      const s = await factory.open();
      const e = (event: 'ring' | 'missed', t: number) => ({ callId: 'c'.repeat(32), peer: 'bob', direction: 'in' as const, media: 'audio' as const, event, timestamp: t });
      await s.transaction(async (tx) => {
        tx.callLog.append(e('ring', 1));
        tx.callLog.append(e('missed', 2));
      });
      expect(s.callLog.list().map((x) => x.event)).toEqual(['ring', 'missed']);
      expect('delete' in s.callLog || 'remove' in s.callLog).toBe(false);
    });

    it('groups and the sent log round-trip by value', async () => {
      const s = await factory.open();
      const g: GroupRecord = {
        groupId: '00112233445566778899aabbccddeeff',
        masterKey: new Uint8Array(32).fill(9),
        name: 'Climbing',
        revision: 4,
        encryptedAttributes: new Uint8Array([1, 2, 3]),
        members: [{ accountId: ALICE, username: 'alice', role: 'admin', devices: [{ deviceId: 1, registrationId: 5 }] }],
        active: true,
        senderKey: { distributionId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', sharedWith: [`${BOB}.1`] },
      };
      await s.transaction(async (tx) => {
        tx.groups.save(g);
        tx.sentLog.add({ conversation: withBob, timestamp: 10, content: new Uint8Array([7]), sentAt: 100 });
        tx.sentLog.add({ conversation: withBob, timestamp: 11, content: new Uint8Array([8]), sentAt: 200, recipients: [BOB] });
      });
      expect(s.groups.get(g.groupId)).toEqual(g);
      expect(s.groups.all()).toHaveLength(1);
      expect(s.sentLog.get(withBob, 10)?.content).toEqual(new Uint8Array([7]));
      expect(s.sentLog.at(11).map((r) => r.timestamp)).toEqual([11]);
      expect(s.sentLog.at(12)).toEqual([]);
      await s.transaction(async (tx) => tx.sentLog.prune(150));
      expect(s.sentLog.get(withBob, 10)).toBeUndefined();
      expect(s.sentLog.get(withBob, 11)).toEqual({ conversation: withBob, timestamp: 11, content: new Uint8Array([8]), sentAt: 200, recipients: [BOB] });
    });

    it('sender keys and sessions by address', async () => {
      const s = await factory.open();
      await s.transaction(async (tx) => tx.account.save(account(), IdentityKeyPair.generate()));
      const addr = new ProtocolAddress(BOB, 2);
      const record = SenderKeyRecord.deserialize(new Uint8Array(0));
      await s.transaction(async (tx) => {
        await tx.protocol.storeSenderKey(addr, 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', record);
        await tx.protocol.storeSession(addr, SessionRecord.newFresh());
      });
      expect((await s.transaction((tx) => tx.protocol.loadSenderKey(addr, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee')))?.serialize()).toEqual(record.serialize());
      expect(await s.protocol.loadSession(addr)).toBeDefined();
      await s.transaction((tx) => tx.protocol.deleteSession(addr));
      expect(await s.protocol.loadSession(addr)).toBeUndefined();
    });

    it('a failed transaction leaves nothing behind; writes need an open transaction; transactions do not nest', async () => {
      const s = await factory.open();
      await s.transaction(async (tx) => tx.contacts.save({ accountId: BOB, username: 'bob', deviceIds: [1] }));
      await expect(
        s.transaction(async (tx) => {
          tx.contacts.save({ accountId: BOB, username: 'bob', deviceIds: [1, 2], blocked: true });
          tx.messages.add(msg('bbbbbbbb-1'));
          tx.callLog.append({ callId: 'c'.repeat(32), peer: 'bob', direction: 'in', media: 'audio', event: 'ring', timestamp: 1 });
          await tx.protocol.storeSession(new ProtocolAddress(BOB, 1), SessionRecord.newFresh());
          // Reads inside the transaction see its writes.
          expect(tx.messages.find(BOB, 'bbbbbbbb-1')).toBeDefined();
          throw new Error('decrypt failed');
        }),
      ).rejects.toThrow('decrypt failed');
      expect(s.contacts.byId(BOB)).toEqual({ accountId: BOB, username: 'bob', deviceIds: [1], accepted: false, blocked: false });
      expect(s.messages.list()).toEqual([]);
      expect(s.callLog.list()).toEqual([]);
      expect(await s.protocol.loadSession(new ProtocolAddress(BOB, 1))).toBeUndefined();
      // After a rollback, new rows still come in order.
      await s.transaction(async (tx) => {
        tx.messages.add(msg('cccccccc-1'));
        tx.messages.add(msg('cccccccc-2'));
      });
      expect(s.messages.list().map((m) => m.clientId)).toEqual(['cccccccc-1', 'cccccccc-2']);

      let leaked: Parameters<Parameters<ClientStore['transaction']>[0]>[0] | undefined;
      await s.transaction(async (tx) => {
        leaked = tx;
      });
      expect(() => leaked!.contacts.save({ accountId: ALICE, username: 'alice', deviceIds: [1] })).toThrow(StoreMisuse);
      await expect(s.transaction(() => s.transaction(async () => 1))).rejects.toThrow(StoreMisuse);
      expect(s.contacts.byId(ALICE)).toBeUndefined();
      // The store still works after misuse.
      await s.transaction(async (tx) => tx.contacts.save({ accountId: ALICE, username: 'alice', deviceIds: [1] }));
      expect(s.contacts.byId(ALICE)?.username).toBe('alice');
    });

    if (factory.reopen) {
      const reopen = factory.reopen.bind(factory);
      it('everything is still there after reopening', async () => {
        const s1 = await factory.open();
        const identity = IdentityKeyPair.generate();
        const addr = new ProtocolAddress(BOB, 1);
        await s1.transaction(async (tx) => {
          tx.account.save(account(), identity);
          tx.contacts.save({ accountId: BOB, username: 'bob', deviceIds: [1], accepted: true });
          tx.messages.add(msg('dddddddd-1'));
          tx.callLog.append({ callId: 'c'.repeat(32), peer: 'bob', direction: 'out', media: 'video', event: 'ring', timestamp: 3 });
          tx.groups.save({ groupId: 'ffeeddccbbaa99887766554433221100', revision: 1, members: [], active: true, masterKey: new Uint8Array(32).fill(1) });
          tx.sentLog.add({ conversation: withBob, timestamp: 4, content: new Uint8Array([4]), sentAt: 4 });
          await tx.protocol.storeSession(addr, SessionRecord.newFresh());
          await tx.protocol.saveIdentity(addr, KeyPair.generate().publicKey);
        });
        const s2 = await reopen(s1);
        expect(s2.account.get()).toEqual(account());
        expect((await s2.protocol.getIdentityKeyPair()).publicKey.equals(identity.publicKey)).toBe(true);
        expect(s2.contacts.byUsername('bob')?.accepted).toBe(true);
        expect(s2.messages.list().map((m) => m.body)).toEqual(['body of dddddddd-1']);
        expect(s2.callLog.list()).toHaveLength(1);
        expect(s2.groups.get('ffeeddccbbaa99887766554433221100')?.masterKey).toEqual(new Uint8Array(32).fill(1));
        expect(s2.sentLog.get(withBob, 4)?.content).toEqual(new Uint8Array([4]));
        expect(await s2.protocol.loadSession(addr)).toBeDefined();
        expect(await s2.protocol.getTrustLevel(addr)).toBe('trusted');
        // New rows after reopening come after the old ones.
        const m = await s2.transaction(async (tx) => tx.messages.add(msg('dddddddd-2'))!);
        expect(m.rowId).toBeGreaterThan(s2.messages.find(BOB, 'dddddddd-1')!.rowId);
        s2.close();
      });
    }
  });
}
