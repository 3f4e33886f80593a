import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { openPage, promptBox, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { sampleMarkdownAnswer } from './support/sample-markdown.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

// Read when first used, not awaited at the top: a test file awaiting there registers its tests after
// the other files of its process (scripts/run-test-suites.ts runs browser suites several to one).
let axeSource: Promise<string> | undefined;
const readAxe = () => (axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical findings; evaluate() is not subject to the page's CSP. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await readAxe());
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run(document)).violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

describe('accessibility', () => {
  let server: TestServer;
  let browser: Browser;
  let conversationUrl: string;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0 }), testBrowser()]);
    const { page, close } = await openPage(browser, server.url);
    await sendPrompt(page, sampleMarkdownAnswer);
    await waitForAnswerDone(page);
    await sendPrompt(page, 'A follow-up');
    await waitForAnswerDone(page);
    await page.locator('article[aria-label="Answer"]').last().getByRole('button', { name: 'Regenerate' }).click();
    await waitForAnswerDone(page);
    conversationUrl = page.url();
    await close();
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`has no serious axe-core violations (${colorScheme}, with Advanced options open)`, async () => {
      const opened = await openPage(browser, conversationUrl, { colorScheme });
      await opened.page.locator('.katex').first().waitFor();
      await opened.page.getByRole('button', { name: 'Advanced options' }).click();
      assert.deepEqual(await seriousViolations(opened.page), []);
      await opened.close();
    });
  }

  it('has no serious violations on a phone, sidebar open', async () => {
    const opened = await openPage(browser, conversationUrl, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    await opened.page.getByRole('button', { name: 'Open sidebar' }).click();
    assert.deepEqual(await seriousViolations(opened.page), []);
    await opened.close();
  });

  it('streams the answer inside a live region, and keyboard shortcuts work', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    assert.equal(await page.getByRole('log', { name: 'Conversation' }).count(), 0);
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'prompt');
    await sendPrompt(page, 'hello there');
    await waitForAnswerDone(page);
    const log = page.getByRole('log', { name: 'Conversation' });
    assert.match(await log.innerText(), /hello there/);
    await page.keyboard.press('Control+Shift+O');
    await page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
    assert.equal(await promptBox(page).evaluate((element) => element === document.activeElement), true);
    await opened.close();
  });
});
