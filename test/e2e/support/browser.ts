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
  /**
   * Done with the page: it is kept for the next openPage, its listeners and routes removed (see
   * pageInIdleContext). A test that gives the page or its context what cannot be taken back (init
   * scripts, exposed functions, another viewport) closes `page` itself instead: its context is then
   * closed too, never reused.
   */
  close(): Promise<void>;
}

/**
 * A Page is an event emitter at run time, but its types leave out the methods that list listeners.
 * Its own `off` is used to remove them: it also stops Playwright sending the events.
 */
interface PageEvents {
  eventNames(): Array<string | symbol>;
  listeners(event: string | symbol): Array<(...args: unknown[]) => void>;
  off(event: string | symbol, listener: (...args: unknown[]) => void): void;
}

/** A context none of whose pages a test holds, and its one page, on about:blank. */
interface IdleContext {
  context: BrowserContext;
  page: Page;
}

/**
 * Pages the tests are done with, in their contexts, by the browser and the options the contexts were
 * made with. Counted for the whole machine (most of it in Chromium's processes, which a test's own
 * CPU time never includes), loading the app cost about 1.6 s of CPU in a new page, 0.6 s in a page
 * that had loaded it before, and a new context cost about 1.3 s more; the browser suites open about
 * 70 pages. A page is handed out again only once no test holds it or any page of its context, with
 * its listeners and routes removed, on about:blank (so the app it ran has stopped and its streams
 * closed), and with the context's cookies and the app origin's storage cleared: each load still
 * starts as a new visitor's would.
 *
 * Contexts ask for reduced motion, which the page honours (app.css): otherwise its endless
 * animations (the streaming cursor, the waiting dots) have Chromium draw frames in software for as
 * long as a test waits on them, about a tenth of a browser suite's CPU. What the tests check is the
 * same either way; bench/ui.ts, which measures what the page costs a user, opens tabs of its own.
 */
const idleContexts = new WeakMap<Browser, Map<string, IdleContext[]>>();

async function pageInIdleContext(browser: Browser, url: string, options: BrowserContextOptions): Promise<{ page: Page; release(): Promise<void> }> {
  const key = JSON.stringify(options);
  const byOptions = idleContexts.get(browser) ?? new Map<string, IdleContext[]>();
  idleContexts.set(browser, byOptions);
  const idle = byOptions.get(key) ?? [];
  byOptions.set(key, idle);
  const reused = idle.pop();
  const context = reused?.context ?? (await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce', ...options }));
  const page = reused?.page ?? (await context.newPage());
  if (reused) {
    await context.clearCookies();
    const devtools = await context.newCDPSession(page);
    await devtools.send('Storage.clearDataForOrigin', { origin: new URL(url).origin, storageTypes: 'all' });
    await devtools.detach();
  }
  let released = false;
  return {
    page,
    release: async () => {
      if (released) return;
      released = true;
      // Closed by the test, or with a popup or new tab of its own still open: what the test gave
      // the page or its context is not known, so neither is reused.
      if (page.isClosed() || context.pages().length > 1) {
        await context.close().catch(() => {});
        return;
      }
      try {
        // The test's listeners and openPage's; Playwright's own 'close' and 'crash' ones stay.
        const events = page as unknown as PageEvents;
        for (const event of events.eventNames()) {
          if (event === 'close' || event === 'crash') continue;
          for (const listener of events.listeners(event)) events.off(event, listener);
        }
        await page.unrouteAll({ behavior: 'ignoreErrors' });
        await page.goto('about:blank');
        idle.push({ context, page });
      } catch {
        // A page that crashed or hangs is not handed out again; the test's own clean-up goes on.
        await context.close().catch(() => {});
      }
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

/** Whether `context` waits in the pool for the next openPage, no test holding any of its pages. */
export function isIdleContext(browser: Browser, context: BrowserContext): boolean {
  for (const idle of idleContexts.get(browser)?.values() ?? []) {
    if (idle.some((each) => each.context === context)) return true;
  }
  return false;
}
