/**
 * The Chromium of a test process. scripts/run-test-suites.ts runs the browser test files a few to
 * a process; they share one browser, launched by the first file that asks for it and closed once
 * the last has ended (a hook of the process's root test). A launch, with the first page's context
 * and process, cost about 3 s of CPU against 0.6 s for loading the app in a page a test file before
 * was done with (openPage hands those out again).
 */
import { after } from 'node:test';
import type { Browser } from 'playwright-core';
import { isIdleContext, launchBrowser } from './browser.ts';

let launched: Promise<Browser> | null = null;

export function testBrowser(): Promise<Browser> {
  launched ??= launchBrowser();
  return launched;
}

/**
 * Ends a test file's use of the browser: closes the contexts it still holds (pages it never
 * closed, contexts it made itself). Those waiting in openPage's pool stay for the next file.
 */
export async function endBrowserUse(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  await Promise.all(browser.contexts().filter((context) => !isIdleContext(browser, context)).map((context) => context.close()));
}

after(async () => {
  const browser = await launched?.catch(() => null);
  await browser?.close();
});
