/**
 * What the web app's browser test files share: building the app into a directory of
 * their own (files run side by side), Debian's Chromium with a fake microphone and
 * camera, a test file's server, browser and people who register in their own browser
 * contexts (webAppForTests), their first steps (openChat, say, befriend, createGroupWith), an axe-core accessibility check
 * run inside the page, screenshots (test-artifacts/, and docs/screenshots/ when
 * PARLEY_DOCS_SCREENSHOTS=1), and a small PNG encoder for test images.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { removeTempDirs, ROOT, startServer, tempDir, type RunningServer } from '../../cli/test/harness.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../../scripts/chromium.mjs';

export const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOCS_SCREENSHOTS = join(ROOT, 'docs/screenshots');

/** Builds the web app into `outDir` (answers it). */
export function buildWeb(outDir: string): string {
  const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error', '--outDir', outDir], { cwd: join(ROOT, 'packages/web'), encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed: ${build.stderr}`);
  return outDir;
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
}

/** A screenshot under test-artifacts/, and under docs/screenshots/ when asked for. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  if (process.env.PARLEY_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(DOCS_SCREENSHOTS, `${name}.png`) });
  }
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (WCAG 2.x A and AA rules, best practices) and answers its
 * serious and critical violations. Evaluated through the debugging protocol, so the
 * app's Content-Security-Policy stays as it is.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 220)}`) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A PNG of `width` x `height` with a colour gradient (RGB, 8 bits). */
export function gradientPng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      const o = row + 1 + x * 3;
      raw[o] = Math.round((x / width) * 255);
      raw[o + 1] = Math.round((y / height) * 200) + 30;
      raw[o + 2] = 180;
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export interface PersonOptions {
  readonly viewport?: { width: number; height: number };
  readonly acceptDownloads?: boolean;
  /** Runs on the new page before it loads the app (permissions, init scripts, request listeners). */
  readonly prepare?: (page: Page, url: string) => Promise<void>;
}

/** A test file's web app: a real server serving its own build, one Chromium, and people who register in it. */
export interface WebAppUnderTest {
  /** The server's address (after the file's beforeAll). */
  readonly url: string;
  /** The server's data directory (its database and attachment blobs). */
  readonly dataDir: string;
  /**
   * A new browser context (closed after the test) in which `name` registers; answers
   * its page on the empty conversation list. Page errors and console errors are logged.
   */
  person(name: string, opts?: PersonOptions): Promise<Page>;
  /** A new browser context on the app's first screen, not registered. */
  visitor(opts?: PersonOptions): Promise<Page>;
}

/** Starts the server and Chromium for the whole test file, and closes every person's context after each test. */
export function webAppForTests(name: string): WebAppUnderTest {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    const dist = buildWeb(tempDir('web-dist'));
    server = await startServer(tempDir(`${name}-srv`), ['--web-root', dist]);
    browser = await launchChromium();
  }, 180_000);
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop('SIGKILL');
    removeTempDirs();
  });
  const open = async (who: string, opts: PersonOptions): Promise<Page> => {
    const context = await browser!.newContext({ viewport: opts.viewport ?? { width: 1100, height: 720 }, acceptDownloads: opts.acceptDownloads ?? false });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[${who} page error]`, e.message));
    page.on('console', (m) => m.type() === 'error' && console.error(`[${who} console]`, m.text().slice(0, 400)));
    await opts.prepare?.(page, server!.url);
    await page.goto(server!.url);
    await page.getByLabel('Choose a username').waitFor({ timeout: 30_000 });
    return page;
  };
  return {
    get url() {
      return server!.url;
    },
    get dataDir() {
      return server!.dataDir;
    },
    async person(who, opts = {}) {
      const page = await open(who, opts);
      await page.getByLabel('Choose a username').fill(who);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('No conversations yet').waitFor({ timeout: 30_000 });
      return page;
    },
    visitor: (opts = {}) => open('visitor', opts),
  };
}

/** Fails with axe-core's serious and critical findings on `screen`, if any. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `${screen}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Creates the group `name` with `members` (usernames) from the sidebar's New group dialog. */
export async function createGroupWith(page: Page, name: string, members: string[]): Promise<void> {
  await page.getByRole('button', { name: 'New group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(name);
  for (const m of members) await dialog.getByRole('checkbox', { name: m, exact: true }).check();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await dialog.waitFor({ state: 'detached', timeout: 20_000 });
}

/** Opens (or starts) the direct chat with `username` from the sidebar. */
export async function openChat(page: Page, username: string): Promise<void> {
  await page.getByLabel('Start a chat by username').fill(username);
  await page.getByLabel('Start a chat by username').press('Enter');
  await page.getByLabel('Message').waitFor();
}

/** Types `text` into the open conversation and sends it with Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Enter');
}

/** `a` writes to `bName`, and `b` accepts the message request. */
export async function befriend(a: Page, b: Page, bName: string, aName: string): Promise<void> {
  await openChat(a, bName);
  await say(a, `hi ${bName}`);
  await b.locator(`[data-conversation="${aName}"]`).click({ timeout: 20_000 });
  await b.getByRole('button', { name: 'Accept' }).click();
  await b.getByLabel('Message').waitFor();
}
