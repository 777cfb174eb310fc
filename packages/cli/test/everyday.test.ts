// The everyday commands through the real CLI and a real server process: message ids
// in `inbox`, reply, react (and --remove), edit, delete (and --for-me), and their errors.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteClientStore } from '@parley/client/node';
import { cli, removeTempDirs, startServer, tempDir, type RunningServer } from './harness.ts';

const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  removeTempDirs();
});

async function setup() {
  const s = await startServer(tempDir('srv'));
  servers.push(s);
  const home = tempDir('home');
  const env = { PARLEY_SERVER: s.url };
  const run = async (profile: string, ...args: string[]) => cli(home, ['--profile', profile, ...args], env);
  const ok = async (profile: string, ...args: string[]) => {
    const r = await run(profile, ...args);
    expect(r.code, `${profile} ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  return { s, home, env, run, ok };
}

describe('CLI: replies, reactions, edits, deletes', () => {
  it('inbox shows ids; reply, react, edit and delete by id show readably on the other side', { timeout: 240_000 }, async () => {
    const { run, ok } = await setup();
    await ok('ana', 'register', 'ana');
    await ok('ben', 'register', 'ben');
    await ok('ana', 'send', 'ben', 'climbing on Saturday?');
    const first = await ok('ben', 'inbox');
    const id = /\[[^\]]* #([0-9a-f]{8})\] ana \(message request\): climbing on Saturday\?/.exec(first)?.[1];
    expect(id, first).toBeDefined();
    await ok('ben', 'accept', 'ana');
    expect(await ok('ben', 'reply', 'ana', id!, 'yes,', '9', 'am')).toContain('Replied to "climbing on Saturday?"');
    expect(await ok('ben', 'react', 'ana', id!, '👍')).toContain('Reacted 👍');
    const anaInbox = await ok('ana', 'inbox');
    expect(anaInbox).toMatch(new RegExp(`ben reacted 👍 to #${id} "climbing on Saturday\\?"`));
    expect(anaInbox).toMatch(new RegExp(`#[0-9a-f]{8}\\] ben: \\[reply to you #${id}: "climbing on Saturday\\?"\\] yes, 9 am`));
    // Only the author edits or deletes; ids must name a message; a reaction is an emoji.
    const notMine = await run('ben', 'edit', 'ana', id!, 'hacked');
    expect(notMine.code).toBe(1);
    expect(notMine.stderr).toContain('NOT_EDITABLE: only its author can edit or delete a message for everyone');
    const unknown = await run('ben', 'reply', 'ana', 'ffffffff', 'hm');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_MESSAGE: no message ffffffff in this conversation');
    const word = await run('ben', 'react', 'ana', id!, 'nice');
    expect(word.code).toBe(1);
    expect(word.stderr).toContain('INVALID_REACTION');
    expect(await ok('ana', 'edit', 'ben', id!, 'climbing on Sunday?')).toContain('Edited your message (1 edit)');
    expect(await ok('ben', 'react', 'ana', id!, '--remove')).toContain('Took back your reaction');
    const benSees = await ok('ben', 'inbox');
    expect(benSees).toMatch(new RegExp(`ana edited #${id}: climbing on Sunday\\?`));
    expect(await ok('ana', 'inbox')).toMatch(new RegExp(`ben took back a reaction to #${id}`));
    expect(await ok('ana', 'delete', 'ben', `#${id}`)).toContain('Deleted "climbing on Sunday?" for everyone');
    expect(await ok('ben', 'inbox')).toMatch(new RegExp(`ana deleted #${id} for everyone`));
    // Delete for me: anyone's message, gone from this profile (and search) only.
    const replyId = /#([0-9a-f]{8})\] ben: \[reply/.exec(anaInbox)?.[1];
    expect(replyId, anaInbox).toBeDefined();
    expect(await ok('ana', 'delete', 'ben', replyId!, '--for-me')).toContain('Deleted "yes, 9 am" from your devices (the others in the chat keep it)');
    expect(await ok('ana', 'search', '9 am')).not.toContain('yes, 9 am');
    expect(await ok('ben', 'search', '9 am')).toContain('yes, 9 am');
    const again = await run('ana', 'delete', 'ben', replyId!, '--for-me');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('UNKNOWN_MESSAGE');
  });
});

