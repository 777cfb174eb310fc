// The web app's everyday features in Debian's headless Chromium against a real
// server, each seen from both sides: replies (with the jump to the original),
// reactions added and taken back, edits, deletes for everyone and for me, in a direct chat and
// in a group; disappearing messages that vanish; blocking and unblocking; search
// across conversations and within one; the preview before files are sent, a video
// player, and a failed download retried. axe-core runs with the menus and dialogs
// open. Screenshots go to test-artifacts/ (and docs/screenshots/ with
// PARLEY_DOCS_SCREENSHOTS=1).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { tempDir } from '../../cli/test/harness.ts';
import { befriend, createGroupWith, expectAccessible, gradientPng, openChat, say, screenshot, webAppForTests } from './browser-harness.ts';

const web = webAppForTests('web-day');
const person = (name: string) => web.person(name, { acceptDownloads: true });

/** The message row whose text contains `text`. */
const row = (page: Page, text: string): Locator => page.locator('.messages li').filter({ has: page.locator('.body', { hasText: text }) });

/** Opens a message's options menu and picks `item`. */
async function messageMenu(page: Page, text: string, item: string) {
  const r = row(page, text);
  await r.waitFor({ timeout: 15_000 });
  await r.hover();
  await r.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menu', { name: 'More actions' }).getByRole('menuitem', { name: item }).click();
}

/** Reacts to a message with one of the quick reactions. */
async function react(page: Page, text: string, emoji: string) {
  const r = row(page, text);
  await r.waitFor({ timeout: 15_000 });
  await r.hover();
  await r.getByRole('button', { name: 'React', exact: true }).click();
  await page.getByRole('dialog', { name: 'Choose a reaction' }).getByRole('button', { name: emoji, exact: true }).click();
}

/** The quote in a message's bubble: "author|snippet". */
const quote = (page: Page, text: string) => row(page, text).locator('.quote').evaluate((q) => `${Array.from(q.querySelector('.quote-author')?.childNodes ?? [], (n) => (n.nodeType === Node.TEXT_NODE ? n.textContent : '')).join('')}|${q.querySelector('.quote-text')?.textContent}`);

/** The reaction chips under a message, as their accessible names. */
const chips = (page: Page, text: string) => row(page, text).locator('.reaction-chip').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));

