import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { answers, openPage, promptBox, saveScreenshot, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { sampleMarkdownAnswer } from './support/sample-markdown.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** Lets lazily loaded highlight.js and KaTeX arrive before a screenshot. */
async function waitForRenderers(page: Page) {
  await page.locator('.katex').first().waitFor();
  await page.locator('.hljs-keyword').first().waitFor();
}

describe('layout: phones to wide screens, light and dark', () => {
  let server: TestServer;
  let browser: Browser;
  let conversationUrl: string;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0 }), testBrowser()]);
    const { page, close } = await openPage(browser, server.url);
    await sendPrompt(page, 'Explain quicksort, with code.');
    await waitForAnswerDone(page);
    await sendPrompt(page, sampleMarkdownAnswer);
    await waitForAnswerDone(page);
    conversationUrl = page.url();
    await close();
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`renders a markdown answer at 1280 px (${colorScheme})`, async () => {
      const opened = await openPage(browser, conversationUrl, { colorScheme });
      const { page } = opened;
      await answers(page).nth(1).waitFor();
      await waitForRenderers(page);
      await saveScreenshot(page, `desktop-${colorScheme}`);
      await page.getByRole('button', { name: 'Advanced options' }).click();
      await saveScreenshot(page, `desktop-advanced-options-${colorScheme}`);
      assert.deepEqual(opened.errors, []);
      await opened.close();
    });

    it(`fits a 375 px phone without sideways scrolling (${colorScheme})`, async () => {
      const opened = await openPage(browser, conversationUrl, {
        colorScheme,
        viewport: { width: 375, height: 740 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      });
      const { page } = opened;
      await answers(page).nth(1).waitFor();
      await waitForRenderers(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      assert.ok(await promptBox(page).isVisible());
      assert.ok(await page.getByRole('button', { name: 'Submit' }).isVisible());
      // The sidebar is a drawer on phones: closed until the menu button opens it.
      const sidebar = page.getByRole('navigation', { name: 'Conversations' });
      assert.equal(await sidebar.isVisible(), false);
      await saveScreenshot(page, `mobile-${colorScheme}`);
      await page.getByRole('button', { name: 'Open sidebar' }).click();
      await sidebar.getByRole('button', { name: 'New chat' }).waitFor();
      await page.waitForTimeout(250);
      await saveScreenshot(page, `mobile-sidebar-${colorScheme}`);
      await sidebar.getByRole('button', { name: 'Close sidebar' }).click();
      const answersBefore = await answers(page).count();
      await sendPrompt(page, 'A question typed on a phone');
      await waitForAnswerDone(page);
      assert.equal(await answers(page).count(), answersBefore + 1);
      assert.deepEqual(opened.errors, []);
      await opened.close();
    });
  }

  it('shows the empty state for a new chat', async () => {
    const opened = await openPage(browser, server.url, { colorScheme: 'light' });
    await opened.page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
    await saveScreenshot(opened.page, 'desktop-empty-light');
    await opened.close();
  });
});
