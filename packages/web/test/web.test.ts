// The web app in Debian's headless Chromium against a real server: people
// register in browser contexts, chat both ways, see ticks, reload and keep their
// history, call each other, chat in groups, and link further browsers to their
// account. Screenshots go to test-artifacts/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { removeTempDirs, ROOT, sdkClient, startServer, tempDir, type RunningServer, type TestClient } from '../../cli/test/harness.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

const ARTIFACTS = join(ROOT, 'test-artifacts');
let server: RunningServer;
let browser: Browser;
const extraServers: RunningServer[] = [];
/** Every browser context a test opened; closed after it, so idle pages do not load the machine. */
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: join(ROOT, 'packages/web'), encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed: ${build.stderr}`);
  server = await startServer(tempDir('web-srv'), ['--web-root', join(ROOT, 'packages/web/dist')]);
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Fake camera and microphone; real host candidates instead of mDNS names on loopback.
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 120_000);

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop('SIGKILL');
  for (const s of extraServers) await s.stop('SIGKILL');
  removeTempDirs();
});

async function person(name: string, url = server.url, opts: { backgroundTab?: boolean; denyMedia?: boolean; mediaDelayMs?: number; malformedOffer?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  contexts.push(context);
  await context.grantPermissions(['microphone', 'camera', 'notifications'], { origin: url });
  if (opts.backgroundTab) {
    // A tab in the background, and a record of the notifications it shows.
    await context.addInitScript(() => {
      Object.defineProperty(document, 'hidden', { get: () => true });
      Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
      const shown: Array<{ title: string; body?: string }> = [];
      (window as unknown as { __notifications: typeof shown }).__notifications = shown;
      class RecordingNotification {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, o?: { body?: string }) {
          shown.push({ title, ...(o?.body ? { body: o.body } : {}) });
        }
      }
      (window as unknown as { Notification: unknown }).Notification = RecordingNotification;
    });
  }
  if (opts.denyMedia) {
    // The person said no to the browser's microphone/camera prompt (headless Chromium cannot be asked).
    await context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    });
  }
  if (opts.mediaDelayMs) {
    // A slow camera/microphone start, so a hang-up can arrive while media are still starting.
    await context.addInitScript((ms: number) => {
      const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c) => new Promise((r) => setTimeout(r, ms)).then(() => real(c));
    }, opts.mediaDelayMs);
  }
  if (opts.malformedOffer) {
    // A caller whose offers are garbage (a broken or hostile app): the callee gets SDP it cannot parse.
    await context.addInitScript(() => {
      const bad = 'v=0\r\nthis is not a session description\r\n';
      const proto = RTCPeerConnection.prototype;
      type Method = (this: RTCPeerConnection, ...args: unknown[]) => Promise<unknown>;
      const createOffer = proto.createOffer as unknown as Method;
      const setLocal = proto.setLocalDescription as unknown as Method;
      proto.createOffer = async function (this: RTCPeerConnection) {
        await createOffer.call(this);
        return { type: 'offer', sdp: bad };
      } as typeof proto.createOffer;
      proto.setLocalDescription = function (this: RTCPeerConnection, d?: RTCLocalSessionDescriptionInit) {
        return d?.sdp === bad ? Promise.resolve() : setLocal.call(this, d);
      } as typeof proto.setLocalDescription;
    });
  }
  // Instrument the peer-connection constructor and getUserMedia: tests count and inspect every one.
  await context.addInitScript(() => {
    const streams: MediaStream[] = [];
    (window as unknown as { __streams: MediaStream[] }).__streams = streams;
    const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (c) => {
      const s = await gum(c);
      streams.push(s);
      return s;
    };
    const w = window as unknown as { RTCPeerConnection: typeof RTCPeerConnection; __pcs: RTCPeerConnection[] };
    const Orig = w.RTCPeerConnection;
    w.__pcs = [];
    w.RTCPeerConnection = class extends Orig {
      constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
        super(...args);
        w.__pcs.push(this);
      }
    };
  });
  const page = await context.newPage();
  const errors: string[] = [];
  consoleErrors.set(page, errors);
  page.on('pageerror', (e) => console.error(`[${name} page error]`, e.message));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    errors.push(m.text());
    console.error(`[${name} console]`, m.text().slice(0, 600));
  });
  await page.goto(url);
  await page.getByLabel('Choose a username').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('No conversations yet').waitFor({ timeout: 30_000 });
  return page;
}

/** Every error a page logged to its console (a failed request shows there too). */
const consoleErrors = new WeakMap<Page, string[]>();

/** Tracks the page's microphone and camera opened, and how many of them are still live. */
const localTracks = (p: Page) =>
  p.evaluate(() => {
    const tracks = (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getTracks());
    return { opened: tracks.length, live: tracks.filter((t) => t.readyState === 'live').length };
  });
const pcCount = (p: Page) => p.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.length);
const audioBytesIn = (p: Page) =>
  p.evaluate(async () => {
    const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((r: { type: string; kind?: string; bytesReceived?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') n += r.bytesReceived ?? 0;
    });
    return n;
  });

/** Opens (or starts) the chat with `username` and sends `text` with the Enter key. */
async function writeTo(page: Page, username: string, text: string) {
  await page.getByLabel('Start a chat by username').fill(username);
  await page.getByLabel('Start a chat by username').press('Enter');
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** `from` (named `fromName`) calls `to`; returns `to`'s incoming-call screen once it rings. */
async function ring(from: Page, fromName: string, to: Page, kind: 'voice' | 'video') {
  await from.getByRole('button', { name: kind === 'video' ? 'Video call' : 'Voice call' }).click();
  const dialog = to.getByRole('dialog', { name: `Call with ${fromName}` });
  await dialog.getByText(`Incoming ${kind} call`).waitFor({ timeout: 15_000 });
  return dialog;
}

async function befriend(a: Page, aName: string, b: Page, bName: string) {
  await writeTo(a, bName, `hi ${bName}`);
  await b.locator(`[data-conversation="${aName}"]`).click({ timeout: 20_000 });
  await b.getByRole('button', { name: 'Accept' }).click();
}

/** A browser that has not registered: the first screen, to link it to an existing account. */
async function newBrowser(name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${name} page error]`, e.message));
  await page.goto(server.url);
  await page.getByLabel('Choose a username').waitFor();
  return page;
}

/** On a browser's first screen: "Link to an existing account", and the code it then shows (as the person reads it). */
async function showLinkCode(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Link to an existing account' }).click();
  const code = page.locator('.link-code');
  await code.waitFor({ timeout: 15_000 });
  return (await code.textContent())!;
}

