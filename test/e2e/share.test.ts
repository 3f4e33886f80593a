/**
 * Sharing in real Chromium: the owner shares from the page's button, copies the link, updates it
 * and stops sharing; a stranger with no key and no session opens the link and reads a read-only
 * copy; and hostile markdown in a shared conversation stays inert on the shared page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LONGEST_UNBROKEN_RUN } from '../../web/src/lib/markdown/break-long-runs.ts';
import { hostilePayloads } from '../robustness/hostile-payloads.ts';
import { auditAnswers, interactWithAnswers } from './support/answer-audit.ts';
import { answers, promptBox, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { installExecutionTraps } from './support/hostile-traps.ts';
import { batchPayloads } from './support/payload-batches.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const serverKey = 'share-e2e-key-41c7';

/** The shared page has loaded its snapshot (or learned it is gone): `data-ready` on its root. */
async function openSharedPage(page: Page, link: string) {
  const response = await page.goto(link);
  await page.locator('.shared-page[data-ready]').waitFor();
  return response;
}

describe('sharing a conversation from the page', () => {
  let server: TestServer;
  let browser: Browser;
  let owner: BrowserContext;
  let stranger: BrowserContext;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0, apiKey: serverKey }), testBrowser()]);
    owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await owner.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    stranger = await browser.newContext({ viewport: { width: 375, height: 740 } });
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('shares, copies, updates and revokes the link; a stranger reads a frozen, read-only copy without any key', async () => {
    const page = await owner.newPage();
    const ownerErrors: string[] = [];
    page.on('pageerror', (error) => ownerErrors.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('API key').fill(serverKey);
    await page.getByRole('button', { name: 'Log in' }).click();
    await promptBox(page).waitFor();
    await sendPrompt(page, 'Which **animals** live in the savanna?');
    await waitForAnswerDone(page);

    await page.getByRole('button', { name: 'Share', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Share conversation' });
    await dialog.getByRole('button', { name: 'Create link' }).click();
    const linkBox = dialog.getByLabel('Link');
    await linkBox.waitFor();
    const link = await linkBox.inputValue();
    assert.match(link, new RegExp(`^${server.url}share/[A-Za-z0-9_-]{24}$`));
    await dialog.getByRole('status').getByText('Link copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

    // The stranger: no key, no cookie.
    const reader = await stranger.newPage();
    const readerErrors: string[] = [];
    reader.on('pageerror', (error) => readerErrors.push(error.message));
    const response = await openSharedPage(reader, link);
    assert.equal(response?.status(), 200);
    assert.equal(response?.headers()['x-robots-tag'], 'noindex, nofollow, noarchive');
    assert.equal(await reader.locator('meta[name="robots"]').getAttribute('content'), 'noindex, nofollow, noarchive');
    assert.equal(await reader.getByRole('heading', { level: 1 }).innerText(), 'Which **animals** live in the savanna?');
    assert.equal(await reader.locator('article[aria-label="Question"]').innerText(), 'Which **animals** live in the savanna?');
    // The answer goes through the sanitized markdown: the echo's **animals** is bold there.
    assert.equal(await answers(reader).first().locator('.markdown strong').innerText(), 'animals');
    assert.equal(await reader.locator('form, textarea, input, select, [contenteditable]').count(), 0, 'nothing to write with');
    assert.deepEqual(await reader.getByRole('button').allInnerTexts(), [], 'no buttons: nothing to do but read');

    // Said after sharing: not in the copy until the owner updates the link.
    await dialog.getByRole('button', { name: 'Close' }).click();
    await sendPrompt(page, 'And at night?');
    await waitForAnswerDone(page);
    await openSharedPage(reader, link);
    assert.equal(await reader.locator('article').count(), 2);

    await page.getByRole('button', { name: 'Share', exact: true }).click();
    assert.equal(await linkBox.inputValue(), link, 'the dialog shows the live link again');
    await dialog.getByRole('button', { name: 'Update link' }).click();
    await dialog.getByText('4 messages').waitFor();
    assert.equal(await linkBox.inputValue(), link, 'updating keeps the link');
    await openSharedPage(reader, link);
    assert.equal(await reader.locator('article').count(), 4);

    await dialog.getByRole('button', { name: 'Stop sharing' }).click();
    await dialog.getByRole('button', { name: 'Create link' }).waitFor();
    const gone = await openSharedPage(reader, link);
    assert.equal(gone?.status(), 404);
    await reader.getByRole('alert').getByText('This link does not work any more').waitFor();
    assert.equal(await reader.locator('article').count(), 0);

    assert.deepEqual(ownerErrors, []);
    assert.deepEqual(readerErrors, []);
  });
});

describe('a shared page with hostile content', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 0 }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('renders every hostile payload inert: nothing runs, nothing active is created, no text goes missing', async () => {
    // Written straight into the store: the page's streaming is the hostile-output suite's subject;
    // here only what the shared page makes of a stored snapshot matters.
    const batches = batchPayloads(hostilePayloads, { maxPayloads: 16, maxWords: 100_000 });
    const conversation = await server.store.createConversation({ title: `<img src=x onerror="window.__xss='title'">` });
    let parentId: string | null = null;
    for (const batch of batches) {
      const question = await server.store.appendMessage({ conversationId: conversation.id, parentId, role: 'user', content: batch.markdown });
      const answer = await server.store.appendMessage({ conversationId: conversation.id, parentId: question.id, role: 'assistant', content: batch.markdown });
      parentId = answer.id;
    }
    const share = await server.store.shareConversation(conversation.id);
    assert.ok(share);

    const context = await browser.newContext();
    // The page first: the traps count every window opened after them.
    const page = await context.newPage();
    const traps = await installExecutionTraps(context, new URL(server.url).origin);
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await openSharedPage(page, new URL(`share/${share.token}`, server.url).href);
    await page.waitForFunction(() => document.querySelector('.math-pending') === null, undefined, { timeout: 20_000 });

    assert.ok((await interactWithAnswers(page)) > 0);
    const markersPerAnswer = batches.map((batch) => batch.payloads.map((payload) => payload.marker));
    const audit = await auditAnswers(page, markersPerAnswer, LONGEST_UNBROKEN_RUN);
    assert.equal(audit.answerCount, batches.length);
    assert.deepEqual(audit.activeElements, []);
    assert.deepEqual(audit.missingMarkers, []);

    // Questions are plain text: not one element inside, every marker readable.
    const questions = page.locator('article[aria-label="Question"] .text');
    assert.equal(await questions.count(), batches.length);
    assert.equal(await page.locator('article[aria-label="Question"] .text *').count(), 0);
    const questionText = (await questions.allTextContents()).join('\n');
    assert.deepEqual(markersPerAnswer.flat().filter((marker) => !questionText.includes(marker)), []);
    assert.equal(await page.locator('.shared-page header h1').innerText(), `<img src=x onerror="window.__xss='title'">`);

    assert.deepEqual(traps.records, []);
    assert.deepEqual(traps.offOriginRequests, []);
    assert.deepEqual(dialogs, []);
    await context.close();
  });
});
