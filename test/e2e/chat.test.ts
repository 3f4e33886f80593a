import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { answers, openPage, promptBox, sendPrompt, userMessages, waitForAnswerDone, type OpenedPage } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('the chat page: what the lesson’s app did and what people expect', () => {
  let server: TestServer;
  let browser: Browser;
  let opened: OpenedPage;

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ echoDelayMs: 20 }), testBrowser()]);
    opened = await openPage(browser, server.url);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('sends with Enter, empties the box, streams the answer token by token', async () => {
    const { page } = opened;
    const prompt = promptBox(page);
    // While the answer streams it is partial and marked busy for assistive technology. The stream
    // lasts a fraction of a second, so a watcher in the page records the first busy state the DOM
    // shows, rather than racing the answer from the test.
    // A string, not a function: tsx would wrap a named function in a helper the page lacks.
    await page.evaluate(`new MutationObserver(() => {
      const busy = document.querySelector('article[aria-label="Answer"][aria-busy="true"]');
      if (busy && window.firstBusyAnswer === undefined) window.firstBusyAnswer = { text: busy.innerText };
    }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })`);
    await prompt.fill('one two three four five six seven eight nine ten');
    await prompt.press('Enter');
    assert.equal(await prompt.inputValue(), '');
    await userMessages(page).first().waitFor();
    const firstBusy = await page.waitForFunction(() => (window as unknown as { firstBusyAnswer?: { text: string } }).firstBusyAnswer);
    const partial = ((await firstBusy.jsonValue()) as { text: string }).text;
    assert.ok(!partial.includes('ten'), `expected a partial answer, got ${JSON.stringify(partial)}`);
    await waitForAnswerDone(page);
    assert.match(await answers(page).first().innerText(), /one two three four five six seven eight nine ten/);
    assert.match(await answers(page).first().innerText(), /10 tokens/);
  });

  it('Shift+Enter adds a line instead of sending', async () => {
    const { page } = opened;
    const prompt = promptBox(page);
    await prompt.fill('first line');
    await prompt.press('Shift+Enter');
    await prompt.pressSequentially('second line');
    assert.equal(await prompt.inputValue(), 'first line\nsecond line');
    await prompt.fill('');
  });

  it('sends the history with a follow-up question', async () => {
    const { page } = opened;
    await promptBox(page).fill('and why is that?');
    await page.getByRole('button', { name: 'Submit' }).click();
    await waitForAnswerDone(page);
    assert.equal(await answers(page).count(), 2);
    const messages = server.requests.at(-1)?.messages ?? [];
    assert.deepEqual(
      messages.filter((message) => message.role !== 'system').map((message) => message.role),
      ['user', 'assistant', 'user'],
    );
    assert.equal(messages.at(-1)?.content, 'and why is that?');
  });

  it('stops a streaming answer and keeps what was generated', async () => {
    const { page } = opened;
    await sendPrompt(page, Array.from({ length: 200 }, (_, index) => `word${index}`).join(' '));
    await page.getByRole('button', { name: 'Stop' }).click();
    await waitForAnswerDone(page);
    const text = await answers(page).last().innerText();
    assert.match(text, /word0/);
    assert.ok(!text.includes('word199'), 'the answer should have been cut');
    assert.match(text, /stopped/);
  });

  it('regenerates an answer as a new version (‹ 2/2 ›) and can go back', async () => {
    const { page } = opened;
    await sendPrompt(page, 'regenerate me');
    await waitForAnswerDone(page);
    const requestsBefore = server.requests.length;
    await answers(page).last().getByRole('button', { name: 'Regenerate' }).click();
    await waitForAnswerDone(page);
    assert.equal(server.requests.length, requestsBefore + 1);
    const last = answers(page).last();
    await last.getByText('2/2').waitFor();
    await last.getByRole('button', { name: 'Previous version' }).click();
    await answers(page).last().getByText('1/2').waitFor();
  });

  it('edits a user message into a new branch; the old branch stays navigable', async () => {
    const { page } = opened;
    await sendPrompt(page, 'original question');
    await waitForAnswerDone(page);
    const question = userMessages(page).last();
    await question.hover();
    await question.getByRole('button', { name: 'Edit' }).click();
    const editor = page.getByLabel('Edit message');
    await editor.fill('edited question');
    await editor.press('Enter');
    await waitForAnswerDone(page);
    assert.match(await answers(page).last().innerText(), /edited question/);
    await userMessages(page).last().getByText('2/2').waitFor();
    await userMessages(page).last().getByRole('button', { name: 'Previous version' }).click();
    await userMessages(page).last().getByText('1/2').waitFor();
    assert.match(await answers(page).last().innerText(), /original question/);
  });

  it('sends every advanced option to the backend', async () => {
    const { page } = opened;
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await page.getByLabel('System message').fill('You are a terse assistant.');
    await page.getByLabel('Temperature').fill('0.3');
    await page.getByLabel('Max new tokens').fill('64');
    await page.getByLabel('Top-p').fill('0.9');
    await page.getByLabel('Top-k').fill('40');
    await page.getByLabel('Repetition penalty').fill('1.2');
    await page.getByLabel('Seed').fill('1234');
    await page.getByLabel(/Stop sequences/).fill('\\nUser:\nEND');
    await sendPrompt(page, 'hello with options');
    await waitForAnswerDone(page);
    const request = server.requests.at(-1)!;
    assert.deepEqual(request.messages?.[0], { role: 'system', content: 'You are a terse assistant.' });
    assert.deepEqual(
      { ...request.parameters },
      { temperature: 0.3, maxNewTokens: 64, topP: 0.9, topK: 40, repetitionPenalty: 1.2, seed: 1234, stop: ['\nUser:', 'END'] },
    );
  });

  it('continues an answer cut at max new tokens', async () => {
    const { page } = opened;
    await page.getByLabel('Max new tokens').fill('3');
    await sendPrompt(page, 'alpha beta gamma delta epsilon');
    await waitForAnswerDone(page);
    const last = answers(page).last();
    await last.getByText('hit max new tokens').waitFor();
    assert.equal((await last.locator('.markdown').innerText()).trim(), 'alpha beta gamma');
    await page.getByLabel('Max new tokens').fill('');
    await last.getByRole('button', { name: 'Continue' }).click();
    await waitForAnswerDone(page);
    // The model is asked to carry on from the partial answer, which grows in place.
    assert.deepEqual(server.requests.at(-1)?.messages?.at(-1), { role: 'assistant', content: 'alpha beta gamma' });
    const continued = (await answers(page).last().locator('.markdown').innerText()).trim();
    assert.ok(continued.startsWith('alpha beta gamma') && continued.length > 'alpha beta gamma'.length, continued);
    // The stats are the whole answer's: the 3 tokens cut at the limit and the 5 that Continue added
    // (echo answers the question again, a token a word), not the last generation's alone.
    const stats = await answers(page).last().locator('.answer-stats').innerText();
    assert.match(stats, /\b8 tokens/, `${stats} for ${JSON.stringify(continued)}`);
    await page.getByRole('button', { name: 'Advanced options' }).click();
  });

  it('shows the exact prompt that was sent', async () => {
    const { page } = opened;
    await answers(page).last().getByRole('button', { name: 'View prompt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prompt sent to the model' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /You are a terse assistant\./);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });

  it('deletes a message', async () => {
    const { page } = opened;
    const countBefore = await answers(page).count();
    await answers(page).last().getByRole('button', { name: 'Delete' }).click();
    await answers(page).last().getByRole('button', { name: 'Delete?' }).click();
    await page.waitForFunction((count) => document.querySelectorAll('article[aria-label="Answer"]').length === count - 1, countBefore);
  });

  it('Clear empties the prompt and the chat window; the conversation stays in the sidebar', async () => {
    const { page } = opened;
    await promptBox(page).fill('draft text');
    await page.getByRole('button', { name: 'Clear' }).click();
    assert.equal(await promptBox(page).inputValue(), '');
    assert.equal(await answers(page).count(), 0);
    await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link').first().waitFor();
  });

  it('renames, searches and deletes conversations in the sidebar', async () => {
    const { page } = opened;
    await sendPrompt(page, 'a second conversation about zebras');
    await waitForAnswerDone(page);
    const sidebar = page.getByRole('navigation', { name: 'Conversations' });
    const item = sidebar.getByRole('listitem').filter({ hasText: 'zebras' });
    await item.hover();
    await item.getByRole('button', { name: 'Rename' }).click();
    const title = page.getByLabel('Conversation title');
    await title.fill('Zebra facts');
    await title.press('Enter');
    await sidebar.getByRole('link', { name: 'Zebra facts' }).waitFor();

    await page.getByLabel('Search conversations').fill('zebra');
    await page.waitForFunction(() => document.querySelectorAll('nav[aria-label="Conversations"] li a').length === 1);
    await page.getByLabel('Search conversations').fill('');

    const zebra = sidebar.getByRole('listitem').filter({ hasText: 'Zebra facts' });
    await zebra.hover();
    await zebra.getByRole('button', { name: 'Delete conversation' }).click();
    await zebra.getByRole('button', { name: 'Delete?' }).click();
    await sidebar.getByRole('link', { name: 'Zebra facts' }).waitFor({ state: 'detached' });
  });

  it('raised no page errors and no dialogs', () => {
    assert.deepEqual(opened.dialogs, []);
    assert.deepEqual(opened.errors, []);
  });
});
