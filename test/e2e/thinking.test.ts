/**
 * A thinking model on the page, in real Chromium: the thinking streams in an open "Thinking"
 * block above the answer, folds once the answer starts, renders through the sanitized markdown
 * pipeline, says how long the model thought, and is still there (folded) after a reload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Backend, BackendInfo, GenerationEvent } from '../../src/backends/backend.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const THOUGHTS = ['The user wants **two** plus two. ', 'That is four. <img src=x onerror="window.pwned=1">'];

/** Thinks, then waits for the test to let it answer: the test sees the page mid-thought, with no sleep. */
function thinkingBackend(): { backend: Backend; letItAnswer: () => void } {
  let letItAnswer!: () => void;
  const answerAllowed = new Promise<void>((resolve) => (letItAnswer = resolve));
  const info: BackendInfo = {
    backend: 'echo',
    modelId: 'thinker',
    contextWindow: 4096,
    chatTemplate: null,
    specialTokens: { bos: null, eos: null },
    input: 'messages',
    exactTokenCount: false,
  };
  const backend: Backend = {
    name: 'echo',
    info: async () => info,
    countTokens: async (text) => Math.ceil(text.length / 4),
    async *generate(): AsyncGenerator<GenerationEvent> {
      for (const text of THOUGHTS) yield { type: 'reasoning-delta', text };
      await answerAllowed;
      yield { type: 'text-delta', text: '2 + 2 = 4.' };
      yield { type: 'finish', reason: 'eos', usage: { promptTokens: 8, completionTokens: 12 }, timings: { timeToFirstTokenMs: 1, tokensPerSecond: null, totalMs: 2 } };
    },
    close: async () => {},
  };
  return { backend, letItAnswer };
}

describe('a thinking model on the page', () => {
  let server: TestServer;
  let browser: Browser;
  const thinker = thinkingBackend();

  before(async () => {
    [server, browser] = await Promise.all([startTestServer({ backend: thinker.backend }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('streams the thinking open, folds it once the answer starts, and keeps it folded after a reload', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await sendPrompt(page, 'What is 2 + 2?');
    const answer = answers(page).first();
    const block = answer.locator('details.thinking');
    // Only thinking so far: the block is open and shows the thoughts, rendered as markdown.
    await block.getByText('That is four.').waitFor();
    assert.equal(await block.evaluate((element) => (element as HTMLDetailsElement).open), true, 'open while the model only thinks');
    assert.match(await block.locator('summary').innerText(), /Thinking\s*thinking…/);
    assert.equal(await block.locator('strong').innerText(), 'two');
    const meter = page.getByRole('meter', { name: 'Context window used' });
    const usedWhileThinking = Number(await meter.getAttribute('aria-valuenow'));

    thinker.letItAnswer();
    await waitForAnswerDone(page);
    // The meter counted the two thinking tokens while they were generated: the final count is the
    // prompt plus the 12 completion tokens the finish reports.
    const usedAtTheEnd = Number(await meter.getAttribute('aria-valuenow'));
    assert.equal(usedWhileThinking, usedAtTheEnd - 12 + THOUGHTS.length);
    assert.equal(await block.evaluate((element) => (element as HTMLDetailsElement).open), false, 'folded once the answer starts');
    assert.match(await block.locator('summary').innerText(), /Thinking\s*thought for \d+(\.\d)? s/);
    // The answer's text is the answer alone.
    assert.equal((await answer.locator('.content > .markdown').innerText()).trim(), '2 + 2 = 4.');

    await page.reload();
    const reloadedBlock = answers(page).first().locator('details.thinking');
    await reloadedBlock.waitFor();
    assert.equal(await reloadedBlock.evaluate((element) => (element as HTMLDetailsElement).open), false, 'folded after a reload');
    assert.match(await reloadedBlock.locator('summary').innerText(), /thought for \d+(\.\d)? s/);
    await reloadedBlock.locator('summary').click();
    await reloadedBlock.getByText('That is four.').waitFor();
    assert.equal(await page.evaluate(() => (window as { pwned?: number }).pwned), undefined, 'the thoughts are sanitized');
    assert.equal((await answers(page).first().locator('.content > .markdown').innerText()).trim(), '2 + 2 = 4.');
    // Never sent back: the one request held no thinking (it is the first turn), and the stored answer keeps it apart.
    const stored = (await server.store.listMessages((await server.store.listConversations({ limit: 1 }))[0]!.id)).find((message) => message.role === 'assistant');
    assert.equal(stored?.content, '2 + 2 = 4.');
    assert.equal(stored?.generation?.reasoning?.text, THOUGHTS.join(''));
    assert.deepEqual(opened.errors, []);
    await opened.close();
  });
});
