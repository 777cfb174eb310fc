// Replies, reactions, edits and deletes for everyone through a real server: in a
// direct chat with a linked device of the sender (it sees the same changes), and in
// a group; only the author edits or deletes, only within 24 hours; a change that
// names a message in another conversation, or someone else's message, is dropped.
import { afterAll, describe, expect, it } from 'vitest';
import { sendRawContent } from '../src/test-support.ts';
import { CHANGE_WINDOW_MS, ClientError, DELETED_TEXT, displayText, groupConversation, shortId, type ClientEvent, type StoredMessage } from '../src/index.ts';
import { linkedDevice, registered, startServer, stopAll, type Person } from './harness.ts';

afterAll(stopAll);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `p` has a `message-changed` event of `change` for the message with content id `id` that satisfies `pred`. */
function changed(p: Person, change: 'reaction' | 'edit' | 'delete', id: string, pred: (m: StoredMessage) => boolean = () => true) {
  return p.waitFor((e) => e.type === 'message-changed' && e.change === change && e.message.clientId === id && pred(e.message), `${p.name}: ${change} of ${id}`) as Promise<Extract<ClientEvent, { type: 'message-changed' }>>;
}

function stored(p: Person, m: StoredMessage): StoredMessage {
  return p.store.messages.find(m.senderAccountId, m.clientId)!;
}

