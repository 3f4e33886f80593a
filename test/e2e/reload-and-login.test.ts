import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { answers, openPage, promptBox, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('a reload while an answer streams loses nothing', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 25 }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('re-attaches to the stream and ends with the whole answer, once', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    const words = Array.from({ length: 120 }, (_, index) => `word${index}`);
    await sendPrompt(page, words.join(' '));
    await answers(page).first().getByText(/word5\b/).waitFor();
    await page.reload();
    // Back on the same conversation (its id is in the URL), still streaming.
    await page.locator('article[aria-label="Answer"][aria-busy="true"]').waitFor();
    await waitForAnswerDone(page);
    const text = (await answers(page).first().locator('.markdown').innerText()).trim();
    assert.equal(text, words.join(' '));
    assert.deepEqual(opened.errors, []);
    await opened.close();
  });
});

describe('a server with an API key', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0, apiKey: 'correct horse' }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('asks for the key, refuses a wrong one, and chats once logged in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    const key = page.getByLabel('API key');
    await key.fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').getByText('That key is not right.').waitFor();
    await key.fill('correct horse');
    await page.getByRole('button', { name: 'Log in' }).click();
    await promptBox(page).waitFor();
    await sendPrompt(page, 'logged in');
    await waitForAnswerDone(page);
    assert.match(await answers(page).first().innerText(), /logged in/);
    await context.close();
  });
});