/** Creates a group from "New group": its name, then each member added by username (checked with the server). */
async function createGroup(page: Page, name: string, members: string[]) {
  await page.getByRole('button', { name: 'New group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(name);
  for (const m of members) {
    await dialog.getByLabel('Add a member by username').fill(m);
    await dialog.getByLabel('Add a member by username').press('Enter');
    await expect.poll(() => dialog.getByRole('checkbox', { name: m, exact: true }).isChecked(), { timeout: 10_000 }).toBe(true);
  }
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await dialog.waitFor({ state: 'detached', timeout: 20_000 });
}

/** Types `text` into the open conversation and sends it with Enter. */
async function say(page: Page, text: string) {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** The open conversation's system lines and incoming bubbles (sender, text), as the person reads them. */
const systemLines = (p: Page) => p.locator('.messages li.system .system-line > span:first-child').allTextContents();
const incoming = (p: Page) =>
  p.locator('.messages li.in .bubble').evaluateAll((bubbles) => bubbles.map((b) => `${b.querySelector('.sender')?.textContent ?? ''}|${b.querySelector('.body')?.textContent ?? ''}`));

describe('web calls', () => {
  it('a voice call rings only after a ring, connects after accept with audio both ways, and hang-up ends both', async () => {
    const carl = await person('carl');
    const dana = await person('dana');
    await befriend(carl, 'carl', dana, 'dana');
    const incoming = await ring(carl, 'carl', dana, 'voice');
    // Nothing but the ring has reached Dana: no peer connection exists on her side.
    expect(await pcCount(dana)).toBe(0);
    await dana.screenshot({ path: join(ARTIFACTS, 'web-incoming-call.png') });
    const t0 = Date.now();
    await incoming.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => audioBytesIn(dana), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => audioBytesIn(carl), { timeout: 30_000 }).toBeGreaterThan(0);
    console.log(`call set-up (accept to first audio bytes received, direct): ${Date.now() - t0} ms`);
    await carl.locator('.call[data-phase="active"]').waitFor({ timeout: 15_000 });
    await carl.screenshot({ path: join(ARTIFACTS, 'web-active-call.png') });
    await carl.getByRole('button', { name: 'Hang up' }).click();
    await dana.getByText('Call ended').waitFor({ timeout: 15_000 });
    expect(await dana.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)?.connectionState)).toBe('closed');
    // A whole call on a server without a TURN relay (a normal setup) logs no error in either console.
    expect(consoleErrors.get(carl)).toEqual([]);
    expect(consoleErrors.get(dana)).toEqual([]);
  });

  it('a video call carries video both ways; camera off and mute are local switches', async () => {
    const kim = await person('kim');
    const lee = await person('lee');
    await befriend(kim, 'kim', lee, 'lee');
    const incoming = await ring(kim, 'kim', lee, 'video');
    await incoming.getByRole('button', { name: 'Accept' }).click();
    const videoIn = (p: Page) =>
      p.evaluate(async () => {
        const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1);
        let n = 0;
        (await pc!.getStats()).forEach((r: { type: string; kind?: string; bytesReceived?: number }) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.bytesReceived ?? 0;
        });
        return n;
      });
    await expect.poll(() => videoIn(lee), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => videoIn(kim), { timeout: 30_000 }).toBeGreaterThan(0);
    await kim.getByRole('button', { name: 'Camera off' }).click();
    await kim.getByRole('button', { name: 'Mute' }).click();
    const enabled = await kim.evaluate(() =>
      (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!.getSenders().map((s) => s.track?.enabled),
    );
    expect(enabled).toEqual([false, false]);
    await lee.getByRole('button', { name: 'Hang up' }).click();
    await kim.getByText('Call ended').waitFor({ timeout: 15_000 });
  });

  it('a declined call and an unanswered call never create a peer connection on the callee\'s side', async () => {
    const erin = await person('erin');
    const finn = await person('finn');
    await befriend(erin, 'erin', finn, 'finn');
    const dialog = await ring(erin, 'erin', finn, 'video');
    await dialog.getByRole('button', { name: 'Decline' }).click();
    await erin.getByText('finn declined').waitFor({ timeout: 15_000 });
    // Unanswered: Erin rings, then gives up.
    await new Promise((r) => setTimeout(r, 2600));
    await erin.getByRole('button', { name: 'Voice call' }).click();
    await finn.getByText('Incoming voice call').waitFor({ timeout: 15_000 });
    await erin.getByRole('button', { name: 'Hang up' }).click();
    await finn.locator('.messages').getByText('Missed voice call').waitFor({ timeout: 15_000 });
    expect(await pcCount(finn)).toBe(0);
    expect(await pcCount(erin)).toBe(0);
    // Finn has the conversation open: the missed-call note does not count as unread.
    await expect.poll(() => finn.locator('[data-conversation="erin"] .badge').count()).toBe(0);
    // Both attempts are in Finn's call log, newest first.
    await finn.getByRole('button', { name: 'Call log' }).click();
    const log = finn.getByRole('dialog', { name: 'Call log' });
    await expect
      .poll(() => log.locator('li span:first-child').allTextContents())
      .toEqual([
        'incoming voice call from erin: not answered',
        'incoming voice call from erin: rang',
        'incoming video call from erin: declined',
        'incoming video call from erin: rang',
      ]);
    await finn.screenshot({ path: join(ARTIFACTS, 'web-call-log.png') });
  });

  it('a call that cannot start on the callee (microphone refused) says what to do and ends on both sides', async () => {
    const wes = await person('wes', server.url, { mediaDelayMs: 1500 });
    const xia = await person('xia', server.url, { denyMedia: true });
    await befriend(wes, 'wes', xia, 'xia');
    const incoming = await ring(wes, 'wes', xia, 'voice');
    await incoming.getByRole('button', { name: 'Accept' }).click();
    await xia.getByText('Call failed: Parley may not use your microphone or camera. Allow them for this site in the browser, then call again.').waitFor({ timeout: 15_000 });
    await wes.getByText('Call ended').waitFor({ timeout: 15_000 });
    expect(await pcCount(xia)).toBe(0);
    // Wes's media finish starting after the hang-up: they are stopped, and the screen keeps saying why the call ended.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await wes.getByText(/Call failed/).count()).toBe(0);
  });

  it('a call whose set-up breaks after Accept (a malformed offer) ends on both sides within seconds, says why, and stops the microphone', async () => {
    const yves = await person('yves', server.url, { malformedOffer: true });
    const zoe = await person('zoe');
    const warnings: string[] = [];
    zoe.on('console', (m) => {
      if (m.type() === 'warning') warnings.push(m.text());
    });
    await befriend(yves, 'yves', zoe, 'zoe');
    const incoming = await ring(yves, 'yves', zoe, 'voice');
    const t0 = Date.now();
    await incoming.getByRole('button', { name: 'Accept' }).click();
    await zoe.getByText('Call failed: the connection with yves could not be negotiated').waitFor({ timeout: 15_000 });
    // Zoe's app hung up through the SDK: Yves's side ends too, without waiting for a timeout.
    await yves.getByText('Call ended').waitFor({ timeout: 15_000 });
    const elapsed = Date.now() - t0;
    console.log(`malformed offer: accept to both sides ended: ${elapsed} ms`);
    expect(elapsed).toBeLessThan(15_000);
    await zoe.screenshot({ path: join(ARTIFACTS, 'web-call-failed.png') });
    // Every track Zoe's page opened is stopped, her peer connection is closed, and the reason is logged.
    expect(await localTracks(zoe)).toEqual({ opened: 1, live: 0 });
    expect(await zoe.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)?.connectionState)).toBe('closed');
    await expect.poll(async () => (await localTracks(yves)).live).toBe(0);
    expect(warnings.some((w) => w.includes('failed (negotiation)'))).toBe(true);
    // The failure stays on screen until Zoe closes it.
    await zoe.getByRole('button', { name: 'Close' }).click();
    await zoe.getByRole('dialog', { name: 'Call with yves' }).waitFor({ state: 'detached' });
  });

  it('an unanswered call says "Missed call" to the callee, and finished calls show in both conversations as system lines with their length', async () => {
    const abe = await person('abe');
    const bea = await person('bea');
    await befriend(abe, 'abe', bea, 'bea');
    await ring(abe, 'abe', bea, 'voice');
    await abe.getByRole('button', { name: 'Hang up' }).click();
    await bea.getByRole('dialog', { name: 'Call with abe' }).getByText('Missed call').waitFor({ timeout: 15_000 });
    // The notes are system lines: no bubble, no ticks.
    const line = (p: Page, text: string | RegExp) => p.locator('.messages li.system').filter({ hasText: text });
    await line(bea, 'Missed voice call').waitFor({ timeout: 15_000 });
    await line(abe, 'Cancelled voice call').waitFor({ timeout: 15_000 });
    for (const p of [abe, bea]) {
      expect(await p.locator('.messages li.system .bubble, .messages li.system .ticks').count()).toBe(0);
      expect(await p.locator('.messages li.in, .messages li.out').filter({ hasText: /voice call/ }).count()).toBe(0);
    }
    // An answered call: when it ends, both sides show it with its length.
    const incoming = await ring(abe, 'abe', bea, 'voice');
    await incoming.getByRole('button', { name: 'Accept' }).click();
    for (const p of [abe, bea]) await p.locator('.call[data-phase="active"]').waitFor({ timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 2200));
    await bea.getByRole('button', { name: 'Hang up' }).click();
    for (const p of [abe, bea]) await line(p, /^Voice call, 0:0[1-9]/).waitFor({ timeout: 15_000 });
    const align = await line(bea, /^Voice call/).locator('.system-line').evaluate((el) => getComputedStyle(el).textAlign);
    expect(align).toBe('center');
    await abe.waitForTimeout(2600); // the call screen goes away
    await abe.screenshot({ path: join(ARTIFACTS, 'web-call-lines.png') });
  });

  it('a call from a stranger does not ring and lands as a missed call in the message request', async () => {
    const gail = await person('gail');
    const hugo = await person('hugo');
    await hugo.getByLabel('Start a chat by username').fill('gail');
    await hugo.getByLabel('Start a chat by username').press('Enter');
    await hugo.getByRole('button', { name: 'Voice call' }).click();
    const row = gail.locator('[data-conversation="hugo"]');
    await row.waitFor({ timeout: 20_000 });
    await expect(row.locator('.tag').textContent()).resolves.toBe('Message request');
    await expect(row.locator('.preview').textContent()).resolves.toBe('Missed voice call');
    expect(await gail.getByRole('dialog').count()).toBe(0);
    expect(await pcCount(gail)).toBe(0);
  });
});

