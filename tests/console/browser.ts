// Headless Chromium for the console tests: Debian's chromium driven by playwright-core (TOOLCHAIN.md), each browser
// a separate process with a fresh profile, so two of them are two independent operators.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Screenshots go here (gitignored) for a person to look at. */
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'console');

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // A small /dev/shm (containers) crashes tabs; audio may start without a click, so the alarm's beep runs too.
  '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required',
];

export interface ConsoleBrowser {
  context: BrowserContext;
  page: Page;
  /** The WebSockets the page opened, in order: URL, frames received, and the error if one failed (a CSP refusal). */
  websockets: { url: string; received: number; error?: string }[];
  /** Page errors, console errors (CSP violations among them) and failed requests, as they happened. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
  close(): Promise<void>;
}

/** Fails with the install line when Debian's chromium is missing (never skips). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`browser tests need Debian's chromium at ${CHROMIUM}: apt-get install -y chromium`);
  if (!existsSync(join(ROOT, 'dist', 'console', 'index.html'))) throw new Error('the console is not built: run npm run build first (npm run test:all does)');
}

/** Starts a browser with a fresh profile and opens one page on `url`. */
export async function openBrowser(url: string): Promise<ConsoleBrowser> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'citysense-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    timezoneId: 'Asia/Shanghai',
    locale: 'en-GB',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  const websockets: ConsoleBrowser['websockets'] = [];
  page.on('websocket', (ws) => {
    const entry: ConsoleBrowser['websockets'][number] = { url: ws.url(), received: 0 };
    websockets.push(entry);
    ws.on('framereceived', () => { entry.received++; });
    ws.on('socketerror', (e) => { entry.error = String(e); });
  });
  await page.goto(url);
  return {
    context,
    page,
    problems,
    requests,
    websockets,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the form and waits for the board with a live connection. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=live-status][data-status=live]', { timeout: 10_000 });
}

/** Saves a full-page screenshot under test-artifacts/console/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}