describe('web everyday features', () => {
  it('in a direct chat: a reply (by keyboard) quotes its original and jumps to it; a reaction added and taken back; an edit; a delete for everyone; delete for me; menus and dialogs pass axe', async () => {
    const ana = await person('ana');
    const ben = await person('ben');
    await befriend(ana, ben, 'ben', 'ana');
    await say(ana, 'Dinner at 8?');
    await row(ben, 'Dinner at 8?').waitFor({ timeout: 15_000 });

    // Ben replies by keyboard: Tab to the message's options, Enter, the first item (Reply), Enter.
    await row(ben, 'Dinner at 8?').getByRole('button', { name: 'More actions' }).focus();
    await ben.keyboard.press('Enter');
    const menu = ben.getByRole('menu', { name: 'More actions' });
    await menu.waitFor();
    expect(await ben.evaluate(() => document.activeElement?.textContent)).toBe('Reply');
    await expectAccessible(ben, 'message menu open');
    await screenshot(ben, 'web-message-menu');
    // Escape closes it and focus goes back to its button; then again, and Reply.
    await ben.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    expect(await ben.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('More actions');
    await ben.keyboard.press('Enter');
    await menu.waitFor();
    await ben.keyboard.press('Enter');
    const replying = ben.getByRole('group', { name: 'Replying to ana' });
    await replying.waitFor();
    expect(await replying.textContent()).toContain('Dinner at 8?');
    expect(await ben.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');
    await ben.keyboard.type('Sounds good');
    await ben.keyboard.press('Enter');
    await replying.waitFor({ state: 'detached' });
    // Both sides: the reply's bubble holds the quote (ana's words; "You" on her side).
    await expect.poll(() => quote(ben, 'Sounds good'), { timeout: 15_000 }).toBe('ana|Dinner at 8?');
    await expect.poll(() => quote(ana, 'Sounds good'), { timeout: 15_000 }).toBe('You|Dinner at 8?');
    // Selecting the quote goes to the original and highlights it.
    await row(ana, 'Sounds good').getByRole('button', { name: /^Reply to\s*You\s*:\s*Dinner at 8\?$/ }).click();
    await expect.poll(() => row(ana, 'Dinner at 8?').getAttribute('class')).toContain('flash');

    // A reaction: Ben's 👍 reaches Ana with his name; his own chip is pressed; selecting it takes it back.
    await react(ben, 'Dinner at 8?', '👍');
    await expect.poll(() => chips(ana, 'Dinner at 8?'), { timeout: 15_000 }).toEqual(['👍 1: ben']);
    await expect.poll(() => chips(ben, 'Dinner at 8?')).toEqual(['👍 1: You. Select to remove yours']);
    expect(await row(ben, 'Dinner at 8?').locator('.reaction-chip').getAttribute('aria-pressed')).toBe('true');
    await react(ana, 'Dinner at 8?', '❤️');
    await expect.poll(() => chips(ben, 'Dinner at 8?'), { timeout: 15_000 }).toEqual(['👍 1: You. Select to remove yours', '❤️ 1: ana']);
    await row(ben, 'Dinner at 8?').getByRole('button', { name: /^👍 1: You/ }).click();
    await expect.poll(() => chips(ana, 'Dinner at 8?'), { timeout: 15_000 }).toEqual(['❤️ 1: You. Select to remove yours']);
    await expect.poll(() => chips(ben, 'Dinner at 8?')).toEqual(['❤️ 1: ana']);

    // An edit: the composer switches to editing with the text in it; both sides show "edited".
    await messageMenu(ana, 'Dinner at 8?', 'Edit');
    await ana.getByRole('group', { name: 'Editing' }).waitFor();
    expect(await ana.getByLabel('Message').inputValue()).toBe('Dinner at 8?');
    await ana.getByLabel('Message').fill('Dinner at 9?');
    await ana.getByLabel('Message').press('Enter');
    for (const p of [ana, ben]) await expect.poll(() => row(p, 'Dinner at 9?').locator('.edited').count(), { timeout: 15_000 }).toBe(1);
    expect(await row(ben, 'Dinner at 8?').count()).toBe(0);

    // A delete for everyone, after a confirmation (which passes axe).
    await say(ana, 'oops, wrong chat');
    await row(ben, 'oops, wrong chat').waitFor({ timeout: 15_000 });
    await messageMenu(ana, 'oops, wrong chat', 'Delete for everyone');
    const confirm = ana.getByRole('dialog', { name: 'Delete for everyone?' });
    await confirm.waitFor();
    await expectAccessible(ana, 'delete confirmation');
    await confirm.getByRole('button', { name: 'Delete for everyone' }).click();
    await ana.locator('.messages .body.deleted', { hasText: 'You deleted this message' }).waitFor({ timeout: 15_000 });
    await ben.locator('.messages .body.deleted', { hasText: 'This message was deleted' }).waitFor({ timeout: 15_000 });
    expect(await ben.locator('.messages').textContent()).not.toContain('oops, wrong chat');
    // A right click opens the same menu where the pointer is; a deleted message's offers only Delete for me.
    await row(ben, 'Sounds good').locator('.bubble').click({ button: 'right' });
    await ben.getByRole('menu', { name: 'More actions' }).waitFor();
    await ben.keyboard.press('Escape');
    const tombstone = row(ben, 'This message was deleted');
    await tombstone.hover();
    await tombstone.getByRole('button', { name: 'More actions' }).click();
    expect(await ben.getByRole('menu', { name: 'More actions' }).getByRole('menuitem').allTextContents()).toEqual(['Delete for me']);
    await ben.keyboard.press('Escape');
    await expectAccessible(ben, 'conversation with reply, reactions, edit and delete');
    // Delete for me, after a confirmation: gone from this browser only.
    await messageMenu(ben, 'This message was deleted', 'Delete for me');
    const forMe = ben.getByRole('dialog', { name: 'Delete for me?' });
    await forMe.waitFor();
    await expectAccessible(ben, 'delete for me confirmation');
    await forMe.getByRole('button', { name: 'Delete for me' }).click();
    await expect.poll(() => tombstone.count(), { timeout: 15_000 }).toBe(0);
    await messageMenu(ben, 'Dinner at 9?', 'Delete for me');
    await ben.getByRole('dialog', { name: 'Delete for me?' }).getByRole('button', { name: 'Delete for me' }).click();
    await expect.poll(() => row(ben, 'Dinner at 9?').count(), { timeout: 15_000 }).toBe(0);
    expect(await row(ana, 'Dinner at 9?').count()).toBe(1);
    expect(await ana.locator('.messages .body.deleted', { hasText: 'You deleted this message' }).count()).toBe(1);
  }, 120_000);

  it('in a group: a reply, reactions from two members, an edit and a delete for everyone reach every member', async () => {
    const gia = await person('gia');
    const hal = await person('hal');
    const ivo = await person('ivo');
    await befriend(gia, hal, 'hal', 'gia');
    await befriend(gia, ivo, 'ivo', 'gia');
    await createGroupWith(gia, 'Picnic', ['hal', 'ivo']);
    await say(gia, 'Picnic on Saturday? 🧺');
    for (const p of [hal, ivo]) {
      await p.locator('[data-conversation="Picnic"]').click({ timeout: 20_000 });
      await row(p, 'Picnic on Saturday?').waitFor({ timeout: 15_000 });
    }
    await messageMenu(hal, 'Picnic on Saturday?', 'Reply');
    await say(hal, 'I will bring lemonade 🍋');
    await row(ivo, 'I will bring lemonade').waitFor({ timeout: 15_000 });
    await expect.poll(() => quote(ivo, 'I will bring lemonade')).toBe('gia|Picnic on Saturday? 🧺');
    await expect.poll(() => quote(gia, 'I will bring lemonade'), { timeout: 15_000 }).toBe('You|Picnic on Saturday? 🧺');

    await react(ivo, 'Picnic on Saturday?', '❤️');
    await react(hal, 'Picnic on Saturday?', '❤️');
    await react(gia, 'I will bring lemonade', '😂');
    await expect.poll(() => chips(gia, 'Picnic on Saturday?'), { timeout: 15_000 }).toEqual(['❤️ 2: ivo and hal']);
    await expect.poll(() => chips(ivo, 'Picnic on Saturday?'), { timeout: 15_000 }).toEqual(['❤️ 2: You and hal. Select to remove yours']);
    await expect.poll(() => chips(hal, 'I will bring lemonade'), { timeout: 15_000 }).toEqual(['😂 1: gia']);

    await messageMenu(gia, 'Picnic on Saturday?', 'Edit');
    await gia.getByLabel('Message').fill('Picnic on Sunday? 🧺');
    await gia.getByLabel('Message').press('Enter');
    for (const p of [hal, ivo]) await expect.poll(() => row(p, 'Picnic on Sunday?').locator('.edited').count(), { timeout: 15_000 }).toBe(1);

    await say(ivo, 'my bank pin is 1234');
    await row(gia, 'my bank pin').waitFor({ timeout: 15_000 });
    await messageMenu(ivo, 'my bank pin', 'Delete for everyone');
    await ivo.getByRole('dialog', { name: 'Delete for everyone?' }).getByRole('button', { name: 'Delete for everyone' }).click();
    for (const p of [gia, hal]) await p.locator('.messages .body.deleted', { hasText: 'This message was deleted' }).waitFor({ timeout: 15_000 });
    expect(await gia.locator('.messages').textContent()).not.toContain('1234');
    await say(gia, 'Great, see you at the lake 🌳');
    await row(hal, 'see you at the lake').waitFor({ timeout: 15_000 });
    await hal.mouse.move(700, 600);
    await hal.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(hal, 'web-group-reply-reactions');
    await expectAccessible(hal, 'group with reply, reactions, edit and delete');
  }, 150_000);

  it('disappearing messages: set from the header menu, announced to both, and a message vanishes on both sides when its time is up', async () => {
    const jo = await person('jo_');
    const kim = await person('kim');
    await befriend(jo, kim, 'kim', 'jo_');
    await jo.getByRole('button', { name: 'More options' }).click();
    await jo.getByRole('menuitem', { name: 'Disappearing messages' }).click();
    const dialog = jo.getByRole('dialog', { name: 'Disappearing timer' });
    await expectAccessible(jo, 'disappearing messages dialog');
    await dialog.getByRole('radio', { name: '30 seconds' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await jo.locator('.system-line', { hasText: 'You set disappearing messages to 30 seconds' }).waitFor({ timeout: 15_000 });
    await kim.locator('.system-line', { hasText: 'jo_ set disappearing messages to 30 seconds' }).waitFor({ timeout: 15_000 });
    for (const p of [jo, kim]) await expect.poll(() => p.locator('.header-timer').textContent(), { timeout: 15_000 }).toBe('Disappearing messages: 30 seconds');
    await say(jo, 'this will vanish');
    await say(kim, 'so will this');
    for (const p of [jo, kim]) {
      await row(p, 'this will vanish').waitFor({ timeout: 15_000 });
      await row(p, 'so will this').waitFor({ timeout: 15_000 });
    }
    expect(await row(kim, 'this will vanish').locator('.timer-mark').count()).toBe(1);
    await screenshot(kim, 'web-disappearing');
    // The SDK deletes them (about 30 s after sending, or after reading); the view follows its events.
    for (const p of [jo, kim]) {
      await row(p, 'this will vanish').waitFor({ state: 'detached', timeout: 60_000 });
      await row(p, 'so will this').waitFor({ state: 'detached', timeout: 60_000 });
    }
    expect(await kim.locator('.system-line', { hasText: 'set disappearing messages' }).count()).toBe(1);
  }, 150_000);

  it('block and unblock from the header menu: a confirmation, the chat kept and marked, the blocked bar instead of the composer, nothing arrives while blocked', async () => {
    const lu = await person('lu_');
    const mo = await person('mo_');
    await befriend(lu, mo, 'mo_', 'lu_');
    await mo.getByRole('button', { name: 'More options' }).click();
    await expectAccessible(mo, 'header menu open');
    await mo.getByRole('menuitem', { name: 'Block lu_' }).click();
    const confirm = mo.getByRole('dialog', { name: 'Block lu_?' });
    await expectAccessible(mo, 'block confirmation');
    // From a contact's chat the chat stays unless asked: the box starts clear.
    expect(await confirm.getByRole('checkbox', { name: /Also delete this chat/ }).isChecked()).toBe(false);
    await confirm.getByRole('button', { name: 'Block', exact: true }).click();
    const bar = mo.getByRole('region', { name: 'Blocked' });
    await bar.waitFor({ timeout: 15_000 });
    expect(await bar.textContent()).toContain('You blocked this contact');
    expect(await mo.getByLabel('Message').count()).toBe(0);
    // What was said before stays, and the chat list marks her blocked.
    await row(mo, 'hi mo_').waitFor();
    expect(await mo.locator('[data-conversation="lu_"] .tag').textContent()).toBe('Blocked');
    await screenshot(mo, 'web-blocked');
    await expectAccessible(mo, 'blocked conversation');
    // Lu is not told: her message is sent as always, and nothing reaches Mo.
    await say(lu, 'are you there?');
    await row(lu, 'are you there?').waitFor();
    await new Promise((r) => setTimeout(r, 2000));
    expect(await mo.locator('.messages').textContent()).not.toContain('are you there?');
    await bar.getByRole('button', { name: 'Unblock' }).click();
    await mo.getByLabel('Message').waitFor({ timeout: 15_000 });
    expect(await mo.locator('[data-conversation="lu_"] .tag').count()).toBe(0);
    await say(lu, 'hello again');
    await row(mo, 'hello again').waitFor({ timeout: 15_000 });
    await say(mo, 'hi lu');
    await row(lu, 'hi lu').waitFor({ timeout: 15_000 });
  }, 120_000);

  it('a stranger\'s request blocked with its chat deleted: the box starts ticked, the request leaves the list', async () => {
    const pat = await person('pat');
    const quinn = await person('quinn');
    await openChat(pat, 'quinn');
    await say(pat, 'buy cheap watches');
    await quinn.locator('[data-conversation="pat"]').click({ timeout: 20_000 });
    await quinn.getByRole('region', { name: 'Message request' }).getByRole('button', { name: 'Block' }).click();
    const confirm = quinn.getByRole('dialog', { name: 'Block pat?' });
    expect(await confirm.getByRole('checkbox', { name: /Also delete this chat/ }).isChecked()).toBe(true);
    await expectAccessible(quinn, 'block a request');
    await confirm.getByRole('button', { name: 'Block and delete' }).click();
    await quinn.getByRole('region', { name: 'Blocked' }).waitFor({ timeout: 15_000 });
    expect(await quinn.locator('.messages li', { hasText: 'cheap watches' }).count()).toBe(0);
    await quinn.locator('[data-conversation="pat"]').waitFor({ state: 'detached', timeout: 15_000 });
  }, 120_000);

  it('search: the sidebar finds a message in another conversation and opens it there; the conversation search steps through its matches', async () => {
    const nia = await person('nia');
    const oz = await person('oz_');
    await befriend(nia, oz, 'oz_', 'nia');
    await createGroupWith(nia, 'Museum trip', ['oz_']);
    await say(nia, 'The museum tickets are booked for Friday 🎟️');
    await oz.locator('[data-conversation="Museum trip"]').click({ timeout: 20_000 });
    await row(oz, 'museum tickets').waitFor({ timeout: 15_000 });
    await nia.locator('[data-conversation="oz_"]').click();
    for (const t of ['pizza on Monday?', 'or sushi', 'Pizza it is', 'extra cheese on the pizza']) await say(nia, t);
    await oz.locator('[data-conversation="nia"]').click();
    await row(oz, 'extra cheese').waitFor({ timeout: 15_000 });

    // From the direct chat, the sidebar search finds the group's message; selecting it opens the group there.
    await nia.getByLabel('Search chats').fill('MUSEUM');
    const results = nia.getByRole('list', { name: 'Search results' });
    await results.waitFor();
    const result = results.getByRole('button').first();
    expect(await result.locator('.name').textContent()).toBe('Museum trip');
    expect(await result.locator('mark').textContent()).toBe('museum');
    await screenshot(nia, 'web-search-results');
    await expectAccessible(nia, 'search results');
    await result.click();
    await nia.locator('.conversation > header').getByText('Museum trip', { exact: true }).waitFor();
    await expect.poll(() => row(nia, 'museum tickets').getAttribute('class')).toContain('flash');
    await nia.getByLabel('Search chats').press('Escape');
    await nia.locator('[data-conversation="oz_"]').waitFor();
    // The other side finds it on their own device too.
    await oz.getByLabel('Search chats').fill('tickets');
    await expect.poll(() => oz.getByRole('list', { name: 'Search results' }).getByRole('button').count(), { timeout: 10_000 }).toBe(1);

    // Within a conversation: three matches, newest first, Enter goes to the older ones.
    await nia.locator('[data-conversation="oz_"]').click();
    await nia.getByRole('button', { name: 'Search in conversation' }).click();
    const field = nia.getByLabel('Search this chat');
    await field.fill('pizza');
    const count = nia.locator('.search-count');
    await expect.poll(() => count.textContent()).toBe('1 of 3');
    await expect.poll(() => row(nia, 'extra cheese').getAttribute('class')).toContain('flash');
    await field.press('Enter');
    await expect.poll(() => count.textContent()).toBe('2 of 3');
    await expect.poll(() => row(nia, 'Pizza it is').getAttribute('class')).toContain('flash');
    await nia.getByRole('button', { name: 'Previous match (older)' }).click();
    await expect.poll(() => count.textContent()).toBe('3 of 3');
    await expect.poll(() => row(nia, 'pizza on Monday?').getAttribute('class')).toContain('flash');
    expect(await nia.locator('.messages mark').allTextContents()).toEqual(['pizza', 'Pizza', 'pizza']);
    await screenshot(nia, 'web-conversation-search');
    await expectAccessible(nia, 'conversation search');
    await field.press('Escape');
    await field.waitFor({ state: 'detached' });
    expect(await nia.locator('.messages mark').count()).toBe(0);
  }, 150_000);

  it('files: a preview before sending (picked, pasted), with a caption or cancelled; a video plays; a failed download shows on its card and Retry fetches it', async () => {
    const pia = await person('pia');
    const quin = await person('quin');
    await befriend(pia, quin, 'quin', 'pia');
    const dir = tempDir('files');
    writeFileSync(join(dir, 'notes.txt'), 'some notes\n'.repeat(100));
    writeFileSync(join(dir, 'clip.webm'), Buffer.alloc(4000, 7));
    writeFileSync(join(dir, 'data.bin'), Buffer.alloc(9000, 3));

    // Picked, then cancelled: nothing is sent.
    await pia.getByLabel('Files to send').setInputFiles(join(dir, 'notes.txt'));
    const preview = pia.getByRole('dialog', { name: 'Send notes.txt to quin' });
    await preview.waitFor();
    expect(await preview.locator('[data-preview="file"] .file-size').textContent()).toBe('1.1 KB');
    await preview.getByRole('button', { name: 'Cancel' }).click();
    await preview.waitFor({ state: 'detached' });

    // Pasted image: a thumbnail of it, a caption, Send; the other side gets both.
    await pia.getByLabel('Message').focus();
    await pia.evaluate(async (bytes: number[]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'lake.png', { type: 'image/png' }));
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [...gradientPng(480, 300)]);
    const imagePreview = pia.getByRole('dialog', { name: 'Send lake.png to quin' });
    await imagePreview.waitFor();
    await expect.poll(() => imagePreview.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(480);
    expect(await pia.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Caption');
    await pia.keyboard.type('The lake at noon');
    await screenshot(pia, 'web-file-preview');
    await expectAccessible(pia, 'file preview');
    await pia.keyboard.press('Enter');
    await row(quin, 'The lake at noon').getByRole('button', { name: 'Open photo lake.png' }).waitFor({ timeout: 30_000 });
    expect(await quin.locator('.messages').textContent()).not.toContain('notes.txt');

    // A video: a player on both sides.
    await pia.getByLabel('Files to send').setInputFiles(join(dir, 'clip.webm'));
    await pia.getByRole('dialog', { name: 'Send clip.webm to quin' }).getByRole('button', { name: 'Send' }).click();
    await quin.locator('.messages li.in [data-attachment="video"] video[controls]').waitFor({ timeout: 30_000 });
    expect(await quin.locator('.messages li.in [data-attachment="video"] video').getAttribute('src')).toMatch(/^blob:/);
    await pia.locator('.messages li.out [data-attachment="video"] video').waitFor({ timeout: 15_000 });

    // Quin's downloads fail (the server says it is unavailable): the card says so, with Retry; then it works.
    await quin.route('**/v1/attachments/**', (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'attachment storage is unavailable; try again later' } }) })
        : route.continue(),
    );
    await pia.getByLabel('Files to send').setInputFiles(join(dir, 'data.bin'));
    await pia.getByRole('dialog', { name: 'Send data.bin to quin' }).getByRole('button', { name: 'Send' }).click();
    const failed = quin.locator('.messages li.in [data-attachment="failed"]');
    await failed.waitFor({ timeout: 30_000 });
    expect(await failed.getByRole('alert').textContent()).toContain('Download failed');
    await screenshot(quin, 'web-download-failed');
    await expectAccessible(quin, 'failed download');
    await quin.unroute('**/v1/attachments/**');
    await failed.getByRole('button', { name: 'Retry downloading data.bin' }).click();
    await quin.locator('.messages li.in [data-attachment="file"]').getByRole('button', { name: 'Save data.bin' }).waitFor({ timeout: 30_000 });
    expect(await failed.count()).toBe(0);
  }, 150_000);
});
