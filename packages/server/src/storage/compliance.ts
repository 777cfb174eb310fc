/**
 * The storage compliance suite: what every `Storage` adapter must do, tested
 * through the interface only. An adapter's test file calls
 * `storageCompliance(name, open)` with a function that opens a fresh, empty store;
 * the suite closes every store it opened.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountRow, DeviceLimits, EnvelopeFields, GroupUpdate, InitialKeys, NewDevice, NewEnvelope, Storage } from './storage.ts';

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** Test data: an account, its first device and keys, distinguishable by `n`. */
export function sampleAccount(username: string, n = 1): { account: AccountRow; device: NewDevice; keys: InitialKeys } {
  const id = randomUUID();
  return {
    account: { id, username, identityKey: bytes(33, n) },
    device: { registrationId: 100 + n, passwordHash: bytes(32, n) },
    keys: sampleKeys(n),
  };
}

function sampleKeys(n: number): InitialKeys {
  return {
    signedPreKey: { keyId: n, publicKey: bytes(33, n), signature: bytes(64, n) },
    pqLastResort: { keyId: n, publicKey: bytes(1569, n), signature: bytes(64, n) },
  };
}

const LIMITS6: DeviceLimits = { maxDevices: 6, maxDeviceId: 127 };

function fields(content: number, extra: Partial<EnvelopeFields> = {}): EnvelopeFields {
  return {
    sourceAccountId: randomUUID(),
    sourceUsername: 'sender',
    sourceDeviceId: 1,
    timestamp: 1000 + content,
    serverTimestamp: 2000 + content,
    messageType: 'whisper',
    content: bytes(3, content),
    ephemeral: false,
    ...extra,
  };
}

function to(accountId: string, deviceId: number, content: number, extra: Partial<EnvelopeFields> = {}): NewEnvelope {
  return { destinationAccountId: accountId, destinationDeviceId: deviceId, ...fields(content, extra) };
}

/** A sealed envelope's fields: no source. */
function sealedFields(content: number): EnvelopeFields {
  const { sourceAccountId: _a, sourceUsername: _u, sourceDeviceId: _d, ...rest } = fields(content, { messageType: 'sealed' });
  return rest;
}

function sealedTo(accountId: string, deviceId: number, content: number): NewEnvelope {
  return { destinationAccountId: accountId, destinationDeviceId: deviceId, ...sealedFields(content) };
}

