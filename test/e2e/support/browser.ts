import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { repositoryPath } from './test-server.ts';

export const chromiumPath = '/usr/bin/chromium';

/** Debian's Chromium; install it with `apt-get install -y chromium` (.ci/run does). */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get update && apt-get install -y chromium`);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface OpenedPage {
  page: Page;
  /** Every alert/confirm/prompt the page tried to open: model output must never cause one. */
  dialogs: string[];
  /** Uncaught exceptions and console errors. */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Contexts whose pages have all closed, by the browser and the options they were made with. A new
 * context cost Chromium about 1.3 s of CPU more than a new page in an existing one (counted for
 * the whole machine: most of it in processes a test's own CPU time never includes), and the
 * browser suites open about 70 pages. A context is handed out again only with none of its pages
 * open, its cookies and the page's origin's storage cleared, so each page still starts as a new
 * visitor's would.
 */
const idleContexts = new WeakMap<Browser, Map<string, BrowserContext[]>>();

async function pageInIdleContext(browser: Browser, url: string, options: BrowserContextOptions): Promise<{ page: Page; release(): Promise<void> }> {
  const key = JSON.stringify(options);
  const byOptions = idleContexts.get(browser) ?? new Map<string, BrowserContext[]>();
  idleContexts.set(browser, byOptions);
  const idle = byOptions.get(key) ?? [];
  byOptions.set(key, idle);
  const reused = idle.pop();
  const context = reused ?? (await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options }));
  const page = await context.newPage();
  if (reused) {
    await context.clearCookies();
    const devtools = await context.newCDPSession(page);
    await devtools.send('Storage.clearDataForOrigin', { origin: new URL(url).origin, storageTypes: 'all' });
    await devtools.detach();
  }
  return {
    page,
    release: async () => {
      await page.close();
      // A page the test opened from this one (a popup, a new tab) may still be open: not reused.
      if (context.pages().length === 0) idle.push(context);
      else await context.close();
    },
  };
}

export async function openPage(browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<OpenedPage> {
  const { page, release } = await pageInIdleContext(browser, url, options);
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  await waitForPageReady(page);
  return { page, dialogs, errors, close: release };
}

/**
 * Waits until the app has mounted and its first load has settled (`data-ready`, set by App.svelte):
 * from then on its keyboard shortcuts are live and the sidebar and model list hold the server's
 * data. Call it again after a reload.
 */
export async function waitForPageReady(page: Page): Promise<void> {
  await page.locator('.layout[data-ready]').waitFor({ state: 'attached' });
  await promptBox(page).waitFor();
}

export const promptBox = (page: Page) => page.getByRole('textbox', { name: 'Prompt', exact: true });

export async function sendPrompt(page: Page, text: string): Promise<void> {
  const prompt = promptBox(page);
  await prompt.fill(text);
  await prompt.press('Enter');
}

/** The answers on screen, oldest first. */
export const answers = (page: Page) => page.locator('article[aria-label="Answer"]');
export const userMessages = (page: Page) => page.locator('article[aria-label="You said"]');

/**
 * Waits until no answer is streaming: Submit is back and no answer is busy. Plain CSS queries on
 * a 100 ms poll: role queries walk the accessibility tree of the whole page at every poll, which
 * would add work that grows with the answer to the benchmark's measurements.
 *
 * Then waits for the page to render that state, which is when a user sees it: the DOM can be
 * updated a frame before it is drawn, and until the next rendering update, layout-dependent
 * reads such as innerText do not match the screen (a newly inserted `content-visibility: auto`
 * block, for one, reads as empty until that update finds it on screen).
 */
export async function waitForAnswerDone(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector('form.composer button[type="submit"]') !== null && !document.querySelector('article[aria-busy="true"]'),
    undefined,
    { timeout: timeoutMs, polling: 100 },
  );
  await waitForRendering(page);
}

/** Resolves after the page's next rendering update (style, layout, paint), not just its next task. */
async function waitForRendering(page: Page): Promise<void> {
  // A task queued from an animation frame callback runs once that frame's update is done.
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const directory = repositoryPath('test-results');
  await mkdir(directory, { recursive: true });
  const path = repositoryPath('test-results', `${name}.png`);
  await page.screenshot({ path });
  return path;
}