describe('CLI: disappearing messages', () => {
  it('disappear sets the timer for both sides with a system line; a read message is gone from the profile after the timer', { timeout: 240_000 }, async () => {
    const { home, run, ok } = await setup();
    await ok('cid', 'register', 'cid');
    await ok('dot', 'register', 'dot');
    await ok('cid', 'send', 'dot', 'hello');
    await ok('dot', 'inbox');
    await ok('dot', 'accept', 'cid');
    const bad = await run('cid', 'disappear', 'dot', '5 years');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_TIMER');
    expect(await ok('cid', 'disappear', 'dot', '2s')).toContain('Messages in dot now disappear 2 seconds after they are read');
    await ok('cid', 'send', 'dot', 'secret plans');
    const inbox = await ok('dot', 'inbox');
    expect(inbox).toContain('cid set disappearing messages to 2 seconds');
    expect(inbox).toMatch(/cid: secret plans \(disappears 2 seconds after reading\)/);
    await new Promise((r) => setTimeout(r, 3000));
    await ok('dot', 'inbox');
    await ok('cid', 'inbox');
    for (const profile of ['dot', 'cid']) {
      const store = new SqliteClientStore(join(home, profile, 'state.sqlite'));
      const texts = store.messages.list().map((m) => m.body);
      store.close();
      expect(texts, profile).toContain('hello');
      expect(texts, profile).not.toContain('secret plans');
    }
    expect(await ok('dot', 'disappear', 'cid', 'off')).toContain('Disappearing messages are off in cid');
    // Read receipts off: cid's message to dot stays "delivered" (the settings are the profile's).
    expect(await ok('dot', 'receipts', 'off')).toContain('Read receipts are off');
    const store = new SqliteClientStore(join(home, 'dot', 'state.sqlite'));
    // (Beside the sealed-sender trust root this profile pinned.)
    expect(store.settings.get()).toMatchObject({ readReceipts: false });
    store.close();
    expect((await run('dot', 'receipts', 'maybe')).stderr).toContain('usage: parley receipts on|off');
    expect(await ok('cid', 'inbox')).toContain('dot turned off disappearing messages');
  });
});

describe('CLI: block and unblock', () => {
  it('a blocked sender\'s messages are dropped and they are not told; the chat stays, marked blocked, and writing to them is refused; unblock lets them through; block --delete removes the chat', { timeout: 240_000 }, async () => {
    const { ok, run } = await setup();
    await ok('eve', 'register', 'eve');
    await ok('fin', 'register', 'fin');
    await ok('eve', 'send', 'fin', 'first');
    expect(await ok('fin', 'inbox')).toContain('eve (message request): first');
    expect(await ok('fin', 'block', 'eve')).toContain('Blocked eve; their messages and calls are dropped');
    // Eve's send succeeds as always: she is not told.
    expect(await ok('eve', 'send', 'fin', 'while blocked')).toContain('Sent to fin');
    expect(await ok('fin', 'inbox')).toContain('No new messages.');
    // The chat stays, marked blocked; fin cannot write to eve until he unblocks her.
    expect(await ok('fin', 'search', 'first')).toMatch(/eve \(blocked\): first/);
    const refused = await run('fin', 'send', 'eve', 'hello?');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('BLOCKED: you blocked eve; unblock them to write to or call them (`parley unblock eve`)');
    expect(await ok('fin', 'unblock', 'eve')).toContain('Unblocked eve');
    await ok('eve', 'send', 'fin', 'after unblock');
    const inbox = await ok('fin', 'inbox');
    expect(inbox).toMatch(/eve: after unblock/);
    // Search on the device: any case, newest first; nothing of the dropped message.
    const found = await ok('fin', 'search', 'AFTER');
    expect(found).toMatch(/#[0-9a-f]{8}\] eve: after unblock/);
    expect(await ok('fin', 'search', 'blocked')).toContain('No messages found.');
    expect(inbox).not.toContain('while blocked');
    // Block and delete: the chat goes too.
    expect(await ok('fin', 'block', 'eve', '--delete')).toContain('Blocked eve and deleted your chat with them');
    expect(await ok('fin', 'search', 'first')).toContain('No messages found.');
  });
});
