// The web app's everyday messenger screens in Debian's headless Chromium against a
// real server: files and images between two browsers with progress and the viewer,
// a stranger's file held back until accepted (and one altered on the server shown
// as an error), voice notes, the emoji picker, unread markers and day separators,
// read receipts turned off, the one-column narrow layout, and axe-core on each
// main screen. Screenshots go to test-artifacts/ (and docs/screenshots/ with
// PARLEY_DOCS_SCREENSHOTS=1).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tempDir } from '../../cli/test/harness.ts';
import { befriend, createGroupWith, expectAccessible, gradientPng, openChat, say, screenshot, webAppForTests } from './browser-harness.ts';

const web = webAppForTests('web-msg');

const DESKTOP = { width: 1100, height: 720 };
const PHONE = { width: 390, height: 780 };

/** Every request a page made, by URL. */
const requests = new WeakMap<Page, string[]>();

function person(name: string, viewport = DESKTOP): Promise<Page> {
  return web.person(name, {
    viewport,
    acceptDownloads: true,
    async prepare(page, url) {
      await page.context().grantPermissions(['microphone', 'camera'], { origin: url });
      // Count microphone openings: none may happen before the person asks to record.
      await page.addInitScript(() => {
        const w = window as unknown as { __mic: number };
        w.__mic = 0;
        const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (c) => {
          w.__mic++;
          return gum(c);
        };
      });
      const seen: string[] = [];
      requests.set(page, seen);
      page.on('request', (r) => seen.push(r.url()));
    },
  });
}

/** Slows the page's attachment uploads or downloads, so progress can be watched. */
async function slowAttachments(page: Page, method: 'PUT' | 'GET', ms: number) {
  await page.route('**/v1/attachments/**', async (route) => {
    if (route.request().method() === method) await new Promise((r) => setTimeout(r, ms));
    await route.continue();
  });
}