describe('relayed calls through coturn', () => {
  let turn: ChildProcess | undefined;
  let relayServer: RunningServer | undefined;
  afterAll(async () => {
    turn?.kill('SIGKILL');
    await relayServer?.stop('SIGKILL');
  });

  it('with "Relay calls" on, a call connects only through the TURN relay, with credentials from the server', async () => {
    const secret = 'turn-test-secret';
    const port = 34000 + Math.floor(Math.random() * 800);
    turn = spawn('/usr/bin/turnserver', [
      '-n', '--no-cli', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
      `--min-port=${port + 1000}`, `--max-port=${port + 1100}`, '--use-auth-secret', `--static-auth-secret=${secret}`,
      '--realm=parley', '--allow-loopback-peers', '--no-tls', '--no-dtls', '--log-file=stdout', '--simple-log', `--pidfile=${join(tempDir('turn'), 'turn.pid')}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`coturn did not start: ${out}`)), 15_000);
      turn!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Relay ports initialization done')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    relayServer = await startServer(tempDir('relay-srv'), ['--web-root', join(ROOT, 'packages/web/dist'), '--turn-urls', `turn:127.0.0.1:${port}?transport=udp`, '--turn-secret', secret]);
    const ivan = await person('ivan', relayServer.url);
    const jade = await person('jade', relayServer.url);
    for (const p of [ivan, jade]) {
      await p.getByRole('button', { name: 'Settings' }).click();
      await p.getByLabel('Relay calls (hide my IP address)').check();
      await p.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Done' }).click();
    }
    // The choice is kept: read again on start.
    await ivan.reload();
    await ivan.getByRole('button', { name: 'Settings' }).click();
    expect(await ivan.getByLabel('Relay calls (hide my IP address)').isChecked()).toBe(true);
    await ivan.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Done' }).click();
    await befriend(ivan, 'ivan', jade, 'jade');
    const incoming = await ring(ivan, 'ivan', jade, 'voice');
    const t0 = Date.now();
    await incoming.getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => audioBytesIn(jade), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(() => audioBytesIn(ivan), { timeout: 30_000 }).toBeGreaterThan(0);
    console.log(`call set-up (accept to first audio bytes received, relay-only via coturn): ${Date.now() - t0} ms`);
    // On each side the selected pair starts at a relay candidate: no host or reflexive
    // address was used. Polled, because the stats report the selection a little after
    // the first media bytes.
    const selectedPair = (p: Page) =>
      p.evaluate(async () => {
        const pc = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.at(-1)!;
        const stats = (await pc.getStats()) as unknown as Map<string, Record<string, unknown>>;
        for (const r of stats.values()) {
          if (r.type !== 'transport' || typeof r.selectedCandidatePairId !== 'string') continue;
          const pair = stats.get(r.selectedCandidatePairId);
          const local = stats.get(String(pair?.localCandidateId));
          const remote = stats.get(String(pair?.remoteCandidateId));
          return { local: local?.candidateType, remotePort: Number(remote?.port) };
        }
        return undefined;
      });
    // The remote side of the pair is also a coturn relay allocation (its port range), even
    // when the browser learnt it as peer-reflexive before the signaled candidate arrived.
    const viaRelay = async (p: Page) => {
      const s = await selectedPair(p);
      return s !== undefined && s.local === 'relay' && s.remotePort >= port + 1000 && s.remotePort <= port + 1100;
    };
    for (const p of [ivan, jade]) await expect.poll(() => viaRelay(p), { timeout: 15_000 }).toBe(true);
    await ivan.getByRole('button', { name: 'Hang up' }).click();
  });
});

describe('web app', () => {
  it('two people chat both ways with delivered and read ticks, and history survives a reload', async () => {
    const alice = await person('alice');
    const bob = await person('bob');

    await alice.getByLabel('Start a chat by username').fill('bob');
    await alice.getByLabel('Start a chat by username').press('Enter');
    await alice.getByLabel('Message').fill('Hi Bob, it is Alice');
    await alice.getByRole('button', { name: 'Send' }).click();
    await alice.locator('.messages li.out .ticks').first().waitFor();

    // Bob sees an unread conversation, opens it, reads the message.
    const row = bob.locator('[data-conversation="alice"]');
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => row.locator('.badge').textContent(), { timeout: 10_000 }).toBe('1');
    await bob.screenshot({ path: join(ARTIFACTS, 'web-conversation-list.png') });
    // Alice is a stranger to Bob: her first message is a request.
    await expect(row.locator('.tag').textContent()).resolves.toBe('Message request');
    await row.click();
    await bob.locator('.messages').getByText('Hi Bob, it is Alice').waitFor();
    await bob.getByRole('region', { name: 'Message request' }).waitFor();
    // Reading a request tells the stranger nothing: Alice's tick stays at delivered.
    await expect.poll(() => alice.locator('.messages li.out .ticks').first().getAttribute('data-status'), { timeout: 15_000 }).toBe('delivered');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await alice.locator('.messages li.out .ticks').first().getAttribute('data-status')).toBe('delivered');
    await bob.screenshot({ path: join(ARTIFACTS, 'web-message-request.png') });
    await bob.getByRole('button', { name: 'Accept' }).click();

    // Accepted: Alice's tick goes to read (Bob has the conversation open).
    await expect.poll(() => alice.locator('.messages li.out .ticks').first().getAttribute('data-status'), { timeout: 15_000 }).toBe('read');

    // Typing indicator, now that they are contacts.
    await bob.getByLabel('Message').pressSequentially('Hel');
    await alice.locator('.typing').waitFor({ timeout: 15_000 });
    await bob.getByLabel('Message').fill('');

    await bob.getByLabel('Message').fill('Hello Alice!');
    await bob.getByLabel('Message').press('Enter');
    await alice.locator('.messages').getByText('Hello Alice!').waitFor({ timeout: 15_000 });
    await expect.poll(() => bob.locator('.messages li.out .ticks').first().getAttribute('data-status'), { timeout: 15_000 }).toMatch(/delivered|read/);
    await alice.screenshot({ path: join(ARTIFACTS, 'web-conversation.png') });

    // Reload: keys, sessions and history come back from IndexedDB.
    await alice.reload();
    await alice.locator('[data-conversation="bob"]').click();
    await alice.locator('.messages').getByText('Hi Bob, it is Alice').waitFor();
    await alice.locator('.messages').getByText('Hello Alice!').waitFor();
    await alice.getByLabel('Message').fill('still here after reload');
    await alice.getByLabel('Message').press('Enter');
    await bob.locator('.messages').getByText('still here after reload').waitFor({ timeout: 15_000 });

    // Safety numbers match on both sides.
    await alice.getByRole('button', { name: 'Verify safety number' }).click();
    await bob.getByRole('button', { name: 'Verify safety number' }).click();
    const a = await alice.locator('.digits').textContent({ timeout: 15_000 });
    const b = await bob.locator('.digits').textContent({ timeout: 15_000 });
    expect(a?.replace(/\s/g, '')).toMatch(/^\d{60}$/);
    expect(a).toBe(b);
    await alice.screenshot({ path: join(ARTIFACTS, 'web-safety-number.png') });
  });

  it('keyboard and screen readers: conversations are buttons reached with Tab and opened with Enter, Escape closes dialogs, read differs from delivered without colour', async () => {
    const cleo = await person('cleo');
    const dirk = await person('dirk');
    await writeTo(cleo, 'dirk', 'can you read this?');
    const sent = cleo.locator('.messages li.out').first();
    const delivered = sent.getByRole('img', { name: 'delivered', exact: true });
    await delivered.waitFor({ timeout: 15_000 });
    const deliveredText = await delivered.textContent();

    // Dirk opens Cleo's message request with the keyboard only.
    const row = dirk.locator('[data-conversation="cleo"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.getByRole('button').evaluate((el) => el.tagName)).toBe('BUTTON');
    expect(await dirk.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: 'cleo', exact: true }).count()).toBe(1);
    await dirk.getByLabel('Start a chat by username').focus();
    await dirk.keyboard.press('Tab');
    expect(await dirk.evaluate(() => (document.activeElement?.closest('[data-conversation]') as HTMLElement | null)?.dataset.conversation)).toBe('cleo');
    await dirk.keyboard.press('Enter');
    await dirk.getByRole('region', { name: 'Message request' }).waitFor();
    await dirk.getByRole('button', { name: 'Accept' }).click();

    // Read: its own accessible name and its own glyph, not just another colour.
    const read = sent.getByRole('img', { name: 'read', exact: true });
    await read.waitFor({ timeout: 15_000 });
    expect(await read.textContent()).not.toBe(deliveredText);
    await cleo.screenshot({ path: join(ARTIFACTS, 'web-read-tick.png') });

    // Escape closes each dialog, and focus goes back to the button that opened it.
    for (const [button, dialog] of [['Verify safety number', 'Safety number'], ['Call log', 'Call log'], ['Settings', 'Settings']] as const) {
      await dirk.getByRole('button', { name: button }).click();
      const d = dirk.getByRole('dialog', { name: dialog });
      await d.waitFor();
      await dirk.keyboard.press('Escape');
      await d.waitFor({ state: 'detached' });
      expect(await dirk.evaluate(() => document.activeElement?.textContent?.trim())).toBe(button);
    }
  });

  it('links from a stranger stay inert text until the request is accepted, then open safely', async () => {
    const pia = await person('pia');
    const quin = await person('quin');
    await writeTo(quin, 'pia', 'look at https://example.com/pics?id=7, nice');
    await pia.locator('[data-conversation="quin"]').click({ timeout: 20_000 });
    const inbox = pia.locator('.messages');
    await inbox.getByText('https://example.com/pics?id=7').waitFor();
    expect(await inbox.locator('a').count()).toBe(0);
    await pia.getByRole('button', { name: 'Accept' }).click();
    const link = inbox.locator('a');
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe('https://example.com/pics?id=7');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    // Quin sees his own link as a link (he wrote it), and plain text around it stays text.
    expect(await quin.locator('.messages a').getAttribute('href')).toBe('https://example.com/pics?id=7');
    expect(await inbox.locator('li').first().textContent()).toContain('look at https://example.com/pics?id=7, nice');
  });

  it('a message arriving while the tab is in the background shows a notification without its text', async () => {
    const mia = await person('mia', server.url, { backgroundTab: true });
    const ned = await person('ned');
    await writeTo(ned, 'mia', 'secret plans');
    await expect
      .poll(() => mia.evaluate(() => (window as unknown as { __notifications: Array<{ title: string; body?: string }> }).__notifications), { timeout: 15_000 })
      .toEqual([{ title: 'Parley: ned', body: 'New message' }]);
  });

  it('a call from a contact while the tab is in the background shows an incoming-call notification', async () => {
    const uma = await person('uma', server.url, { backgroundTab: true });
    const vic = await person('vic');
    await befriend(vic, 'vic', uma, 'uma');
    await vic.getByRole('button', { name: 'Voice call' }).click();
    const shown = () => uma.evaluate(() => (window as unknown as { __notifications: Array<{ title: string; body?: string }> }).__notifications);
    await expect.poll(shown, { timeout: 15_000 }).toContainEqual({ title: 'Parley: vic', body: 'Incoming voice call' });
    await vic.getByRole('button', { name: 'Hang up' }).click();
  });

  it('shows that it is offline while the server is down and recovers by itself', async () => {
    const dataDir = tempDir('offline-srv');
    const args = ['--web-root', join(ROOT, 'packages/web/dist')];
    let s = await startServer(dataDir, args);
    extraServers.push(s);
    const port = s.port;
    const page = await person('olga', s.url);
    await s.stop('SIGKILL');
    await page.getByRole('status').getByText('You are offline').waitFor({ timeout: 20_000 });
    s = await startServer(dataDir, args, port);
    extraServers.push(s);
    await expect.poll(() => page.getByRole('status').count(), { timeout: 40_000 }).toBe(0);
    await s.stop('SIGKILL');
  });

  it('a changed safety number stops sending behind a warning until the user trusts the new key', async () => {
    const rita = await person('rita');
    const sam = await person('sam');
    await befriend(rita, 'rita', sam, 'sam');
    await rita.locator('.messages').getByText('hi sam').waitFor();
    // As if the server had handed Rita someone else's key for Sam: her stored key for him differs.
    await rita.evaluate(async () => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('parley-default');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction(['contacts', 'identities'], 'readwrite');
      const contacts = await new Promise<Array<{ accountId: string; username: string }>>((res) => {
        const r = tx.objectStore('contacts').getAll();
        r.onsuccess = () => res(r.result);
      });
      const sam = contacts.find((c) => c.username === 'sam')!;
      const other = crypto.getRandomValues(new Uint8Array(33));
      other[0] = 5;
      tx.objectStore('identities').put({ key: other, trust: 'trusted' }, `${sam.accountId}.1`);
      await new Promise((res) => (tx.oncomplete = res));
      db.close();
    });
    await rita.reload();
    await rita.locator('[data-conversation="sam"]').click();
    await rita.getByLabel('Message').fill('are you really sam?');
    await rita.getByLabel('Message').press('Enter');
    const warning = rita.getByRole('alert').filter({ hasText: 'The safety number with sam has changed' });
    await warning.waitFor({ timeout: 15_000 });
    await rita.screenshot({ path: join(ARTIFACTS, 'web-identity-changed.png') });
    // Nothing was sent: the text is still in the composer and Sam got nothing.
    expect(await rita.getByLabel('Message').inputValue()).toBe('are you really sam?');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await sam.locator('.messages').getByText('are you really sam?').count()).toBe(0);
    await warning.getByRole('button', { name: 'Show the new number' }).click();
    expect((await rita.locator('.digits').textContent({ timeout: 15_000 }))?.replace(/\s/g, '')).toMatch(/^\d{60}$/);
    await rita.getByRole('dialog', { name: 'Safety number' }).getByRole('button', { name: 'Done' }).click();
    await warning.getByRole('button', { name: 'I compared it: trust the new key' }).click();
    await warning.waitFor({ state: 'detached' });
    await rita.getByLabel('Message').press('Enter');
    await sam.locator('.messages').getByText('are you really sam?').waitFor({ timeout: 15_000 });
  });

  it('an outdated app is told to update (UPGRADE_REQUIRED)', async () => {
    const s = await startServer(tempDir('upgrade-srv'), ['--web-root', join(ROOT, 'packages/web/dist'), '--min-client-version', '9.0.0']);
    extraServers.push(s);
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(s.url);
    await page.getByLabel('Choose a username').fill('tess');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText(/This version of Parley is too old for the server .*9\.0\.0.*Reload the page to update/).waitFor({ timeout: 15_000 });
  });

  it('registration errors are explained (username taken)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await page.getByLabel('Choose a username').fill('alice');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('That username is taken. Choose another one.').waitFor({ timeout: 15_000 });
    await context.close();
  });

  it('a long conversation scrolls inside its own list (header, composer and sidebar stay in view) and 10,000 messages render only a window', async () => {
    const yara = await person('yara');
    // 10,000 messages with zeno, written straight into the SDK's IndexedDB store (sending
    // them for real would take many minutes); the app reads them on reload.
    const N = 10_000;
    await yara.evaluate(async (n) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open('parley-default');
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction(['messages', 'contacts'], 'readwrite');
      const store = tx.objectStore('messages');
      const zeno = '2e9d0c4b-0000-4000-8000-00000000000a';
      tx.objectStore('contacts').put({ accountId: zeno, username: 'zeno', deviceIds: [1], accepted: true, blocked: false }, zeno);
      const base = Date.now() - n * 60_000;
      for (let i = 1; i <= n; i++) {
        const out = i % 3 === 0;
        const body = i % 10 === 5 ? `message ${i}: ${'a longer line that wraps '.repeat(12)}` : `message ${i}`;
        store.put({ rowId: i, conversation: `direct:${zeno}`, direction: out ? 'out' : 'in', kind: 'text', clientId: `seed-${i}`, senderAccountId: out ? 'me' : zeno, timestamp: base + i * 60_000, body, status: out ? 'read' : 'received', seen: true }, i);
      }
      await new Promise((res, rej) => {
        tx.oncomplete = res;
        tx.onerror = () => rej(tx.error);
      });
      db.close();
    }, N);
    await yara.reload();
    const t0 = Date.now();
    await yara.locator('[data-conversation="zeno"]').click({ timeout: 20_000 });
    const list = yara.locator('.messages');
    await list.getByText(`message ${N}`, { exact: true }).waitFor();
    console.log(`open a conversation of ${N} messages: ${Date.now() - t0} ms`);
    const rendered = () => list.locator('li').count();
    const inView = async (selector: string) => {
      const box = await yara.locator(selector).first().boundingBox();
      return !!box && box.y >= 0 && box.y + box.height <= 720;
    };
    const layout = async () => {
      expect(await rendered()).toBeLessThanOrEqual(120);
      expect(await rendered()).toBeGreaterThan(5);
      // The page itself does not scroll; the list does.
      expect(await yara.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight)).toBe(true);
      expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight * 100)).toBe(true);
      for (const fixed of ['.conversation > header', '.composer', '.sidebar > header', '[data-conversation="zeno"]']) expect(await inView(fixed), fixed).toBe(true);
    };
    await layout();
    await yara.screenshot({ path: join(ARTIFACTS, 'web-long-conversation-bottom.png') });
    // Wheeling up through rows not measured yet moves steadily back in time (no jumps).
    const topMessage = () =>
      list.evaluate((el) => {
        const top = el.getBoundingClientRect().top;
        for (const li of Array.from(el.querySelectorAll('li'))) {
          if (li.getBoundingClientRect().top >= top) return Number(/^message (\d+)/.exec(li.querySelector('.body')?.textContent ?? '')?.[1]);
        }
        return NaN;
      });
    const box = (await list.boundingBox())!;
    await yara.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    let previous = await topMessage();
    for (let i = 0; i < 8; i++) {
      await yara.mouse.wheel(0, -400);
      await yara.waitForTimeout(100);
      const now = await topMessage();
      expect(now).toBeLessThan(previous);
      expect(previous - now).toBeLessThan(20);
      previous = now;
    }
    // Scrolling to the top shows the first message (heights are measured on the way, so scroll until it settles).
    const first = list.getByText('message 1', { exact: true });
    await expect
      .poll(async () => {
        await list.evaluate((el) => el.scrollTo({ top: 0 }));
        return first.isVisible();
      }, { timeout: 10_000 })
      .toBe(true);
    await layout();
    expect(await list.locator('li').first().getAttribute('aria-posinset')).toBe('1');
    await yara.screenshot({ path: join(ARTIFACTS, 'web-long-conversation-top.png') });
    // And the middle: the rows it reaches are rendered, still a bounded window.
    await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight / 2 }));
    await expect.poll(() => list.locator('li').first().getAttribute('aria-posinset')).not.toBe('1');
    await layout();
  });

  it('serves the app with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await res.text()).toContain('<div id="root">');
  });
});

describe('web groups', () => {
  it('three people in a group made with "New group": a typo is refused, everyone sees who wrote what and the system lines, typing names the typist, and a stranger\'s group is a request', async () => {
    const gwen = await person('gwen');
    const hank = await person('hank');
    const iris = await person('iris');
    // Hank is Gwen's contact; Iris has never heard of Gwen.
    await befriend(gwen, 'gwen', hank, 'hank');

    await gwen.getByRole('button', { name: 'New group' }).click();
    const dialog = gwen.getByRole('dialog', { name: 'New group' });
    await dialog.getByLabel('Group name').fill('Book club');
    // A contact is there to tick; a typo is answered at once; a stranger is added by username.
    await dialog.getByRole('checkbox', { name: 'hank', exact: true }).check();
    await dialog.getByLabel('Add a member by username').fill('nobody_here');
    await dialog.getByLabel('Add a member by username').press('Enter');
    await dialog.getByRole('alert').filter({ hasText: 'There is no Parley user named nobody_here. Check the spelling.' }).waitFor({ timeout: 10_000 });
    await dialog.getByLabel('Add a member by username').fill('iris');
    await dialog.getByLabel('Add a member by username').press('Enter');
    await expect.poll(() => dialog.getByRole('checkbox', { name: 'iris', exact: true }).isChecked(), { timeout: 10_000 }).toBe(true);
    await gwen.screenshot({ path: join(ARTIFACTS, 'web-new-group.png') });
    await dialog.getByRole('button', { name: 'Create group' }).click();

    // The new group opens at once: its name, three members, the line about its creation.
    const header = gwen.locator('.conversation > header');
    await header.getByText('Book club', { exact: true }).waitFor({ timeout: 20_000 });
    await header.getByText('3 members').waitFor();
    await expect.poll(() => systemLines(gwen), { timeout: 15_000 }).toContainEqual(expect.stringMatching(/^You created the group/));

    // Hank (a contact of Gwen's) has it as an ordinary group; Iris as a request.
    const hankRow = hank.locator('[data-conversation="Book club"]');
    await hankRow.waitFor({ timeout: 20_000 });
    expect(await hankRow.locator('.tag').count()).toBe(0);
    const irisRow = iris.locator('[data-conversation="Book club"]');
    await irisRow.waitFor({ timeout: 20_000 });
    await expect.poll(() => irisRow.locator('.tag').textContent()).toBe('Message request');
    await irisRow.click();
    const request = iris.getByRole('region', { name: 'Group request' });
    await request.getByText('gwen', { exact: true }).waitFor();
    expect(await iris.getByLabel('Message').count()).toBe(0);
    await request.getByRole('button', { name: 'Accept' }).click();
    await request.waitFor({ state: 'detached' });
    await hankRow.click();
    await expect.poll(() => systemLines(hank), { timeout: 15_000 }).toContainEqual(expect.stringMatching(/^gwen created the group/));

    // Everyone sees each message, incoming ones under their sender's name.
    await say(gwen, 'Welcome to the book club');
    for (const p of [hank, iris]) await expect.poll(() => incoming(p), { timeout: 15_000 }).toEqual(['gwen|Welcome to the book club']);
    await hank.getByLabel('Message').pressSequentially('Tha');
    await header.locator('.typing').getByText('hank is typing…').waitFor({ timeout: 15_000 });
    await say(hank, 'Thanks gwen! I am halfway through chapter 3');
    await say(iris, 'Hello both');
    await expect.poll(() => incoming(gwen), { timeout: 15_000 }).toEqual(['hank|Thanks gwen! I am halfway through chapter 3', 'iris|Hello both']);
    await expect.poll(() => incoming(hank), { timeout: 15_000 }).toEqual(['gwen|Welcome to the book club', 'iris|Hello both']);
    await expect.poll(() => incoming(iris), { timeout: 15_000 }).toEqual(['gwen|Welcome to the book club', 'hank|Thanks gwen! I am halfway through chapter 3']);
    // The list names the last sender, and the group's initials stand for it.
    const gwenRow = gwen.locator('[data-conversation="Book club"]');
    await expect.poll(() => gwenRow.locator('.preview').textContent()).toBe('iris: Hello both');
    expect(await gwenRow.locator('.avatar-small').textContent()).toBe('BC');
    await say(gwen, 'Next meeting on Thursday at 8?');
    await hank.locator('.messages').getByText('Next meeting on Thursday at 8?').waitFor({ timeout: 15_000 });
    await gwen.screenshot({ path: join(ARTIFACTS, 'web-group-chat.png') });
    await hank.screenshot({ path: join(ARTIFACTS, 'web-group-chat-member.png') });
  });

  it('an admin removes a member after a confirmation: they are told "... removed you" and can no longer send; admin rights, renaming and leaving reach everyone', async () => {
    const nora = await person('nora');
    const otto = await person('otto');
    const pete = await person('pete');
    await createGroup(nora, 'Trip', ['otto', 'pete']);
    for (const p of [otto, pete]) {
      await p.locator('[data-conversation="Trip"]').click({ timeout: 20_000 });
      await p.getByRole('region', { name: 'Group request' }).getByRole('button', { name: 'Accept' }).click();
    }
    await say(pete, 'pete was here');
    await nora.locator('.messages').getByText('pete was here').waitFor({ timeout: 15_000 });

    // Nora's group info: members with the admin marked; she makes Otto an admin.
    await nora.getByRole('button', { name: 'Group info' }).click();
    const info = nora.getByRole('dialog', { name: 'Group info' });
    const member = (name: string) => info.getByRole('list', { name: 'Members' }).getByRole('listitem').filter({ hasText: name });
    await expect.poll(() => member('You').locator('.tag').textContent()).toBe('Admin');
    expect(await member('otto').locator('.tag').count()).toBe(0);
    await info.getByRole('button', { name: 'Make admin otto' }).click();
    await expect.poll(() => member('otto').locator('.tag').textContent(), { timeout: 15_000 }).toBe('Admin');
    await nora.screenshot({ path: join(ARTIFACTS, 'web-group-info.png') });

    // Removing asks first; Cancel and Escape change nothing.
    await info.getByRole('button', { name: 'Remove pete' }).click();
    const confirm = nora.getByRole('dialog', { name: 'Remove pete?' });
    await confirm.waitFor();
    await nora.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await info.waitFor();
    await info.getByRole('button', { name: 'Remove pete' }).click();
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await confirm.waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => member('pete').count(), { timeout: 15_000 }).toBe(0);
    await info.getByRole('button', { name: 'Done' }).click();
    await nora.locator('.conversation > header').getByText('2 members').waitFor();

    // Pete is told, and his composer gives way to why he cannot send.
    await expect.poll(() => systemLines(pete), { timeout: 15_000 }).toContainEqual('nora removed you');
    await pete.getByText("You can't send messages to this group because you're no longer a member.").waitFor();
    expect(await pete.getByLabel('Message').count()).toBe(0);
    await pete.locator('.conversation > header').getByText('You are no longer a member').waitFor();
    await pete.screenshot({ path: join(ARTIFACTS, 'web-group-removed.png') });
    await expect.poll(() => systemLines(otto), { timeout: 15_000 }).toEqual(expect.arrayContaining(['nora made you an admin', 'nora removed pete']));

    // Otto, now an admin, renames it; everyone sees the new name.
    await otto.getByRole('button', { name: 'Group info' }).click();
    const ottoInfo = otto.getByRole('dialog', { name: 'Group info' });
    await ottoInfo.getByRole('button', { name: 'Rename group' }).click();
    await ottoInfo.getByLabel('Group name').fill('Trip to Lisbon');
    await ottoInfo.getByRole('button', { name: 'Save' }).click();
    await ottoInfo.getByRole('heading', { name: 'Trip to Lisbon' }).waitFor({ timeout: 15_000 });
    await nora.locator('.conversation > header').getByText('Trip to Lisbon').waitFor({ timeout: 15_000 });
    await expect.poll(() => systemLines(nora), { timeout: 15_000 }).toContainEqual('otto changed the group name to "Trip to Lisbon"');

    // Otto leaves, after a confirmation; Nora is told and the group is hers alone.
    await ottoInfo.getByRole('button', { name: 'Leave group' }).click();
    await otto.getByRole('dialog', { name: 'Leave Trip to Lisbon?' }).getByRole('button', { name: 'Leave group' }).click();
    await ottoInfo.waitFor({ state: 'detached', timeout: 15_000 });
    await otto.getByText("You can't send messages to this group because you're no longer a member.").waitFor({ timeout: 15_000 });
    await expect.poll(() => systemLines(nora), { timeout: 15_000 }).toContainEqual('otto left');
    await nora.locator('.conversation > header').getByText('1 member', { exact: true }).waitFor();
    await say(nora, 'just me now');
    await nora.locator('.messages li.out').filter({ hasText: 'just me now' }).waitFor();
  });
});

describe('web linked devices', () => {
  const sdkPeople: TestClient[] = [];
  afterEach(() => {
    for (const p of sdkPeople.splice(0)) p.client.close();
  });

  it("a second browser links by the code it shows, entered in the first browser's Settings: it gets the account's groups and messages; unlinking it there leaves it on a screen that says so, from which it can link again", async () => {
    const lara = await person('lara');
    const mona = await person('mona');
    await befriend(mona, 'mona', lara, 'lara');
    await createGroup(lara, 'Choir', ['mona']);

    // The new browser shows its code: grouped for reading aloud, and as a QR code.
    const laptop = await newBrowser('lara-laptop');
    const code = await showLinkCode(laptop);
    expect(code).toMatch(/^([a-z2-9]{4} ){6}[a-z2-9]{2}$/);
    await laptop.getByRole('img', { name: 'QR code of the link code' }).waitFor();
    await laptop.getByRole('status').getByText('Waiting for a linked device to enter the code').waitFor();
    await laptop.screenshot({ path: join(ARTIFACTS, 'web-link-code.png') });

    // Lara enters it under Settings, Linked devices.
    await lara.getByRole('button', { name: 'Settings' }).click();
    const settings = lara.getByRole('dialog', { name: 'Settings' });
    const devices = settings.getByRole('list', { name: 'Your devices' });
    await expect.poll(() => devices.getByRole('listitem').count(), { timeout: 15_000 }).toBe(1);
    await settings.getByRole('button', { name: 'Link a new device' }).click();
    // A mistyped code is refused with what to do.
    await settings.getByLabel('Code shown on the new device').fill('not a code');
    await settings.getByRole('button', { name: 'Link device' }).click();
    await settings.getByRole('alert').getByText(/^That is not a link code/).waitFor();
    await settings.getByLabel('Code shown on the new device').fill(code);
    await settings.getByRole('button', { name: 'Link device' }).click();
    await settings.getByText(/^Device 2 is linked/).waitFor({ timeout: 30_000 });
    await expect.poll(() => devices.getByRole('listitem').count()).toBe(2);
    const thisOne = devices.locator('li[aria-current="true"]');
    await thisOne.getByText('This device').waitFor();
    await devices.getByRole('listitem').filter({ hasText: 'Chrome on Linux' }).getByText(/last seen/).waitFor();
    await lara.screenshot({ path: join(ARTIFACTS, 'web-linked-devices.png') });

    // The laptop opens the messenger with the account's group (no messages on it yet).
    const choir = laptop.locator('[data-conversation="Choir"]');
    await choir.waitFor({ timeout: 30_000 });
    await expect.poll(() => choir.locator('.preview').textContent()).toBe('No messages yet');
    // What is sent to the account reaches it: a direct message from a contact (no request: contacts came over) and a group message.
    await say(mona, 'hello to both your devices');
    const monaRow = laptop.locator('[data-conversation="mona"]');
    await monaRow.click({ timeout: 20_000 });
    await laptop.locator('.messages').getByText('hello to both your devices').waitFor();
    expect(await monaRow.locator('.tag').count()).toBe(0);
    await mona.locator('[data-conversation="Choir"]').click({ timeout: 20_000 });
    await say(mona, 'practice at 7');
    await choir.click();
    await expect.poll(() => incoming(laptop), { timeout: 15_000 }).toEqual(['mona|practice at 7']);
    // And what the laptop sends reaches the others, and shows on Lara's first browser as hers.
    await say(laptop, 'see you there');
    await expect.poll(() => incoming(mona), { timeout: 15_000 }).toContainEqual('lara|see you there');
    await lara.getByRole('button', { name: 'Done' }).click();
    await lara.locator('[data-conversation="Choir"]').click();
    await lara.locator('.messages li.out').filter({ hasText: 'see you there' }).waitFor({ timeout: 15_000 });

    // Lara unlinks the laptop, after a confirmation.
    await lara.getByRole('button', { name: 'Settings' }).click();
    await settings.getByRole('button', { name: 'Unlink Chrome on Linux' }).click();
    const confirm = lara.getByRole('dialog', { name: 'Unlink Chrome on Linux?' });
    await confirm.getByRole('button', { name: 'Unlink' }).click();
    await expect.poll(() => devices.getByRole('listitem').count(), { timeout: 15_000 }).toBe(1);
    await laptop.getByRole('heading', { name: 'This browser was unlinked' }).waitFor({ timeout: 20_000 });
    await laptop.screenshot({ path: join(ARTIFACTS, 'web-unlinked.png') });
    // After a reload it still knows (the server says so), and it can be linked again with a new code.
    await laptop.reload();
    await laptop.getByRole('heading', { name: 'This browser was unlinked' }).waitFor({ timeout: 20_000 });
    await laptop.getByRole('button', { name: 'Link this browser again' }).click();
    const again = laptop.locator('.link-code');
    await again.waitFor({ timeout: 15_000 });
    expect(await again.textContent()).not.toBe(code);

    // This time Lara scans the QR code. Chromium on Linux has no BarcodeDetector, so her page gets
    // one that reads what the QR code carries, as Chrome on Android or macOS would from the camera.
    const payload = `parley:link:${await again.getAttribute('data-code')}`;
    await lara.context().addInitScript((p: string) => {
      (window as unknown as { BarcodeDetector: unknown }).BarcodeDetector = class {
        static getSupportedFormats = async () => ['qr_code'];
        async detect(source: HTMLVideoElement) {
          return source.srcObject ? [{ rawValue: p }] : [];
        }
      };
    }, payload);
    await lara.reload();
    await lara.getByRole('button', { name: 'Settings' }).click();
    await settings.getByRole('button', { name: 'Link a new device' }).click();
    await settings.getByRole('button', { name: 'Scan QR code' }).click();
    await settings.getByText(/^Device 3 is linked/).waitFor({ timeout: 30_000 });
    await laptop.locator('[data-conversation="Choir"]').waitFor({ timeout: 30_000 });
    // The camera was on for the scan only.
    expect(await localTracks(lara)).toEqual({ opened: 1, live: 0 });
  });

  it("Settings shows each device's open connections; changing this browser's password keeps it signed in, also after a reload", async () => {
    const vesna = await person('vesna');
    const wim = await person('wim');
    await befriend(vesna, 'vesna', wim, 'wim');
    await vesna.getByRole('button', { name: 'Settings' }).click();
    const settings = vesna.getByRole('dialog', { name: 'Settings' });
    const thisOne = settings.getByRole('list', { name: 'Your devices' }).locator('li[aria-current="true"]');
    await thisOne.getByText('1 connection open').waitFor({ timeout: 15_000 });
    await settings.getByRole('button', { name: "Change this browser's password" }).click();
    await vesna.getByRole('dialog', { name: "Change this browser's password?" }).getByRole('button', { name: 'Change password' }).click();
    await settings.getByRole('status').getByText(/^Password changed: every other copy of this browser is signed out/).waitFor({ timeout: 15_000 });
    // It reconnected with the new password: messages flow both ways, and again after a reload (the new password was kept).
    await thisOne.getByText('1 connection open').waitFor({ timeout: 15_000 });
    await vesna.getByRole('button', { name: 'Done' }).click();
    await say(wim, 'after your password change');
    await vesna.locator('.messages').getByText('after your password change').waitFor({ timeout: 20_000 });
    await vesna.reload();
    await vesna.locator('[data-conversation="wim"]').click({ timeout: 20_000 });
    await say(vesna, 'still me');
    await wim.locator('.messages li.in').filter({ hasText: 'still me' }).waitFor({ timeout: 15_000 });
  });

  it('an account registered with the SDK links a web browser by the code the browser shows', async () => {
    const sol = sdkClient(server.url, tempDir('sdk-sol'));
    const tia = sdkClient(server.url, tempDir('sdk-tia'));
    sdkPeople.push(sol, tia);
    for (const [p, name] of [[sol, 'sol'], [tia, 'tia']] as const) {
      await p.client.register(name);
      await p.client.connect();
    }
    const film = await sol.client.groups.create('Film night', ['tia']);

    const page = await newBrowser('sol-web');
    const code = await showLinkCode(page);
    expect(await sol.client.devices.link(code)).toBe(2);
    await page.locator('[data-conversation="Film night"]').waitFor({ timeout: 30_000 });
    await tia.client.sendText('sol', 'for every device of sol');
    await page.locator('[data-conversation="tia"]').click({ timeout: 20_000 });
    await page.locator('.messages').getByText('for every device of sol').waitFor();
    // Tia writes to the group once she has its key (and so its name).
    await tia.waitFor(() => tia.client.groups.list().some((g) => g.groupId === film.groupId && g.name === 'Film night'), 20_000);
    await tia.client.groups.send(film.groupId, 'popcorn?');
    await page.locator('[data-conversation="Film night"]').click();
    await expect.poll(() => incoming(page), { timeout: 15_000 }).toEqual(['tia|popcorn?']);
  });
});
