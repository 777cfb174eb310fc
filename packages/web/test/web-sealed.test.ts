// Sealed sends in the web app, in Debian's headless Chromium against a real server:
// a contact's messages leave the browser as `sealed-send` frames on the unidentified
// socket (/v1/websocket/unidentified), which never authenticates, and Settings,
// Linked devices, counts only the authenticated connection.
import { describe, expect, it } from 'vitest';
import type { WebSocket as PageWebSocket } from 'playwright';
import { befriend, openChat, say, webAppForTests } from './browser-harness.ts';

const web = webAppForTests('web-sealed');

interface Watched {
  readonly url: string;
  readonly sent: string[];
  readonly received: string[];
}

describe('web sealed sends', () => {
  it('a contact\'s messages go over the unidentified socket, which is not one of the device\'s connections', async () => {
    const ana = await web.person('ana');
    const ben = await web.person('ben');
    await befriend(ana, ben, 'ben', 'ana');
    // Watch ben's sockets from the start: reopen the app (it reconnects from its stored profile).
    const sockets: Watched[] = [];
    ben.on('websocket', (ws: PageWebSocket) => {
      const w: Watched = { url: ws.url(), sent: [], received: [] };
      sockets.push(w);
      ws.on('framesent', (f) => w.sent.push(String(f.payload)));
      ws.on('framereceived', (f) => w.received.push(String(f.payload)));
    });
    await ben.reload();
    await ben.locator('[data-conversation="ana"]').waitFor({ timeout: 30_000 });
    const unidentified = () => sockets.filter((s) => s.url.includes('/v1/websocket/unidentified'));
    await expect.poll(() => unidentified().length, { timeout: 15_000 }).toBe(1);

    await openChat(ben, 'ana');
    await say(ben, 'sealed from the browser');
    await ana.getByRole('region', { name: 'Conversation history' }).getByText('sealed from the browser').waitFor({ timeout: 20_000 });

    const u = unidentified()[0]!;
    // Sealed sends went over it and were answered; it never authenticated and was never handed an envelope.
    await expect.poll(() => u.sent.filter((f) => f.includes('"type":"sealed-send"')).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(u.received.some((f) => f.includes('"type":"sent"'))).toBe(true);
    expect(u.sent.some((f) => f.includes('"type":"auth"'))).toBe(false);
    expect(u.received.some((f) => f.includes('"type":"envelope"') || f.includes('"type":"ready"'))).toBe(false);
    // Nothing sealed on the authenticated socket.
    const device = sockets.filter((s) => !s.url.includes('/v1/websocket/unidentified'));
    expect(device.length).toBeGreaterThan(0);
    for (const d of device) expect(d.sent.some((f) => f.includes('sealed-send'))).toBe(false);

    // Settings, Linked devices: this browser has one connection open, not two.
    await ben.getByRole('button', { name: 'Settings' }).click();
    const devices = ben.getByRole('dialog', { name: 'Settings' }).getByRole('list', { name: 'Your devices' });
    await devices.locator('li[aria-current="true"]').getByText(/· 1 connection open/).waitFor({ timeout: 15_000 });
    expect(await devices.locator('li[aria-current="true"]').textContent()).not.toMatch(/2 connections/);
  });
});
