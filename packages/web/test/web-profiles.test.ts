// Profiles in the web app, in Debian's headless Chromium against a real server: a
// person sets a profile name and picture in Settings, writes to someone, and the
// other side sees the name beside the username at once and, once the request is
// accepted, the picture as the avatar (in the list and the conversation header),
// drawn from a decrypted blob, never fetched from the server as an image.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../cli/test/harness.ts';
import { axeViolations, gradientPng, screenshot, webAppForTests } from './browser-harness.ts';

const web = webAppForTests('web-prof');
const person = (name: string) => web.person(name);

describe('web profiles', () => {
  it('a profile name and picture set in Settings show on the other side, beside the username', async () => {
    const ana = await person('ana');
    const ben = await person('ben');
    await ana.getByRole('button', { name: 'Settings' }).click();
    const settings = ana.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Profile name').fill('Ana Example');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await settings.getByText('Profile name saved.').waitFor({ timeout: 15_000 });
    const picture = join(tempDir('pic'), 'ana.png');
    writeFileSync(picture, gradientPng(64, 64));
    await settings.locator('input[type="file"]').setInputFiles(picture);
    await settings.getByText('Profile picture saved.').waitFor({ timeout: 15_000 });
    await settings.locator('.profile-row .avatar-picture').waitFor();
    expect(await settings.locator('.profile-row strong').textContent()).toBe('Ana Example');
    // A file that is not a picture: the SDK's typed error, shown as it says what to do.
    const notPicture = join(tempDir('pic'), 'notes.png');
    writeFileSync(notPicture, 'just some text');
    await settings.locator('input[type="file"]').setInputFiles(notPicture);
    await expect(settings.getByRole('alert').textContent({ timeout: 15_000 })).resolves.toContain('a profile picture is a PNG, JPEG, GIF or WebP image');
    await screenshot(ana, 'web-settings-profile');
    expect(await axeViolations(ana)).toEqual([]);
    await settings.getByRole('button', { name: 'Done' }).click();
    // Ana writes to ben: that shares her profile key with him.
    await ana.getByLabel('Start a chat by username').fill('ben');
    await ana.getByLabel('Start a chat by username').press('Enter');
    await ana.getByLabel('Message').fill('hi ben');
    await ana.getByLabel('Message').press('Enter');
    const row = ben.locator('[data-conversation="ana"]');
    await expect.poll(() => row.locator('.profile-name').textContent().catch(() => null), { timeout: 20_000 }).toBe('Ana Example');
    // A message request: her name shows, her picture is not drawn until ben accepts (strangers get less).
    expect(await row.locator('.avatar-picture').count()).toBe(0);
    await row.locator('button.conversation-item').click();
    await ben.getByRole('button', { name: 'Accept' }).click();
    await row.locator('.avatar-picture').waitFor({ timeout: 20_000 });
    expect(await row.locator('.avatar-picture').evaluate((i) => (i as HTMLImageElement).src.startsWith('blob:') && (i as HTMLImageElement).naturalWidth === 64)).toBe(true);
    const header = ben.locator('.conversation > header');
    await expect.poll(() => header.locator('.profile-name').textContent().catch(() => null), { timeout: 10_000 }).toBe('Ana Example');
    await header.locator('.avatar-picture').waitFor();
    await screenshot(ben, 'web-contact-profile');
    expect(await axeViolations(ben)).toEqual([]);
    // Ben set nothing: ana sees his username and initials only.
    expect(await ana.locator('[data-conversation="ben"] .profile-name').count()).toBe(0);
  });
});