export function storageCompliance(name: string, open: () => Promise<Storage>): void {
  describe(`storage compliance: ${name}`, () => {
    const opened: Storage[] = [];
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });
    const fresh = async (): Promise<Storage> => {
      const s = await open();
      opened.push(s);
      return s;
    };
    /** A store with one account per name, each with its first device. */
    const withAccounts = async (...names: string[]) => {
      const s = await fresh();
      const accounts = [];
      for (const [i, name] of names.entries()) {
        const a = sampleAccount(name, i + 1);
        expect(await s.createAccount(a.account, a.device, a.keys, 1_000 + i)).toBe(true);
        accounts.push(a);
      }
      return { s, accounts };
    };

    describe('accounts', () => {
      it('are unique by username, found by username and id, and created with their first device', async () => {
        const { s, accounts } = await withAccounts('alice');
        const alice = accounts[0]!;
        const again = sampleAccount('alice', 9);
        expect(await s.createAccount(again.account, again.device, again.keys, 5)).toBe(false);
        expect(await s.accountById(again.account.id)).toBeUndefined();
        expect(await s.device(again.account.id, 1)).toBeUndefined();
        expect(await s.accountByUsername('alice')).toEqual(alice.account);
        expect(await s.accountById(alice.account.id)).toEqual(alice.account);
        expect(await s.accountByUsername('nobody')).toBeUndefined();
        expect(await s.device(alice.account.id, 1)).toEqual({ ...alice.device, accountId: alice.account.id, deviceId: 1, createdAt: 1_000, lastSeenAt: 1_000, encryptedName: undefined });
        expect((await s.devices(alice.account.id)).map((d) => d.deviceId)).toEqual([1]);
      });
    });

    describe('devices', () => {
      /** A store with alice and a link token for her account, valid until 10_000. */
      const withToken = async (limits = LIMITS6) => {
        const { s, accounts } = await withAccounts('alice');
        const alice = accounts[0]!.account;
        const link = async (token: number, at = 5_000, name?: Uint8Array) =>
          s.linkDevice(bytes(32, token), { registrationId: 200 + token, passwordHash: bytes(32, 100 + token), encryptedName: name }, sampleKeys(token), at, limits);
        await s.createLinkToken(alice.id, bytes(32, 1), 10_000);
        return { s, alice, link };
      };

      it('link tokens are single use and expire', async () => {
        const { s, alice, link } = await withToken();
        await s.createLinkToken(alice.id, bytes(32, 2), 10_000);
        expect(await link(1, 5_000, bytes(20, 9))).toEqual({ status: 'linked', account: alice, deviceId: 2 });
        expect(await link(1)).toEqual({ status: 'expired' });
        expect(await link(2, 10_000)).toEqual({ status: 'expired' });
        expect(await link(3)).toEqual({ status: 'expired' });
        const d2 = await s.device(alice.id, 2);
        expect(d2).toMatchObject({ registrationId: 201, passwordHash: bytes(32, 101), createdAt: 5_000, lastSeenAt: 5_000, encryptedName: bytes(20, 9) });
        const k = await s.takeDeviceKeys(alice.id, 2);
        expect([k?.signedPreKey.keyId, k?.pqPreKey.keyId, k?.registrationId]).toEqual([1, 1, 201]);
        await s.createLinkToken(alice.id, bytes(32, 4), 10_000);
        await s.createLinkToken(alice.id, bytes(32, 5), 20_000);
        // Tokens 2 (never used) and 4 expire at 10_000.
        expect(await s.dropExpiredLinkTokens(10_000)).toBe(2);
        expect((await link(5, 10_000)).status).toBe('linked');
      });

      it('device ids increase and are never reused; unlinking leaves a tombstone and deletes queue, keys and password', async () => {
        const { s, alice, link } = await withToken();
        expect((await link(1)).status).toBe('linked');
        await s.storeKeys(alice.id, 2, { preKeys: [{ keyId: 7, publicKey: bytes(33, 7) }], pqPreKeys: [{ keyId: 8, publicKey: bytes(1569, 8), signature: bytes(64, 8) }] });
        await s.enqueueBatch([{ envelopes: [to(alice.id, 2, 1), to(alice.id, 1, 2)] }]);
        expect(await s.unlinkedAt(alice.id, 2)).toBeUndefined();
        expect(await s.unlinkDevice(alice.id, 2, 6_000)).toBe(true);
        expect(await s.unlinkDevice(alice.id, 2, 6_500)).toBe(false);
        expect(await s.unlinkDevice(alice.id, 5, 6_500)).toBe(false);
        expect(await s.unlinkedAt(alice.id, 2)).toBe(6_000);
        expect(await s.unlinkedAt(alice.id, 1)).toBeUndefined();
        expect(await s.device(alice.id, 2)).toBeUndefined();
        expect(await s.queueLength(alice.id, 2)).toBe(0);
        expect(await s.queueLength(alice.id, 1)).toBe(1);
        expect(await s.preKeyCounts(alice.id, 2)).toEqual({ preKeys: 0, pqPreKeys: 0 });
        expect(await s.takeDeviceKeys(alice.id, 2)).toBeUndefined();
        await s.createLinkToken(alice.id, bytes(32, 2), 10_000);
        expect(await link(2)).toMatchObject({ status: 'linked', deviceId: 3 });
        expect((await s.devices(alice.id)).map((d) => d.deviceId)).toEqual([1, 3]);
        expect(await s.unlinkedAt(alice.id, 3)).toBeUndefined();
      });

      it('refuses a device over the limits and keeps the token for a retry', async () => {
        const { s, alice, link } = await withToken({ maxDevices: 2, maxDeviceId: 3 });
        await s.createLinkToken(alice.id, bytes(32, 2), 10_000);
        expect((await link(1)).status).toBe('linked');
        expect(await link(2)).toEqual({ status: 'too-many' });
        expect(await s.unlinkDevice(alice.id, 2, 6_000)).toBe(true);
        expect(await link(2)).toMatchObject({ status: 'linked', deviceId: 3 });
        expect(await s.unlinkDevice(alice.id, 3, 6_000)).toBe(true);
        await s.createLinkToken(alice.id, bytes(32, 3), 10_000);
        // Only device 1 is active, but every id up to the largest has been used.
        expect(await link(3)).toEqual({ status: 'too-many' });
      });

      it('records when a device was last seen', async () => {
        const { s, accounts } = await withAccounts('alice');
        const id = accounts[0]!.account.id;
        await s.touchDevice(id, 1, 9_999);
        expect((await s.device(id, 1))?.lastSeenAt).toBe(9_999);
        expect((await s.devices(id))[0]?.createdAt).toBe(1_000);
      });

      it("changes an active device's password hash, and only that device's", async () => {
        const { s, alice, link } = await withToken();
        expect((await link(1)).status).toBe('linked');
        const before2 = (await s.device(alice.id, 2))!.passwordHash;
        // Read first so a cache (if any) holds the old list.
        await s.devices(alice.id);
        expect(await s.changePassword(alice.id, 1, bytes(32, 9))).toBe(true);
        expect((await s.device(alice.id, 1))!.passwordHash).toEqual(bytes(32, 9));
        expect((await s.devices(alice.id)).find((d) => d.deviceId === 1)!.passwordHash).toEqual(bytes(32, 9));
        expect((await s.device(alice.id, 2))!.passwordHash).toEqual(before2);
        expect(await s.changePassword(alice.id, 3, bytes(32, 9))).toBe(false);
        expect(await s.unlinkDevice(alice.id, 2, 6_000)).toBe(true);
        expect(await s.changePassword(alice.id, 2, bytes(32, 9))).toBe(false);
        expect(await s.device(alice.id, 2)).toBeUndefined();
      });
    });

    describe('groups', () => {
      const G = '00112233445566778899aabbccddeeff';
      const update = (actor: string, n: number): GroupUpdate => ({
        sourceAccountId: actor,
        sourceUsername: 'actor',
        sourceDeviceId: 1,
        timestamp: 10 + n,
        serverTimestamp: 20 + n,
        content: bytes(5, n),
      });
      /** alice (2 devices), bob, carol, dave; a group of alice (admin) and bob. */
      const withGroup = async () => {
        const { s, accounts } = await withAccounts('alice', 'bob', 'carol', 'dave');
        const [a, b, c, d] = accounts.map((x) => x.account.id) as [string, string, string, string];
        await s.createLinkToken(a, bytes(32, 1), 10_000);
        expect((await s.linkDevice(bytes(32, 1), { registrationId: 300, passwordHash: bytes(32, 3) }, sampleKeys(3), 5, LIMITS6)).status).toBe('linked');
        const created = await s.createGroup(
          { groupId: G, encryptedAttributes: bytes(40, 1), members: [{ accountId: a, role: 'admin' }, { accountId: b, role: 'member' }] },
          update(a, 0),
          100,
        );
        expect(created).toMatchObject({ status: 'done', revision: 0 });
        return { s, a, b, c, d, created };
      };
      /** The group-update envelopes waiting in a device's queue: [revision marker (content byte), groupId]. */
      const updates = async (s: Storage, accountId: string, deviceId: number) =>
        (await s.pending(accountId, deviceId, 0, 100)).filter((e) => e.messageType === 'group-update').map((e) => [e.content[0], e.groupId]);

      it('are created at revision 0 with their members in order; the update reaches every member device', async () => {
        const { s, a, b, c, created } = await withGroup();
        expect(await s.group(G)).toEqual({
          groupId: G,
          revision: 0,
          encryptedAttributes: bytes(40, 1),
          members: [
            { accountId: a, username: 'alice', role: 'admin', devices: [{ deviceId: 1, registrationId: 101 }, { deviceId: 2, registrationId: 300 }] },
            { accountId: b, username: 'bob', role: 'member', devices: [{ deviceId: 1, registrationId: 102 }] },
          ],
        });
        expect(await updates(s, a, 1)).toEqual([[0, G]]);
        expect(await updates(s, a, 2)).toEqual([[0, G]]);
        expect(await updates(s, b, 1)).toEqual([[0, G]]);
        expect(await updates(s, c, 1)).toEqual([]);
        const [env] = await s.pending(b, 1, 0, 1);
        expect(env).toMatchObject({ sourceAccountId: a, sourceUsername: 'actor', sourceDeviceId: 1, timestamp: 10, serverTimestamp: 20, ephemeral: false, groupId: G });
        if (created.status !== 'done') throw new Error('not created');
        expect(created.envelopes.map((e) => [e.destination.accountId, e.destination.deviceId]).sort()).toEqual([[a, 1], [a, 2], [b, 1]].sort());
        expect(created.envelopes.find((e) => e.destination.accountId === b)?.id).toBe(env!.id);
        // An existing id writes nothing.
        expect(await s.createGroup({ groupId: G, encryptedAttributes: bytes(4, 9), members: [{ accountId: c, role: 'admin' }] }, update(c, 9), 200)).toEqual({ status: 'conflict' });
        expect(await updates(s, c, 1)).toEqual([]);
        expect((await s.group(G))?.encryptedAttributes).toEqual(bytes(40, 1));
        expect(await s.group('ffffffffffffffffffffffffffffffff')).toBeUndefined();
      });

      it('change membership, roles and attributes one revision at a time; removed members hear of it', async () => {
        const { s, a, b, c, d } = await withGroup();
        const r1 = await s.changeGroup({ groupId: G, fromRevision: 0, add: [{ accountId: c, role: 'member' }, { accountId: d, role: 'admin' }], remove: [b], roles: [], encryptedAttributes: bytes(8, 2) }, update(a, 1), 300);
        expect(r1).toMatchObject({ status: 'done', revision: 1 });
        const g = await s.group(G);
        expect(g?.revision).toBe(1);
        expect(g?.encryptedAttributes).toEqual(bytes(8, 2));
        expect(g?.members.map((m) => [m.username, m.role])).toEqual([
          ['alice', 'admin'],
          ['carol', 'member'],
          ['dave', 'admin'],
        ]);
        expect(await updates(s, b, 1)).toEqual([[0, G], [1, G]]);
        expect(await updates(s, c, 1)).toEqual([[1, G]]);
        expect(await updates(s, a, 2)).toEqual([[0, G], [1, G]]);
        const r2 = await s.changeGroup({ groupId: G, fromRevision: 1, add: [], remove: [], roles: [{ accountId: c, role: 'admin' }, { accountId: a, role: 'member' }] }, update(d, 2), 400);
        expect(r2).toMatchObject({ status: 'done', revision: 2 });
        expect((await s.group(G))?.members.map((m) => m.role)).toEqual(['member', 'admin', 'admin']);
        expect((await s.group(G))?.encryptedAttributes).toEqual(bytes(8, 2));
        expect(await updates(s, b, 1)).toEqual([[0, G], [1, G]]);
        expect((await s.groupsOf(c)).map((x) => x.groupId)).toEqual([G]);
        expect(await s.groupsOf(b)).toEqual([]);
        expect(await s.groupCounts([a, b, c])).toEqual(new Map([[a, 1], [c, 1]]));
      });

      it('a change and its update envelopes commit together, or neither does', async () => {
        const { s, a, b, c } = await withGroup();
        // Computed against an old revision: nothing written.
        expect(await s.changeGroup({ groupId: G, fromRevision: 5, add: [{ accountId: c, role: 'member' }], remove: [], roles: [] }, update(a, 1), 300)).toEqual({ status: 'conflict' });
        // A change that cannot be stored (bob is a member already) fails whole.
        await expect(s.changeGroup({ groupId: G, fromRevision: 0, add: [{ accountId: c, role: 'member' }, { accountId: b, role: 'member' }], remove: [], roles: [] }, update(a, 1), 300)).rejects.toThrow();
        expect(await s.changeGroup({ groupId: 'ffffffffffffffffffffffffffffffff', fromRevision: 0, add: [], remove: [], roles: [] }, update(a, 1), 300)).toEqual({ status: 'conflict' });
        const g = await s.group(G);
        expect([g?.revision, g?.members.length]).toEqual([0, 2]);
        expect(await updates(s, c, 1)).toEqual([]);
        expect(await updates(s, b, 1)).toEqual([[0, G]]);
      });

      it('a group whose last member leaves is gone; the leaver hears of it', async () => {
        const { s, a, b } = await withGroup();
        expect(await s.changeGroup({ groupId: G, fromRevision: 0, add: [], remove: [b], roles: [] }, update(b, 1), 300)).toMatchObject({ status: 'done', revision: 1 });
        expect(await s.changeGroup({ groupId: G, fromRevision: 1, add: [], remove: [a], roles: [] }, update(a, 2), 400)).toMatchObject({ status: 'done', revision: 2 });
        expect(await s.group(G)).toBeUndefined();
        expect(await s.groupsOf(a)).toEqual([]);
        expect(await updates(s, a, 2)).toEqual([[0, G], [1, G], [2, G]]);
        // The id can be used again.
        expect((await s.createGroup({ groupId: G, encryptedAttributes: bytes(4, 4), members: [{ accountId: b, role: 'admin' }] }, update(b, 3), 500)).status).toBe('done');
      });

      it('a fanout stores one envelope per device; acks and unlinks of some leave the others whole', async () => {
        const { s, a, b, c } = await withGroup();
        const content = bytes(1000, 7);
        const fields = { sourceAccountId: a, sourceUsername: 'alice', sourceDeviceId: 1, timestamp: 1, serverTimestamp: 2, messageType: 'senderkey' as const, content, ephemeral: false, groupId: G };
        const to = [{ accountId: a, deviceId: 2 }, { accountId: b, deviceId: 1 }, { accountId: c, deviceId: 1 }];
        const [ids, changed, direct] = await s.enqueueBatch([
          { fanout: { envelope: fields, to }, ifGroupRevision: { groupId: G, revision: 0 } },
          { fanout: { envelope: fields, to }, ifGroupRevision: { groupId: G, revision: 1 } },
          { envelopes: [{ ...fields, messageType: 'whisper', groupId: undefined, destinationAccountId: c, destinationDeviceId: 1 }] },
        ]);
        expect(ids).toHaveLength(3);
        expect(changed).toBe('group-changed');
        expect(direct).toHaveLength(1);
        const last = async (acc: string, dev: number) => (await s.pending(acc, dev, 0, 100)).filter((e) => e.messageType !== 'group-update');
        expect((await last(b, 1)).map((e) => [e.id, e.content, e.groupId])).toEqual([[(ids as number[])[1], content, G]]);
        expect((await last(c, 1)).map((e) => [e.messageType, e.groupId])).toEqual([['senderkey', G], ['whisper', undefined]]);
        expect(await s.ackBatch([{ accountId: b, deviceId: 1, id: (ids as number[])[1]! }])).toBe(1);
        expect(await s.unlinkDevice(a, 2, 900)).toBe(true);
        expect((await last(c, 1))[0]?.content).toEqual(content);
        expect(await s.queueLength(c, 1)).toBe(2);
        expect(await s.enqueueBatch([{ fanout: { envelope: fields, to: [] } }])).toEqual([[]]);
        // Unguarded group envelopes and expired ones.
        expect(await s.dropExpiredEphemeral(1_000)).toBe(0);
        expect((await s.accountsByIds([a, c, 'ffffffff-ffff-4fff-8fff-ffffffffffff'])).map((x) => x.username).sort()).toEqual(['alice', 'carol']);
        expect(await s.accountsByIds([])).toEqual([]);
      });
    });

    describe('provisioning channels', () => {
      const channel = (id: string, expiresAt = 10_000) => ({ id, publicKey: bytes(33, 3), readTokenHash: bytes(32, 4), expiresAt });

      it('live until they expire; ids are unique', async () => {
        const s = await fresh();
        expect(await s.openChannel(channel('abcdefghjk'))).toBe(true);
        expect(await s.openChannel(channel('abcdefghjk', 50_000))).toBe(false);
        expect(await s.openChannel(channel('zzzzzzzzzz', 20_000))).toBe(true);
        expect(await s.channel('abcdefghjk', 9_999)).toEqual(channel('abcdefghjk'));
        expect(await s.channel('abcdefghjk', 10_000)).toBeUndefined();
        expect(await s.channel('nonexisten', 0)).toBeUndefined();
        expect(await s.dropExpiredChannels(10_000)).toBe(1);
        expect(await s.channel('zzzzzzzzzz', 10_000)).toBeDefined();
      });

      it('carry one message, once: taken (and gone) by the first read', async () => {
        const s = await fresh();
        await s.openChannel(channel('abcdefghjk'));
        expect(await s.takeChannelMessage('abcdefghjk', 1)).toBeUndefined();
        expect(await s.putChannelMessage('abcdefghjk', bytes(100, 7), 1)).toBe('stored');
        expect(await s.putChannelMessage('abcdefghjk', bytes(100, 8), 1)).toBe('conflict');
        expect(await s.takeChannelMessage('abcdefghjk', 2)).toEqual(bytes(100, 7));
        expect(await s.takeChannelMessage('abcdefghjk', 3)).toBeUndefined();
        expect(await s.putChannelMessage('abcdefghjk', bytes(100, 8), 4)).toBe('conflict');
        expect(await s.putChannelMessage('nonexisten', bytes(100, 8), 4)).toBe('expired');
      });

      it('an expired channel takes no message and gives none', async () => {
        const s = await fresh();
        await s.openChannel(channel('abcdefghjk'));
        await s.openChannel(channel('bcdefghjkm'));
        expect(await s.putChannelMessage('abcdefghjk', bytes(10, 7), 10_000)).toBe('expired');
        expect(await s.putChannelMessage('bcdefghjkm', bytes(10, 7), 9_000)).toBe('stored');
        expect(await s.takeChannelMessage('bcdefghjkm', 10_000)).toBeUndefined();
      });
    });

    describe('keys', () => {
      it('hands out each one-time prekey once, then falls back to the last-resort KEM key', async () => {
        const { s, accounts } = await withAccounts('bob');
        const id = accounts[0]!.account.id;
        await s.storeKeys(id, 1, {
          preKeys: [
            { keyId: 11, publicKey: bytes(33, 11) },
            { keyId: 10, publicKey: bytes(33, 10) },
          ],
          pqPreKeys: [{ keyId: 20, publicKey: bytes(1569, 20), signature: bytes(64, 20) }],
        });
        expect(await s.preKeyCounts(id, 1)).toEqual({ preKeys: 2, pqPreKeys: 1 });
        const taken = [];
        for (let i = 0; i < 3; i++) {
          const k = await s.takeDeviceKeys(id, 1);
          taken.push([k?.preKey?.keyId, k?.pqPreKey.keyId, k?.signedPreKey.keyId, k?.registrationId]);
        }
        expect(taken).toEqual([
          [10, 20, 1, 101],
          [11, 1, 1, 101],
          [undefined, 1, 1, 101],
        ]);
        expect(await s.preKeyCounts(id, 1)).toEqual({ preKeys: 0, pqPreKeys: 0 });
        expect(await s.takeDeviceKeys(id, 2)).toBeUndefined();
      });

      it('replaces the signed and last-resort keys when uploaded, keeps them otherwise', async () => {
        const { s, accounts } = await withAccounts('bob');
        const id = accounts[0]!.account.id;
        await s.storeKeys(id, 1, { signedPreKey: { keyId: 5, publicKey: bytes(33, 5), signature: bytes(64, 5) } });
        let k = await s.takeDeviceKeys(id, 1);
        expect([k?.signedPreKey.keyId, k?.pqPreKey.keyId]).toEqual([5, 1]);
        await s.storeKeys(id, 1, { pqLastResort: { keyId: 6, publicKey: bytes(1569, 6), signature: bytes(64, 6) } });
        k = await s.takeDeviceKeys(id, 1);
        expect([k?.signedPreKey.keyId, k?.pqPreKey.keyId]).toEqual([5, 6]);
        expect(k?.pqPreKey.publicKey).toEqual(bytes(1569, 6));
      });
    });

    describe('message queue', () => {
      it('keeps each device queue in order; pending pages by id; acks delete', async () => {
        const { s, accounts } = await withAccounts('bob');
        const bob = accounts[0]!.account.id;
        const [first, second] = (await s.enqueueBatch([
          { envelopes: [to(bob, 1, 1), to(bob, 2, 2)] },
          { envelopes: [to(bob, 1, 3), to(bob, 1, 4)] },
        ])) as number[][];
        expect(first).toHaveLength(2);
        expect(second).toHaveLength(2);
        const ids1 = [first![0]!, second![0]!, second![1]!];
        expect(ids1).toEqual([...ids1].sort((a, b) => a - b));
        const all = await s.pending(bob, 1, 0, 10);
        expect(all.map((e) => e.id)).toEqual(ids1);
        expect(all.map((e) => e.content[0])).toEqual([1, 3, 4]);
        expect(all[0]).toMatchObject({ ...fields(1), sourceAccountId: all[0]!.sourceAccountId });
        expect((await s.pending(bob, 1, ids1[0]!, 1)).map((e) => e.id)).toEqual([ids1[1]]);
        expect(await s.queueLength(bob, 1)).toBe(3);
        expect(await s.queueLength(bob, 2)).toBe(1);
        expect(await s.ackBatch([{ accountId: bob, deviceId: 1, id: ids1[1]! }, { accountId: bob, deviceId: 2, id: ids1[1]! }, { accountId: bob, deviceId: 1, id: 999_999 }])).toBe(1);
        expect((await s.pending(bob, 1, 0, 10)).map((e) => e.id)).toEqual([ids1[0], ids1[2]]);
        expect(await s.queueLength(bob, 2)).toBe(1);
      });

      it('a batch in which one envelope cannot be stored stores none', async () => {
        const { s, accounts } = await withAccounts('bob');
        const bob = accounts[0]!.account.id;
        const broken = { ...to(bob, 1, 2), content: undefined as unknown as Uint8Array };
        await expect(s.enqueueBatch([{ envelopes: [to(bob, 1, 1)] }, { envelopes: [broken] }])).rejects.toThrow();
        expect(await s.queueLength(bob, 1)).toBe(0);
      });

      it('an ack and an enqueue made together both take effect; a batch that fails beside an ack does not undo it', async () => {
        const { s, accounts } = await withAccounts('bob');
        const bob = accounts[0]!.account.id;
        const [ids] = await s.enqueueBatch([{ envelopes: [to(bob, 1, 1), to(bob, 1, 2)] }]);
        const [first, second] = ids as number[];
        const [acked, [stored]] = await Promise.all([s.ackBatch([{ accountId: bob, deviceId: 1, id: first! }]), s.enqueueBatch([{ envelopes: [to(bob, 1, 3)] }])]);
        expect(acked).toBe(1);
        expect(Array.isArray(stored)).toBe(true);
        expect((await s.pending(bob, 1, 0, 10)).map((e) => e.content[0])).toEqual([2, 3]);
        const broken = { ...to(bob, 1, 5), content: undefined as unknown as Uint8Array };
        const [ack, failed] = await Promise.allSettled([s.ackBatch([{ accountId: bob, deviceId: 1, id: second! }]), s.enqueueBatch([{ envelopes: [to(bob, 1, 4)] }, { envelopes: [broken] }])]);
        expect(ack).toEqual({ status: 'fulfilled', value: 1 });
        expect(failed.status).toBe('rejected');
        expect((await s.pending(bob, 1, 0, 10)).map((e) => e.content[0])).toEqual([3]);
      });

      it('finds full queues among many accounts with one call', async () => {
        const { s, accounts } = await withAccounts('alice', 'bob', 'carol');
        const [a, b, c] = accounts.map((x) => x.account.id) as [string, string, string];
        await s.enqueueBatch([{ envelopes: [to(a, 1, 1), to(a, 1, 2), to(b, 1, 3), to(b, 2, 4), to(b, 2, 5), to(c, 1, 6), to(c, 1, 7)] }]);
        const full = await s.fullQueues([a, b], 2);
        expect(full).toEqual(expect.arrayContaining([{ accountId: a, deviceId: 1 }, { accountId: b, deviceId: 2 }]));
        expect(full).toHaveLength(2);
        expect(await s.fullQueues([], 1)).toEqual([]);
        expect(await s.fullQueues([b], 3)).toEqual([]);
      });

      it('keeps each item within its quota, counted with what is queued and the items before it', async () => {
        const { s, accounts } = await withAccounts('alice', 'bob', 'carol');
        const [a, b, c] = accounts.map((x) => x.account.id) as [string, string, string];
        const quota = { maxPerDevice: 4, maxBytesPerDevice: 1000, maxPerSender: 2, maxSealed: 100 };
        const from = (sender: string, n: number, size = 3) => to(b, 1, n, { sourceAccountId: sender, content: new Uint8Array(size).fill(n) });
        // alice: two fit, the third is over her per-sender quota (nothing of that item is stored).
        const r1 = await s.enqueueBatch([
          { envelopes: [from(a, 1)], quota },
          { envelopes: [from(a, 2)], quota },
          { envelopes: [from(a, 3)], quota },
          { envelopes: [from(c, 4), from(c, 5)], quota },
        ]);
        expect(r1.map((r) => (Array.isArray(r) ? r.length : r))).toEqual([1, 1, 'queue-full', 2]);
        expect(await s.queueLength(b, 1)).toBe(4);
        // The device is full (4): anyone's next is refused; without a quota it is stored.
        const [full] = await s.enqueueBatch([{ envelopes: [from(accounts[1]!.account.id, 6)], quota }]);
        expect(full).toBe('queue-full');
        // A fanout counts as one envelope per destination; bytes are bounded too.
        const [big] = await s.enqueueBatch([{ fanout: { envelope: { ...fields(7), sourceAccountId: a, content: new Uint8Array(600) }, to: [{ accountId: c, deviceId: 1 }] }, quota }]);
        expect(Array.isArray(big)).toBe(true);
        const [tooBig] = await s.enqueueBatch([{ fanout: { envelope: { ...fields(8), sourceAccountId: b, content: new Uint8Array(600) }, to: [{ accountId: c, deviceId: 1 }] }, quota }]);
        expect(tooBig).toBe('queue-full');
        expect(await s.queueLength(c, 1)).toBe(1);
        // Acknowledging makes room again.
        const first = (await s.pending(b, 1, 0, 1))[0]!;
        await s.ackBatch([{ accountId: b, deviceId: 1, id: first.id }]);
        const [again] = await s.enqueueBatch([{ envelopes: [from(a, 9)], quota }]);
        expect(Array.isArray(again)).toBe(true);
        expect(await s.queueLength(b, 1)).toBe(4);
      });

      it('stores sealed envelopes with no source at all, beside identified ones', async () => {
        const { s, accounts } = await withAccounts('alice', 'bob');
        const [a, b] = accounts.map((x) => x.account.id) as [string, string];
        const [ids] = await s.enqueueBatch([{ envelopes: [sealedTo(b, 1, 1), to(b, 1, 2, { sourceAccountId: a })] }]);
        expect(Array.isArray(ids)).toBe(true);
        const [fan] = await s.enqueueBatch([{ fanout: { envelope: sealedFields(3), to: [{ accountId: b, deviceId: 1 }] } }]);
        expect(Array.isArray(fan)).toBe(true);
        const got = await s.pending(b, 1, 0, 10);
        expect(got.map((e) => [e.messageType, e.content[0]])).toEqual([
          ['sealed', 1],
          ['whisper', 2],
          ['sealed', 3],
        ]);
        for (const e of [got[0]!, got[2]!]) {
          expect(Object.keys(e).filter((k) => k.startsWith('source'))).toEqual([]);
          expect(e).toMatchObject({ serverTimestamp: 2000 + e.content[0]!, ephemeral: false });
        }
        expect(got[1]).toMatchObject({ sourceAccountId: a, sourceUsername: 'sender', sourceDeviceId: 1 });
      });

      it('counts sealed envelopes in a bucket of their own, not against any sender', async () => {
        const { s, accounts } = await withAccounts('alice', 'bob');
        const [a, b] = accounts.map((x) => x.account.id) as [string, string];
        const quota = { maxPerDevice: 10, maxBytesPerDevice: 10_000, maxPerSender: 2, maxSealed: 3 };
        const results = await s.enqueueBatch([
          { envelopes: [sealedTo(b, 1, 1), sealedTo(b, 1, 2)], quota },
          { envelopes: [sealedTo(b, 1, 3)], quota },
          // The sealed bucket is full: the fourth is refused, with nothing of its item stored.
          { envelopes: [sealedTo(b, 1, 4)], quota },
          // Identified senders keep their own quota beside it.
          { envelopes: [to(b, 1, 5, { sourceAccountId: a }), to(b, 1, 6, { sourceAccountId: a })], quota },
        ]);
        expect(results.map((r) => (Array.isArray(r) ? r.length : r))).toEqual([2, 1, 'queue-full', 2]);
        expect(await s.queueLength(b, 1)).toBe(5);
        // The whole queue's bound holds for sealed envelopes too.
        const [again] = await s.enqueueBatch([{ envelopes: [sealedTo(b, 1, 7)], quota: { ...quota, maxSealed: 100, maxPerDevice: 5 } }]);
        expect(again).toBe('queue-full');
        const first = (await s.pending(b, 1, 0, 1))[0]!;
        await s.ackBatch([{ accountId: b, deviceId: 1, id: first.id }]);
        const [room] = await s.enqueueBatch([{ envelopes: [sealedTo(b, 1, 8)], quota }]);
        expect(Array.isArray(room)).toBe(true);
      });

      it('holds a quota exactly when many batches race for one queue', async () => {
        const { s, accounts } = await withAccounts('alice', 'bob');
        const [a, b] = accounts.map((x) => x.account.id) as [string, string];
        const quota = { maxPerDevice: 25, maxBytesPerDevice: 1_000_000, maxPerSender: 1000, maxSealed: 1000 };
        const results = await Promise.all(Array.from({ length: 60 }, (_, i) => s.enqueueBatch([{ envelopes: [to(b, 1, i, { sourceAccountId: a })], quota }])));
        expect(results.filter(([r]) => Array.isArray(r)).length).toBe(25);
        expect(await s.queueLength(b, 1)).toBe(25);
      });

      it('decides every quota as the queued rows say, after any mix of sends, acks, failed batches, expiries and unlinks', async () => {
        // Why a property: an adapter may keep the figures in memory (SQLite does); every
        // decision must still match a count of what the queues hold at that moment.
        const quota = { maxPerDevice: 6, maxBytesPerDevice: 40, maxPerSender: 3, maxSealed: 2 };
        const who = fc.constantFrom<'alice' | 'carol' | 'sealed'>('alice', 'carol', 'sealed');
        const item = fc.record({ from: who, toBob: fc.boolean(), toCarol: fc.boolean(), size: fc.integer({ min: 1, max: 12 }), ephemeral: fc.boolean(), fanout: fc.boolean() });
        const op = fc.oneof(
          { weight: 5, arbitrary: fc.record({ kind: fc.constant('send' as const), items: fc.array(item, { minLength: 1, maxLength: 3 }) }) },
          { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), carol: fc.boolean(), pick: fc.nat(), twice: fc.boolean() }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('broken' as const) }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlink' as const) }) },
        );
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
            const { s, accounts } = await withAccounts('alice', 'bob', 'carol');
            const [a, b, c] = accounts.map((x) => x.account.id) as [string, string, string];
            // Bob's second device: the one an unlink removes (with its queue).
            await s.createLinkToken(b, bytes(32, 9), Number.MAX_SAFE_INTEGER);
            expect(await s.linkDevice(bytes(32, 9), { registrationId: 9, passwordHash: bytes(32, 9) }, sampleKeys(9), 1, LIMITS6)).toMatchObject({ deviceId: 2 });
            let bobDevices = [1, 2];
            const queues = () => [...bobDevices.map((d) => ({ accountId: b, deviceId: d })), { accountId: c, deviceId: 1 }];
            let n = 0;
            for (const o of ops) {
              if (o.kind === 'send') {
                // What each queue holds now, counted from its rows.
                const held = new Map<string, { n: number; bytes: number; by: Map<string, number> }>();
                for (const q of queues()) {
                  const rows = await s.pending(q.accountId, q.deviceId, 0, 1000);
                  const by = new Map<string, number>();
                  for (const r of rows) by.set(r.sourceAccountId ?? '', (by.get(r.sourceAccountId ?? '') ?? 0) + 1);
                  held.set(`${q.accountId}.${q.deviceId}`, { n: rows.length, bytes: rows.reduce((t, r) => t + r.content.length, 0), by });
                }
                const batch = o.items.map((it) => {
                  const sender = it.from === 'alice' ? a : it.from === 'carol' ? c : undefined;
                  const content = bytes(it.size, ++n);
                  const extra = { ephemeral: it.ephemeral, serverTimestamp: it.ephemeral ? 100 : 10_000, content };
                  const f = sender === undefined ? { ...sealedFields(n), ...extra } : fields(n, { ...extra, sourceAccountId: sender });
                  const dest = [...(it.toBob ? bobDevices.map((d) => ({ accountId: b, deviceId: d })) : []), ...(it.toCarol && sender !== c ? [{ accountId: c, deviceId: 1 }] : [])];
                  return {
                    sender,
                    dest,
                    size: it.size,
                    item: it.fanout ? { fanout: { envelope: f, to: dest }, quota } : { envelopes: dest.map((d) => ({ ...f, destinationAccountId: d.accountId, destinationDeviceId: d.deviceId })), quota },
                  };
                });
                const results = await s.enqueueBatch(batch.map((x) => x.item));
                batch.forEach((x, i) => {
                  const fits = x.dest.every((d) => {
                    const h = held.get(`${d.accountId}.${d.deviceId}`)!;
                    const mine = h.by.get(x.sender ?? '') ?? 0;
                    return h.n + 1 <= quota.maxPerDevice && h.bytes + x.size <= quota.maxBytesPerDevice && mine + 1 <= (x.sender === undefined ? quota.maxSealed : quota.maxPerSender);
                  });
                  expect(Array.isArray(results[i]) ? 'stored' : results[i]).toBe(fits ? 'stored' : 'queue-full');
                  if (!fits) return;
                  for (const d of x.dest) {
                    const h = held.get(`${d.accountId}.${d.deviceId}`)!;
                    h.n++;
                    h.bytes += x.size;
                    h.by.set(x.sender ?? '', (h.by.get(x.sender ?? '') ?? 0) + 1);
                  }
                });
              } else if (o.kind === 'ack') {
                const q = o.carol ? { accountId: c, deviceId: 1 } : { accountId: b, deviceId: 1 };
                const rows = await s.pending(q.accountId, q.deviceId, 0, 1000);
                const row = rows[o.pick % Math.max(1, rows.length)];
                const id = row?.id ?? 1_000_000 + o.pick;
                expect(await s.ackBatch([{ ...q, id }])).toBe(row ? 1 : 0);
                // Acknowledging again (or an id that never was) deletes nothing and frees nothing.
                if (o.twice) expect(await s.ackBatch([{ ...q, id }])).toBe(0);
              } else if (o.kind === 'broken') {
                const broken = { ...to(b, 1, ++n, { sourceAccountId: a }), content: undefined as unknown as Uint8Array };
                await expect(s.enqueueBatch([{ envelopes: [to(b, 1, ++n, { sourceAccountId: a, content: bytes(1, n) })], quota }, { envelopes: [broken] }])).rejects.toThrow();
              } else if (o.kind === 'expire') {
                await s.dropExpiredEphemeral(5_000);
              } else if (bobDevices.includes(2)) {
                expect(await s.unlinkDevice(b, 2, 50)).toBe(true);
                bobDevices = [1];
              }
            }
          }),
          { numRuns: 25 },
        );
      });

      it('drops ephemeral envelopes older than the cut-off, and nothing else', async () => {
        const { s, accounts } = await withAccounts('bob');
        const bob = accounts[0]!.account.id;
        await s.enqueueBatch([
          {
            envelopes: [
              to(bob, 1, 1, { ephemeral: true, serverTimestamp: 100 }),
              to(bob, 1, 2, { ephemeral: false, serverTimestamp: 100 }),
              to(bob, 1, 3, { ephemeral: true, serverTimestamp: 500 }),
            ],
          },
        ]);
        expect(await s.dropExpiredEphemeral(200)).toBe(1);
        const left = await s.pending(bob, 1, 0, 10);
        expect(left.map((e) => [e.content[0], e.ephemeral])).toEqual([
          [2, false],
          [3, true],
        ]);
      });
    });

    describe('attachments', () => {
      const A = 'a'.repeat(32);
      const B = 'b'.repeat(32);
      const C = 'c'.repeat(32);
      const owner = randomUUID();
      const upload = (id: string, size = 100, createdAt = 1_000, expiresAt = 2_000) => ({ id, ownerAccountId: owner, ownerDeviceId: 2, size, createdAt, expiresAt });

      it('an upload commits forward only from where it is; finishing sets its final expiry', async () => {
        const s = await fresh();
        expect(await s.createAttachment(upload(A))).toBe(true);
        expect(await s.createAttachment(upload(A, 5))).toBe(false);
        expect(await s.attachment(A)).toEqual({ ...upload(A), committed: 0 });
        expect(await s.attachment(B)).toBeUndefined();
        expect(await s.commitAttachment(A, 0, 40, 9_000)).toBe(true);
        // Stale `from`: someone else moved it first; nothing changes.
        expect(await s.commitAttachment(A, 0, 60, 9_000)).toBe(false);
        // Past the size: refused.
        expect(await s.commitAttachment(A, 40, 101, 9_000)).toBe(false);
        expect(await s.attachment(A)).toMatchObject({ committed: 40, expiresAt: 2_000 });
        expect(await s.commitAttachment(A, 40, 100, 9_000)).toBe(true);
        expect(await s.attachment(A)).toMatchObject({ committed: 100, expiresAt: 9_000 });
        expect(await s.commitAttachment(B, 0, 1, 9_000)).toBe(false);
      });

      it('counts unfinished uploads per account; lists expired ones; deletes', async () => {
        const s = await fresh();
        await s.createAttachment(upload(A, 100, 1_000, 2_000));
        await s.createAttachment(upload(B, 10, 1_000, 3_000));
        await s.createAttachment({ ...upload(C, 10, 1_000, 1_500), ownerAccountId: randomUUID() });
        expect(await s.pendingUploads(owner)).toBe(2);
        await s.commitAttachment(B, 0, 10, 50_000);
        expect(await s.pendingUploads(owner)).toBe(1);
        expect(await s.expiredAttachments(1_499, 10)).toEqual([]);
        expect(await s.expiredAttachments(2_000, 10)).toEqual([C, A]);
        expect(await s.expiredAttachments(2_000, 1)).toEqual([C]);
        expect(await s.existingAttachments([A, B, 'd'.repeat(32)])).toEqual(new Set([A, B]));
        expect(await s.existingAttachments([])).toEqual(new Set());
        await s.deleteAttachment(A);
        await s.deleteAttachment(A);
        expect(await s.attachment(A)).toBeUndefined();
        expect(await s.expiredAttachments(100_000, 10)).toEqual([C, B]);
      });
    });

    describe('profiles', () => {
      const profile = (accountId: string, n: number, avatar?: Uint8Array) => ({
        accountId,
        version: n.toString(16).padStart(64, '0'),
        name: bytes(81, n),
        avatar,
        accessKey: bytes(16, n),
        updatedAt: 1_000 + n,
      });

      it('keeps one current profile per account; setting one replaces it entirely', async () => {
        const s = await fresh();
        const a = sampleAccount('alice', 1);
        const b = sampleAccount('bob', 2);
        await s.createAccount(a.account, a.device, a.keys, 1);
        await s.createAccount(b.account, b.device, b.keys, 1);
        expect(await s.profile(a.account.id)).toBeUndefined();
        expect(await s.accessKey(a.account.id)).toBeUndefined();
        await s.setProfile(profile(a.account.id, 1, bytes(5_000, 9)));
        await s.setProfile(profile(b.account.id, 2));
        expect(await s.profile(a.account.id)).toEqual(profile(a.account.id, 1, bytes(5_000, 9)));
        expect(await s.accessKey(a.account.id)).toEqual(bytes(16, 1));
        // A new version (a rotated key) drops the picture it does not carry.
        await s.setProfile(profile(a.account.id, 3));
        expect(await s.profile(a.account.id)).toEqual(profile(a.account.id, 3));
        expect(await s.accessKey(a.account.id)).toEqual(bytes(16, 3));
        expect(await s.profile(b.account.id)).toEqual(profile(b.account.id, 2));
        expect(await s.accessKey(randomUUID())).toBeUndefined();
      });
    });
  });
}