describe('replies, reactions, edits and deletes', () => {
  it('in a direct chat: every device of both people sees the same reply, reactions, edit and tombstone', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const alice2 = await linkedDevice(server, alice);
    const question = await alice.client.sendText('bob', 'climbing on Saturday?');
    await Promise.all([bob.receives('climbing on Saturday?'), alice2.receives('climbing on Saturday?')]);
    await bob.client.acceptRequest('alice');

    // Bob replies: the quote names alice's message and carries its start.
    const onBob = bob.client.findMessage('alice', shortId(question));
    expect(onBob.clientId).toBe(question.clientId);
    const reply = await bob.client.reply(onBob, 'yes, 9 am');
    expect(reply.quote).toEqual({ id: question.clientId, author: alice.client.account!.accountId, text: 'climbing on Saturday?' });
    for (const p of [alice, alice2]) {
      const got = (await p.receives('yes, 9 am')) as Extract<ClientEvent, { type: 'message' }>;
      expect(got.message.quote, p.name).toEqual(reply.quote);
    }

    // Reactions: one per person; a new one replaces, removal takes it away.
    await bob.client.react(onBob, '👍');
    await Promise.all([alice, alice2].map((p) => changed(p, 'reaction', question.clientId, (m) => m.reactions?.[0]?.emoji === '👍')));
    await bob.client.react(onBob, '❤️');
    await alice.client.react(question, '😂');
    for (const p of [alice, alice2, bob]) {
      await p.waitFor(() => stored(p, question).reactions?.length === 2 && stored(p, question).reactions!.some((r) => r.emoji === '❤️'), `${p.name}: two reactions`);
      expect(stored(p, question).reactions!.map((r) => r.emoji).sort(), p.name).toEqual(['❤️', '😂'].sort());
    }
    await bob.client.removeReaction(onBob);
    for (const p of [alice, alice2]) await p.waitFor(() => stored(p, question).reactions?.length === 1, `${p.name}: bob's reaction gone`);
    expect(stored(alice, question).reactions).toEqual([{ author: alice.client.account!.accountId, emoji: '😂', ts: expect.any(Number) }]);
    await expect(bob.client.react(onBob, 'nice')).rejects.toMatchObject({ code: 'INVALID_REACTION' });

    // Edit: only the author; everyone sees the new text and how often it changed.
    await expect(bob.client.editMessage(onBob, 'hacked')).rejects.toMatchObject({ code: 'NOT_EDITABLE' });
    await alice.client.editMessage(question, 'climbing on Sunday?');
    const edited = await alice.client.editMessage(question, 'climbing on Sunday? (not Saturday)');
    expect(edited).toMatchObject({ body: 'climbing on Sunday? (not Saturday)', edits: 2 });
    for (const p of [bob, alice2]) await p.waitFor(() => stored(p, question).edits === 2, `${p.name}: two edits`);
    expect(stored(bob, question)).toMatchObject({ body: 'climbing on Sunday? (not Saturday)', edits: 2 });
    expect(stored(alice2, question)).toMatchObject({ body: 'climbing on Sunday? (not Saturday)', edits: 2 });

    // Delete for everyone: a tombstone on every device, the reply keeps its quote.
    await expect(bob.client.deleteMessage(onBob)).rejects.toBeInstanceOf(ClientError);
    const gone = await alice.client.deleteMessage(question);
    expect(gone).toMatchObject({ deleted: true, body: '' });
    expect(gone.reactions).toBeUndefined();
    expect(displayText(gone)).toBe(DELETED_TEXT);
    for (const p of [bob, alice2]) {
      const e = await changed(p, 'delete', question.clientId);
      expect(e.message).toMatchObject({ deleted: true, body: '' });
    }
    await expect(alice.client.editMessage(gone, 'back')).rejects.toMatchObject({ code: 'NOT_EDITABLE' });
    await expect(bob.client.react(stored(bob, gone), '👍')).rejects.toMatchObject({ code: 'NOT_EDITABLE' });
    expect(stored(bob, reply).quote?.id).toBe(question.clientId);
  });

  it('forged changes are dropped: someone else\'s message, another conversation, after 24 hours, a stranger naming our own devices', async () => {
    const server = await startServer();
    const alice = await registered(server, 'alice');
    const bob = await registered(server, 'bob');
    const carol = await registered(server, 'carol');
    const mine = await alice.client.sendText('bob', 'original');
    await bob.receives('original');
    await carol.client.sendText('bob', 'from carol');
    const carols = ((await bob.receives('from carol')) as Extract<ClientEvent, { type: 'message' }>).message;
    const head = () => ({ v: 1 as const, id: crypto.randomUUID(), ts: Date.now() });
    // Carol edits and deletes alice's message; reacts to it from outside its conversation.
    await sendRawContent(carol.client, 'bob', { ...head(), kind: 'edit', target: mine.clientId, text: 'forged' });
    await sendRawContent(carol.client, 'bob', { ...head(), kind: 'delete', target: mine.clientId });
    await sendRawContent(carol.client, 'bob', { ...head(), kind: 'reaction', target: { author: mine.senderAccountId, id: mine.clientId }, emoji: '💩' });
    // Carol claims to be bob's own device telling it about a direct chat.
    await sendRawContent(carol.client, 'bob', { ...head(), kind: 'delete', target: carols.clientId, to: `direct:${alice.client.account!.accountId}` });
    // Alice edits her own message 25 hours after sending it.
    await sendRawContent(alice.client, 'bob', { v: 1, id: crypto.randomUUID(), ts: mine.timestamp + CHANGE_WINDOW_MS + 3600_000, kind: 'edit', target: mine.clientId, text: 'too late' });
    // A marker after all of them: once it is here, the forgeries were processed.
    await carol.client.sendText('bob', 'marker');
    await bob.receives('marker');
    await sleep(200);
    expect(bob.events.filter((e) => e.type === 'message-changed')).toEqual([]);
    expect(stored(bob, mine)).toMatchObject({ body: 'original' });
    expect(stored(bob, mine).reactions).toBeUndefined();
    expect(stored(bob, carols).deleted).toBeUndefined();
  });

  it('in a group: reactions from several members, an edit and a delete reach every member and the sender\'s linked device', async () => {
    const server = await startServer();
    const [alice, bob, carl] = [await registered(server, 'alice'), await registered(server, 'bob'), await registered(server, 'carl')];
    const alice2 = await linkedDevice(server, alice);
    const g = await alice.client.groups.create('Climbing', ['bob', 'carl']);
    for (const p of [bob, carl, alice2]) await p.waitFor(() => p.client.groups.list().some((x) => x.groupId === g.groupId && x.name === 'Climbing'), `${p.name} sees the group`);
    const m = await alice.client.groups.send(g.groupId, 'rope or no rope?');
    await Promise.all([bob, carl, alice2].map((p) => p.receives('rope or no rope?')));
    const onBob = bob.client.findMessage('Climbing', m.clientId.slice(0, 6));
    const reply = await bob.client.reply(onBob, 'rope!');
    await Promise.all([alice, carl, alice2].map((p) => p.receives('rope!')));
    expect(stored(carl, reply).quote).toEqual({ id: m.clientId, author: alice.client.account!.accountId, text: 'rope or no rope?' });
    await bob.client.react(onBob, '🧗');
    await carl.client.react(stored(carl, m), '🪢');
    for (const p of [alice, bob, carl, alice2]) await p.waitFor(() => (stored(p, m).reactions?.length ?? 0) === 2, `${p.name}: two reactions`);
    await alice2.client.editMessage(stored(alice2, m), 'rope, definitely');
    for (const p of [alice, bob, carl]) await p.waitFor(() => stored(p, m).body === 'rope, definitely', `${p.name}: the edit`);
    await alice.client.deleteMessage(stored(alice, m));
    for (const p of [bob, carl, alice2]) await changed(p, 'delete', m.clientId);
    for (const p of [alice, bob, carl, alice2]) {
      const texts = p.client.messages(groupConversation(g.groupId)).filter((x) => x.kind === 'text');
      expect(texts.map(displayText), p.name).toEqual([DELETED_TEXT, 'rope!']);
    }
  });
});
