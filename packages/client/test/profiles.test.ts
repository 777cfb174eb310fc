// Encrypted profiles through a real server: the profile key reaches contacts only
// (writing first or accepting shares it; a stranger's request does not get it), a
// profile name and picture set on one device are read by contacts and by our other
// devices, a stranger learns nothing, blocking rotates the key so the blocked person
// is locked out while everyone else follows, and a profile that does not decrypt is
// a typed error, never a garbage name.
import { afterAll, describe, expect, it } from 'vitest';
import { profileKeys } from '../src/test-support.ts';
import { ClientError, deriveAccessKey, WireError, type ClientEvent } from '../src/index.ts';
import { profileVersion } from '../src/profiles/cipher.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const PICTURE = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
const idOf = (p: Person) => p.client.account!.accountId;
const changed = (who: Person) => (e: ClientEvent) => e.type === 'profile-changed' && e.accountId === idOf(who);
const ownKey = (p: Person) => p.store.profile.get()?.key;

describe('profiles', () => {
  it('the key goes to contacts only; name and picture reach them and our other devices; strangers learn nothing', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const carol = await registered(server, 'carol');
    // Bob writes to alice: he shares his key; she is a stranger to him until... she is not: he wrote first.
    await bob.client.sendText('alice', 'hi alice');
    await alice.receives('hi alice');
    await alice.waitFor(changed(bob), "bob's profile key");
    expect(alice.store.contacts.byUsername('bob')?.profileKey).toEqual(ownKey(bob));
    // Alice has not accepted: bob is still a stranger to her, and has not got her key.
    expect((await profileKeys(alice.client, idOf(bob))).contact).toBeUndefined();
    expect(bob.store.contacts.byUsername('alice')?.profileKey).toBeUndefined();
    await alice.client.acceptRequest('bob');
    await bob.waitFor(changed(alice), "alice's profile key");
    const aliceKey = (await profileKeys(alice.client)).own;
    expect(aliceKey).toHaveLength(32);
    expect((await profileKeys(bob.client, idOf(alice))).contact).toEqual(aliceKey);
    expect((await profileKeys(alice.client, idOf(bob))).contact).toEqual(ownKey(bob));
    // The access key the server has is the one derived from her key.
    expect(await server.storage.accessKey(idOf(alice))).toEqual(deriveAccessKey(aliceKey));

    const alice2 = await linkedDevice(server, alice);
    expect(ownKey(alice2)).toEqual(aliceKey);

    const before = bob.events.length;
    expect(await alice.client.setProfile({ name: 'Alice Smith', avatar: PICTURE })).toEqual({ name: 'Alice Smith', avatar: PICTURE });
    expect(await alice.client.profile()).toEqual({ name: 'Alice Smith', avatar: PICTURE });
    // Bob is told (her key again), fetches and decrypts it.
    await bob.waitFor((e) => changed(alice)(e) && bob.events.indexOf(e) >= before, "alice's new profile");
    expect(await bob.client.profileOf('alice')).toEqual({ name: 'Alice Smith', avatar: PICTURE });
    expect(bob.client.profileName('alice')).toBe('Alice Smith');
    // Her other device fetched it too.
    await alice2.waitFor((e) => changed(alice)(e) && alice2.store.profile.get()?.name === 'Alice Smith', 'the profile on the linked device');
    expect(await alice2.client.profile()).toEqual({ name: 'Alice Smith', avatar: PICTURE });
    // Carol never got the key: nothing, and the server answers her guess like an unknown user.
    expect(await carol.client.profileOf('alice')).toEqual({});
    const guess = await carol.client.http.profile('alice', profileVersion(new Uint8Array(32).fill(1))).catch((e: unknown) => e);
    expect(guess).toBeInstanceOf(WireError);
    expect((guess as WireError).code).toBe('UNKNOWN_USER');
    // Removing the picture keeps the name.
    await alice.client.setProfile({ avatar: null });
    expect(await alice.client.profile()).toEqual({ name: 'Alice Smith' });
    // Bad input: typed, nothing changed.
    for (const bad of [{ name: 'x'.repeat(129) }, { name: 'evil\u202Eeman' }, { avatar: new Uint8Array(512 * 1024 + 1) }]) {
      const e = await alice.client.setProfile(bad).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ClientError);
      expect((e as ClientError).code).toBe('INVALID_PROFILE');
    }
    expect(await alice.client.profile()).toEqual({ name: 'Alice Smith' });
  });

  it('blocking rotates the key: the blocked person cannot fetch the new profile or derive the access key; the others can', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const carol = await registered(server, 'carol');
    await alice.client.setProfile({ name: 'Alice' });
    for (const p of [bob, carol]) {
      await alice.client.sendText(p.name, `hi ${p.name}`);
      await p.waitFor(changed(alice), `alice's key at ${p.name}`);
      expect(await p.client.profileOf('alice')).toEqual({ name: 'Alice' });
    }
    const alice2 = await linkedDevice(server, alice);
    const oldKey = ownKey(alice)!;
    await alice.client.blockContact('bob');
    const newKey = ownKey(alice)!;
    expect(newKey).not.toEqual(oldKey);
    expect(await server.storage.accessKey(idOf(alice))).toEqual(deriveAccessKey(newKey));
    await alice.client.setProfile({ name: 'Alice After' });
    // Carol and alice's other device follow.
    await carol.waitFor(() => carol.store.contacts.byUsername('alice')?.profileName === 'Alice After', 'the new profile at carol');
    expect(carol.store.contacts.byUsername('alice')?.profileKey).toEqual(newKey);
    expect(await carol.client.profileOf('alice')).toEqual({ name: 'Alice After' });
    await alice2.waitFor(() => alice2.store.profile.get()?.name === 'Alice After', 'the new profile on the linked device');
    expect(ownKey(alice2)).toEqual(newKey);
    // Bob still has the old key only: the server does not answer it, and what he can derive is not her access key.
    const bobsKey = bob.store.contacts.byUsername('alice')!.profileKey!;
    expect(bobsKey).toEqual(oldKey);
    const tried = await bob.client.http.profile('alice', profileVersion(bobsKey)).catch((e: unknown) => e);
    expect((tried as WireError).code).toBe('UNKNOWN_USER');
    expect(deriveAccessKey(bobsKey)).not.toEqual(await server.storage.accessKey(idOf(alice)));
    const seen = await bob.client.profileOf('alice');
    expect(seen.name).not.toBe('Alice After');
  });

  it('a profile that does not decrypt is PROFILE_UNREADABLE, never a garbage name', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    // Her key was made on connect and uploaded in the background (under the lock, before this).
    const key = (await profileKeys(alice.client)).own;
    expect(alice.store.profile.get()?.uploaded).toBe(true);
    // What the server keeps under her version is not sealed with her key (a hostile server, or a bug).
    await alice.client.http.setProfile({ version: profileVersion(key), name: new Uint8Array(81).fill(5), accessKey: deriveAccessKey(key) });
    await alice.client.sendText('bob', 'hi');
    await bob.waitFor(changed(alice), "alice's key");
    const e = await bob.client.profileOf('alice').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).code).toBe('PROFILE_UNREADABLE');
    expect(bob.client.profileName('alice')).toBeUndefined();
  });
});
