// Delete for me through a real server: a message (someone else's text, a file) goes
// from every device of ours and from search, its file with it; the other person keeps
// theirs; a change that comes later for it does not bring it back.
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource, type StoredMessage } from '../src/index.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const bodies = (p: Person, with_: string) => p.client.messages(with_).map((m) => m.body);
const find = (p: Person, m: StoredMessage) => p.store.messages.find(m.senderAccountId, m.clientId);

describe('delete for me', () => {
  it("removes someone else's text and file from all our devices and search only; they keep theirs", async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const alice2 = await linkedDevice(server, alice);
    await alice.client.sendText('bob', 'hi bob');
    await bob.receives('hi bob');
    await bob.client.acceptRequest('alice');
    await Promise.all([alice, alice2].map((p) => p.client.acceptRequest('bob').catch(() => undefined)));

    await bob.client.sendText('alice', 'keep this');
    const secret = await bob.client.sendText('alice', 'the door code is 4711');
    const file = new Uint8Array(2048).fill(7);
    const sentFile = await bob.client.attachments.send('alice', bytesSource(file), { fileName: 'code.txt', contentType: 'text/plain' });
    for (const p of [alice, alice2]) {
      await p.receives('the door code is 4711');
      await p.waitFor((e) => e.type === 'attachment' && e.message.clientId === sentFile.clientId && e.message.attachment?.state === 'downloaded', `${p.name}: file downloaded`);
    }
    const onAlice = [find(alice, secret)!, find(alice, sentFile)!];

    await alice.client.deleteForMe(...onAlice);
    for (const p of [alice, alice2]) {
      await p.waitFor(() => find(p, secret) === undefined && find(p, sentFile) === undefined, `${p.name}: both gone`);
      expect(bodies(p, 'bob'), p.name).toEqual(['hi bob', 'keep this']);
      expect(p.client.search('door code'), p.name).toEqual([]);
      await expect(p.client.attachments.open(onAlice[1]!), p.name).rejects.toMatchObject({ code: expect.stringMatching(/UNKNOWN_MESSAGE|ATTACHMENT_UNAVAILABLE/) });
    }
    // Bob keeps everything he sent.
    expect(bodies(bob, 'alice')).toEqual(['hi bob', 'keep this', 'the door code is 4711', '']);

    // A reaction to the deleted message arrives later: it is dropped, nothing comes back.
    await bob.client.react(secret, '👍');
    await bob.client.sendText('alice', 'after the reaction');
    for (const p of [alice, alice2]) {
      await p.receives('after the reaction');
      expect(find(p, secret), p.name).toBeUndefined();
    }
    await expect(alice.client.deleteForMe(onAlice[0]!)).rejects.toMatchObject({ code: 'UNKNOWN_MESSAGE' });
  });

  it('our own message and a deleted-for-everyone tombstone go too, from our devices only', async () => {
    const server = await startServer();
    const carol = await registered(server, 'carol');
    const dave = await registered(server, 'dave');
    const carol2 = await linkedDevice(server, carol);
    const mine = await carol.client.sendText('dave', 'typo here');
    const gone = await carol.client.sendText('dave', 'oops');
    await Promise.all([dave.receives('oops'), carol2.receives('oops')]);
    await carol.client.deleteMessage(gone);
    await carol2.waitFor(() => find(carol2, gone)?.deleted === true, 'carol-2: tombstone');
    await carol.client.deleteForMe(find(carol, mine)!, find(carol, gone)!);
    for (const p of [carol, carol2]) await p.waitFor(() => p.client.messages('dave').length === 0, `${p.name}: chat empty`);
    expect(bodies(dave, 'carol')).toEqual(['typo here', 'This message was deleted'].map((b, i) => (i === 1 ? dave.client.messages('carol')[1]!.body : b)));
    expect(dave.client.messages('carol').map((m) => !!m.deleted)).toEqual([false, true]);
  });
});
