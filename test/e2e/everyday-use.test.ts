/**
 * Everyday use as a new user meets it: the typed text is never lost, Advanced options are checked
 * field by field and never push the Prompt box away, deleting a streaming conversation sticks, a
 * dead server leaves the partial answer, math fails quietly, export and import are on the page,
 * and the labels say what they mean.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { answers, openPage, promptBox, sendPrompt, userMessages, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const longText = (prefix: string, words: number) => Array.from({ length: words }, (_, index) => `${prefix}${index}`).join(' ');

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Conversations' });

/** Waits for two animation frames: every update queued by the last event is drawn by then. */
const nextFrames = (page: Page) => page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));

async function openAdvancedOptions(page: Page) {
  await page.getByRole('button', { name: 'Advanced options', exact: true }).click();
  return page.getByRole('group', { name: 'Advanced options' });
}

describe('everyday use', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 5 }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('shows every bad Advanced option inline, named as on screen, and keeps the typed text', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    const options = await openAdvancedOptions(page);
    await options.getByLabel('Temperature').fill('-1');
    await options.getByLabel('Top-p').fill('2');
    await page.getByRole('group', { name: 'Advanced options' }).getByRole('button', { name: 'Close' }).click();
    const requestsBefore = server.requests.length;
    await sendPrompt(page, 'keep me');
    await options.getByText('Temperature must be a number from 0 to 100 (0 means greedy), got -1').waitFor();
    await options.getByText('Top-p must be a number above 0 and at most 1, got 2').waitFor();
    assert.equal(await options.getByLabel('Temperature').getAttribute('aria-invalid'), 'true');
    assert.equal(await promptBox(page).inputValue(), 'keep me');
    assert.equal(server.requests.length, requestsBefore, 'nothing was sent');
    assert.doesNotMatch(await page.locator('body').innerText(), /settings\.parameters/);
    // Fixed, the message goes.
    await options.getByLabel('Temperature').fill('0.5');
    await options.getByText(/^Temperature must be/).waitFor({ state: 'detached' });
    await options.getByLabel('Top-p').fill('');
    await promptBox(page).press('Enter');
    await waitForAnswerDone(page);
    assert.equal(await promptBox(page).inputValue(), '');
    await opened.close();
  });

  it('keeps the typed text when the network fails', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await page.route('**/api/conversations/*/messages', (route) => route.abort('internetdisconnected'));
    await sendPrompt(page, 'the network is down');
    await page.getByRole('alert').getByText('The anychat server is not answering').waitFor();
    // Given back once the send has settled (after the page looked for what the server kept).
    await page.waitForFunction(() => (document.getElementById('prompt') as HTMLTextAreaElement).value === 'the network is down');
    assert.equal(await userMessages(page).count(), 0, 'no question left on screen that was never sent');
    await opened.close();
  });

  it('keeps the typed text when the model is busy (429)', async () => {
    const busy = await startTestServer({ echoDelayMs: 20, parallel: 1, maxQueue: 0 });
    const first = await openPage(browser, busy.url);
    const second = await openPage(browser, busy.url);
    try {
      await sendPrompt(first.page, longText('busy', 300));
      await first.page.locator('article[aria-busy="true"]').waitFor();
      await sendPrompt(second.page, 'me too, please');
      await second.page.getByRole('alert').getByText('The model is busy with other requests').waitFor();
      await second.page.waitForFunction(() => (document.getElementById('prompt') as HTMLTextAreaElement).value === 'me too, please');
      await first.page.getByRole('button', { name: 'Stop' }).click();
      await waitForAnswerDone(first.page);
    } finally {
      await first.close();
      await second.close();
      await busy.close();
    }
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 375, height: 667 },
  ]) {
    it(`keeps the Prompt box and Submit on screen with Advanced options open (${viewport.width}×${viewport.height})`, async () => {
      const opened = await openPage(browser, server.url, { viewport });
      const { page } = opened;
      // With an error banner too, the tallest case the issue measured.
      await page.route('**/api/conversations/*/messages', (route) => route.abort('internetdisconnected'));
      await sendPrompt(page, 'make an error banner');
      await page.getByRole('alert').waitFor();
      const options = await openAdvancedOptions(page);
      await options.waitFor();
      for (const target of [promptBox(page), page.getByRole('button', { name: 'Submit' }), page.getByRole('button', { name: 'Advanced options', exact: true })]) {
        const box = await target.boundingBox();
        assert.ok(box, 'on the page');
        assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, `${await target.getAttribute('aria-label') ?? 'target'} is on screen: ${JSON.stringify(box)}`);
      }
      const panel = await options.boundingBox();
      assert.ok(panel && panel.y >= 0, `the panel starts on screen: ${JSON.stringify(panel)}`);
      // What does not fit scrolls inside the panel.
      const scrolls = await options.evaluate((element) => element.scrollHeight <= element.clientHeight || getComputedStyle(element).overflowY === 'auto');
      assert.ok(scrolls);
      await opened.close();
    });
  }

  it('removes a conversation from the sidebar when it is deleted while its answer streams', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await sendPrompt(page, `delete me while streaming ${longText('w', 400)}`);
    await page.locator('article[aria-busy="true"]').waitFor();
    const item = sidebar(page).getByRole('listitem').filter({ hasText: 'delete me while streaming' });
    const streamEnded = page.waitForEvent('requestfinished', (request) => /\/messages$/.test(request.url())).catch(() => null);
    await item.hover();
    await item.getByRole('button', { name: 'Delete conversation' }).click();
    await item.getByRole('button', { name: 'Delete?' }).click();
    await item.waitFor({ state: 'detached' });
    // The stream's end came after the delete: it must not bring the row back.
    await streamEnded;
    await page.waitForFunction(() => !document.querySelector('article[aria-busy="true"]'));
    await nextFrames(page);
    assert.equal(await item.count(), 0, 'the row stays gone');
    assert.deepEqual(opened.errors, []);
    await opened.close();
  });

  it('shows math quietly: a failed formula as its source, no red error, no console warnings; inline $$…$$ renders', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    const warnings: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await sendPrompt(page, 'Bad: $\\notacommand{x}$ and unicode $é = 1$, then inline $$x^2$$ in a sentence.');
    await waitForAnswerDone(page);
    const answer = answers(page).last();
    await answer.locator('.katex').first().waitFor();
    assert.equal(await answer.locator('.katex-error').count(), 0, 'no red KaTeX error');
    assert.equal(await answer.locator('.math-source').first().innerText(), '$\\notacommand{x}$');
    assert.ok((await answer.locator('.katex').count()) >= 2, 'é = 1 and x^2 both render');
    assert.doesNotMatch(await answer.innerText(), /\$\$x\^2\$\$/, 'inline $$…$$ is math, not text');
    assert.deepEqual(warnings.filter((warning) => /LaTeX|KaTeX/i.test(warning)), []);
    await opened.close();
  });

  it('exports one conversation and all of them with dated names, and imports a file back', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await sendPrompt(page, 'Has math been invented or discovered? Tell me what the philosophers of mathematics say');
    await waitForAnswerDone(page);
    const today = new Date().toISOString().slice(0, 10);
    const item = sidebar(page).getByRole('listitem').filter({ hasText: 'Has math been invented' });
    await item.hover();
    const [one] = await Promise.all([page.waitForEvent('download'), item.getByRole('button', { name: 'Export conversation' }).click()]);
    assert.equal(one.suggestedFilename(), `Has-math-been-invented-or-discovered-Tell-me-what-${today}.json`);
    const [all] = await Promise.all([page.waitForEvent('download'), sidebar(page).getByRole('link', { name: 'Export all' }).click()]);
    assert.equal(all.suggestedFilename(), `anychat-conversations-${today}.json`);

    // Delete it, then import the one-conversation file: it comes back.
    const file = JSON.parse(await readFile((await one.path())!, 'utf8')) as { conversations: unknown[] };
    assert.equal(file.conversations.length, 1);
    await item.hover();
    await item.getByRole('button', { name: 'Delete conversation' }).click();
    await item.getByRole('button', { name: 'Delete?' }).click();
    await item.waitFor({ state: 'detached' });
    await page.getByLabel('Import conversations from a file').setInputFiles((await one.path())!);
    await sidebar(page).getByRole('status').getByText('Imported 1 conversation.').waitFor();
    await item.waitFor();

    // A broken file says what is wrong.
    await page.getByLabel('Import conversations from a file').setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "nope"}') });
    await sidebar(page).getByRole('status').getByText(/The request was rejected/).waitFor();
    await opened.close();
  });

  it('groups the sidebar by date: Today, Yesterday, Previous 7 days, Older', async () => {
    const day = 24 * 60 * 60 * 1000;
    const conversation = (title: string, ageMs: number) => {
      const time = new Date(Date.now() - ageMs).toISOString();
      return { conversation: { id: randomUUID(), title, settings: {}, activeLeafId: null, createdAt: time, updatedAt: time }, messages: [] };
    };
    const response = await fetch(`${server.url}api/conversations/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        format: 'anychat-conversations',
        version: 1,
        exportedAt: new Date().toISOString(),
        conversations: [conversation('dated yesterday', day + 60_000), conversation('dated 4 days ago', 4 * day), conversation('dated last year', 300 * day)],
      }),
    });
    assert.equal(response.status, 201, await response.text());
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await sendPrompt(page, 'dated today');
    await waitForAnswerDone(page);
    const groupOf = (title: string) =>
      sidebar(page).getByRole('link', { name: title }).evaluate((link) => link.closest('section')?.getAttribute('aria-label'));
    // "Yesterday" is a day and a minute ago, so it is yesterday in any time zone but right after midnight.
    assert.equal(await groupOf('dated today'), 'Today');
    assert.ok(['Yesterday', 'Previous 7 days'].includes((await groupOf('dated yesterday'))!));
    assert.equal(await groupOf('dated 4 days ago'), 'Previous 7 days');
    assert.equal(await groupOf('dated last year'), 'Older');
    const headings = await sidebar(page).locator('h2').allInnerTexts();
    assert.deepEqual(headings.filter((heading) => heading !== 'Yesterday'), ['Today', 'Previous 7 days', 'Older']);
    await opened.close();
  });

  it('offers example prompts on the empty screen, the lesson’s among them; one fills the box', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    const examples = page.getByRole('list', { name: 'Example prompts' });
    await examples.getByRole('button', { name: 'Has math been invented or discovered?' }).click();
    assert.equal(await promptBox(page).inputValue(), 'Has math been invented or discovered?');
    assert.ok((await examples.getByRole('button').count()) >= 3);
    await opened.close();
  });

  it('labels: the model once, a copy button on answers, a labelled options button on phones, a clear footer hint', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    assert.equal((await page.locator('#model-picker option').first().innerText()).trim(), 'echo', 'not "echo · echo"');
    assert.match(await sidebar(page).getByRole('list', { name: 'Keyboard shortcuts' }).innerText(), /\/\s+focus the prompt/);
    await sendPrompt(page, 'copy me');
    await waitForAnswerDone(page);
    await answers(page).last().getByRole('button', { name: 'Copy' }).waitFor();
    await opened.close();

    const phone = await openPage(browser, server.url, { viewport: { width: 375, height: 667 } });
    const toggle = phone.page.getByRole('button', { name: 'Advanced options', exact: true });
    assert.ok(await toggle.getByText('Options', { exact: true }).isVisible(), 'a visible word, not only an icon');
    await phone.close();
  });

  it('keeps a streaming answer’s partial text, marked, when the server goes down', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await sendPrompt(page, longText('part', 600));
    const answer = answers(page).last();
    await answer.getByText(/part20\b/).waitFor();
    server.kill();
    await answer.getByText('This answer was interrupted; what was generated is kept.').waitFor();
    assert.match(await answer.innerText(), /part0 part1 part2/);
    assert.equal(await userMessages(page).count(), 1);
    await opened.close();
  });
});