/** Whether every image in the conversation decoded (no broken image anywhere). */
const imagesDecoded = (p: Page) => p.locator('.messages img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0));

describe('web attachments', () => {
  it('an image and a file between two browsers: progress while sending and receiving, a preview opened in the viewer (Escape closes), a file card with its size saved under its name', async () => {
    const ana = await person('ana');
    const ben = await person('ben');
    await befriend(ana, ben, 'ben', 'ana');
    const dir = tempDir('files');
    const png = gradientPng(640, 400);
    const report = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < report.length; i += 4096) report[i] = i % 251;
    writeFileSync(join(dir, 'view.png'), png);
    writeFileSync(join(dir, 'report.pdf'), report);

    // Ana sends the file with the attach button; uploads are slowed so progress shows.
    await slowAttachments(ana, 'PUT', 400);
    await slowAttachments(ben, 'GET', 300);
    await pickFile(ana, join(dir, 'report.pdf'));
    const sending = ana.getByRole('progressbar', { name: 'Sending report.pdf' });
    await sending.waitFor({ timeout: 10_000 });
    const card = ana.locator('[data-attachment="upload"]');
    await expect(card.locator('.file-size').textContent()).resolves.toBe('3 MB');
    await expect.poll(async () => Number(await sending.getAttribute('value')), { timeout: 15_000 }).toBeGreaterThan(0);
    await screenshot(ana, 'web-file-uploading');
    await ana.locator('.messages li.out [data-attachment="file"]').filter({ hasText: 'report.pdf' }).waitFor({ timeout: 30_000 });
    expect(await card.count()).toBe(0);

    // Ben's copy downloads by itself (a contact's, under the automatic limit), with progress.
    const receiving = ben.getByRole('progressbar', { name: 'Downloading report.pdf' });
    await receiving.waitFor({ timeout: 20_000 });
    const fileCard = ben.locator('.messages li.in [data-attachment="file"]');
    await fileCard.getByRole('button', { name: 'Save report.pdf' }).waitFor({ timeout: 30_000 });
    await expect(fileCard.locator('.file-size').textContent()).resolves.toBe('3 MB');
    const download = ben.waitForEvent('download');
    await fileCard.getByRole('button', { name: 'Save report.pdf' }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe('report.pdf');
    expect(readFileSync((await saved.path())!).equals(report)).toBe(true);

    // The image, pasted into the message field.
    await ana.getByLabel('Message').focus();
    await ana.evaluate(async (bytes: number[]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'view.png', { type: 'image/png' }));
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, [...png]);
    await ana.getByRole('dialog', { name: 'Send view.png to ben' }).getByRole('button', { name: 'Send' }).click();
    const photo = ben.getByRole('button', { name: 'Open photo view.png' });
    await photo.waitFor({ timeout: 30_000 });
    await expect.poll(() => imagesDecoded(ben)).toBe(true);
    await ana.getByRole('button', { name: 'Open photo view.png' }).waitFor({ timeout: 15_000 });
    await screenshot(ben, 'web-conversation-files');

    // The viewer: the full-size image; Escape closes it and focus goes back to the photo.
    await photo.click();
    const viewer = ben.getByRole('dialog', { name: 'Photo view.png' });
    await viewer.waitFor();
    await expect.poll(() => viewer.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(640);
    await screenshot(ben, 'web-image-viewer');
    await expectAccessible(ben, 'image viewer');
    await ben.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    expect(await ben.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Open photo view.png');

    // The list says what came last; the conversation passes the accessibility check.
    await expect.poll(() => ben.locator('[data-conversation="ana"] .preview').textContent()).toBe('📷 Photo');
    await expectAccessible(ben, 'conversation with files');
  });

  it("a stranger's files are neither downloaded nor drawn until the request is accepted; one altered on the server is an error card, never a broken image", async () => {
    const cara = await person('cara');
    const dov = await person('dov');
    const dir = tempDir('files');
    writeFileSync(join(dir, 'cat.png'), gradientPng(320, 240));
    writeFileSync(join(dir, 'notes.txt'), 'x'.repeat(20_000));
    await openChat(cara, 'dov');
    await pickFile(cara, join(dir, 'cat.png'));
    await cara.getByRole('button', { name: 'Open photo cat.png' }).waitFor({ timeout: 30_000 });
    await pickFile(cara, join(dir, 'notes.txt'));
    await cara.locator('.messages li.out [data-attachment="file"]').filter({ hasText: 'notes.txt' }).waitFor({ timeout: 30_000 });

    // Dov has a request with two placeholders, and fetched nothing of them.
    await dov.locator('[data-conversation="cara"]').click({ timeout: 20_000 });
    const placeholders = dov.locator('[data-attachment="stranger"]');
    await expect.poll(() => placeholders.count(), { timeout: 15_000 }).toBe(2);
    await expect(placeholders.first().textContent()).resolves.toContain('Accept to see this file');
    expect(await dov.locator('.messages img').count()).toBe(0);
    expect(await dov.locator('.messages').textContent()).not.toContain('notes.txt');
    await new Promise((r) => setTimeout(r, 1500));
    expect(requests.get(dov)!.filter((u) => u.includes('/v1/attachments/'))).toEqual([]);
    await screenshot(dov, 'web-stranger-file');
    await expectAccessible(dov, 'message request with files');

    // The server's copy of the text file is altered (the newer blob); then Dov accepts.
    const blobs = join(web.dataDir, 'attachments');
    const newest = readdirSync(blobs)
      .map((f) => ({ f, t: statSync(join(blobs, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t)[0]!.f;
    const bytes = readFileSync(join(blobs, newest));
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(join(blobs, newest), bytes);
    await dov.getByRole('button', { name: 'Accept' }).click();
    await dov.getByRole('button', { name: 'Open photo cat.png' }).waitFor({ timeout: 30_000 });
    const invalid = dov.locator('[data-attachment="invalid"]');
    await invalid.waitFor({ timeout: 30_000 });
    await expect(invalid.textContent()).resolves.toContain('This file could not be verified');
    await expect.poll(() => imagesDecoded(dov)).toBe(true);
    await screenshot(dov, 'web-file-invalid');
  });

  it('a voice note: the microphone opens only when the person presses record; the other side gets a player', async () => {
    const eli = await person('eli');
    const fox = await person('fox');
    await befriend(eli, fox, 'fox', 'eli');
    expect(await eli.evaluate(() => (window as unknown as { __mic: number }).__mic)).toBe(0);
    await eli.getByRole('button', { name: 'Record a voice note' }).click();
    await eli.getByRole('group', { name: 'Recording a voice note' }).waitFor();
    expect(await eli.evaluate(() => (window as unknown as { __mic: number }).__mic)).toBe(1);
    await eli.waitForTimeout(1500);
    await eli.getByRole('button', { name: 'Send voice note' }).click();
    const player = fox.locator('.messages li.in [data-attachment="voice"] audio');
    await player.waitFor({ timeout: 30_000 });
    expect(await player.getAttribute('aria-label')).toMatch(/^Voice note, 0:0[1-3]$/);
    await expect.poll(() => fox.locator('[data-conversation="eli"] .preview').textContent()).toBe('🎤 Voice message');
  });
});

describe('web messenger screens', () => {
  it('the emoji picker works by keyboard, needs no network, and its emoji reach the other side', async () => {
    const gus = await person('gus');
    const hal = await person('hal');
    await befriend(gus, hal, 'hal', 'gus');
    const before = requests.get(gus)!.length;
    await gus.getByLabel('Message').fill('Nice ');
    await gus.getByRole('button', { name: 'Emoji' }).focus();
    await gus.keyboard.press('Enter');
    const picker = gus.getByRole('dialog', { name: 'Emoji' });
    await picker.waitFor();
    await screenshot(gus, 'web-emoji-picker');
    await expectAccessible(gus, 'emoji picker');
    // Search, then arrows in the grid and Enter.
    await gus.keyboard.type('thumbs');
    await gus.keyboard.press('ArrowDown');
    expect(await gus.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('thumbs up');
    await gus.keyboard.press('ArrowRight');
    await gus.keyboard.press('Enter');
    await picker.waitFor({ state: 'detached' });
    expect(await gus.getByLabel('Message').inputValue()).toBe('Nice 👎');
    expect(await gus.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Message');
    // Escape closes without picking.
    await gus.getByRole('button', { name: 'Emoji' }).click();
    await picker.waitFor();
    await gus.keyboard.press('Escape');
    await picker.waitFor({ state: 'detached' });
    await gus.getByLabel('Message').press('Enter');
    await hal.locator('.messages li.in').filter({ hasText: 'Nice 👎' }).waitFor({ timeout: 15_000 });
    // Nothing was fetched for the picker: every request since went to Parley's own server.
    expect(requests.get(gus)!.slice(before).filter((u) => !u.startsWith(web.url))).toEqual([]);
  });

  it('unread marker, day separator and grouped bubbles; read receipts turned off tell the sender nothing', async () => {
    const ivy = await person('ivy');
    const jon = await person('jon');
    await befriend(ivy, jon, 'jon', 'ivy');
    // Jon turns read receipts off in Settings.
    await jon.getByRole('button', { name: 'Settings' }).click();
    const settings = jon.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Read receipts').uncheck();
    await screenshot(jon, 'web-settings');
    await expectAccessible(jon, 'settings');
    await settings.getByRole('button', { name: 'Done' }).click();
    // Jon closes the conversation (Back, hidden on a wide window but there) while Ivy writes three messages.
    await jon.evaluate(() => (document.querySelector('.conversation > header button.back') as HTMLButtonElement).click());
    for (const t of ['are you there?', 'I have news', 'call me']) await say(ivy, t);
    const row = jon.locator('[data-conversation="ivy"]');
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 15_000 }).toBe('3');
    await row.click();
    const marker = jon.locator('.messages .unread-marker');
    await expect(marker.textContent({ timeout: 10_000 })).resolves.toBe('3 unread messages');
    expect(await jon.locator('.messages .day-separator').allTextContents()).toEqual(['Today']);
    // Ivy's three form one run, after the marker: one start, one end.
    const runs = await jon.locator('.messages li.in').evaluateAll((lis) => lis.map((li) => `${li.classList.contains('run-start') ? '[' : ''}${li.querySelector('.body')?.textContent}${li.classList.contains('run-end') ? ']' : ''}`));
    expect(runs).toEqual(['[hi jon]', '[are you there?', 'I have news', 'call me]']);
    await screenshot(jon, 'web-unread-marker');
    // Jon read them, but Ivy's ticks stay at delivered.
    await expect.poll(() => ivy.locator('.messages li.out .ticks').last().getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ivy.locator('.messages li.out .ticks').last().getAttribute('data-status')).toBe('delivered');
    expect(await row.locator('.badge').count()).toBe(0);
    await expectAccessible(ivy, 'conversation');
    await expectAccessible(jon, 'conversation with unread marker');
  });

  it('a narrow window shows one column: the list, then the conversation with Back, which returns to the list and to the conversation that was open', async () => {
    const kai = await person('kai', PHONE);
    const lou = await person('lou');
    await expectAccessible(kai, 'empty list (narrow)');
    await openChat(lou, 'kai');
    await say(lou, 'hello from a wide window');
    const row = kai.locator('[data-conversation="lou"]');
    await row.waitFor({ timeout: 20_000 });
    await screenshot(kai, 'web-narrow-list');
    expect(await kai.locator('.main').isVisible()).toBe(false);
    await row.click();
    await kai.getByRole('button', { name: 'Accept' }).click();
    await kai.getByLabel('Message').waitFor();
    expect(await kai.locator('.sidebar').isVisible()).toBe(false);
    // Nothing sticks out sideways.
    expect(await kai.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await say(kai, 'hi from my phone 📱');
    await lou.locator('.messages li.in').filter({ hasText: 'hi from my phone' }).waitFor({ timeout: 15_000 });
    await screenshot(kai, 'web-narrow-conversation');
    await expectAccessible(kai, 'conversation (narrow)');
    // Back, by keyboard: the list again, with focus on the conversation just left.
    await kai.getByRole('button', { name: 'Back to conversations' }).focus();
    await kai.keyboard.press('Enter');
    await kai.locator('.sidebar').waitFor({ state: 'visible' });
    expect(await kai.locator('.conversation').count()).toBe(0);
    await expect.poll(() => kai.evaluate(() => (document.activeElement?.closest('[data-conversation]') as HTMLElement | null)?.dataset.conversation)).toBe('lou');
    // Settings fill the screen.
    await kai.getByRole('button', { name: 'Settings' }).click();
    const box = await kai.getByRole('dialog', { name: 'Settings' }).boundingBox();
    expect(box!.width).toBeGreaterThanOrEqual(PHONE.width - 1);
    await screenshot(kai, 'web-narrow-settings');
  });

  it('the first screen and the conversation list pass the accessibility check (desktop)', async () => {
    const page = await web.visitor({ viewport: DESKTOP });
    await expectAccessible(page, 'register');
    const mel = await person('mel');
    const ned = await person('ned');
    await befriend(mel, ned, 'ned', 'mel');
    await createGroupWith(mel, 'Weekend', ['ned']);
    await say(mel, 'Who is in for Saturday? 🚲');
    const dir = tempDir('files');
    writeFileSync(join(dir, 'route.png'), gradientPng(480, 320));
    await pickFile(mel, join(dir, 'route.png'));
    await say(mel, 'This is the route 🗺️');
    await mel.getByRole('button', { name: 'Open photo route.png' }).waitFor({ timeout: 30_000 });
    await screenshot(mel, 'web-conversation-list');
    await expectAccessible(mel, 'conversation list and group');
    // Ned (Mel's contact) has the group with the photo, under Mel's name.
    await ned.locator('[data-conversation="Weekend"]').click({ timeout: 20_000 });
    await ned.getByRole('button', { name: 'Open photo route.png' }).waitFor({ timeout: 30_000 });
    await say(ned, 'I am in! 👍');
    await ned.locator('.messages li.out').filter({ hasText: 'I am in!' }).waitFor({ timeout: 15_000 });
    await expect.poll(() => imagesDecoded(ned)).toBe(true);
    expect(await ned.locator('.messages li.in .sender').first().textContent()).toBe('mel');
    await screenshot(ned, 'web-group-chat-images');
    await expectAccessible(ned, 'group with a photo');
  });
});

/** Picks a file with the attach button and sends it from the preview. */
async function pickFile(page: Page, path: string) {
  await page.getByLabel('Files to send').setInputFiles(path);
  const preview = page.getByRole('dialog', { name: /^Send / });
  await preview.getByRole('button', { name: 'Send' }).click();
  await preview.waitFor({ state: 'detached' });
}

