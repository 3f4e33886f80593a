/**
 * The page on the embedded engine with a generated thinking model (the tiny shape with Qwen3's
 * real template), in real Chromium. Random weights never close a think block by themselves, so
 * the server's `--grammar-file` grammar makes the model write `<think>…</think>answer`; the page
 * must show the thinking in a folded "Thinking" block above the answer, keep it out of the
 * answer's text and out of the next turn's prompt, and send the Thinking switch to the template.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureTestModel } from '../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend } from '../../src/backends/llamacpp/llamacpp-backend.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const GRAMMAR = 'root ::= "<think>\\n" words "\\n</think>\\n\\n" words\nwords ::= word (" " word){2,4}\nword ::= [a-z]{2,6}';

describe('a generated thinking model on the page (embedded engine)', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny-qwen3'), threads: 1, contextSize: 1024, grammar: GRAMMAR });
    [server, browser] = await Promise.all([startTestServer({ backend, modelId: 'tiny-qwen3' }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('folds the thinking above the answer, keeps it out of the next prompt, and sends the Thinking switch', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await page.getByLabel('Max new tokens').fill('80');
    await page.getByLabel('Seed').fill('5');
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await sendPrompt(page, 'What is 2 + 2?');
    await waitForAnswerDone(page);

    const answer = answers(page).first();
    const block = answer.locator('details.thinking');
    await block.waitFor();
    assert.equal(await block.evaluate((element) => (element as HTMLDetailsElement).open), false, 'folded once the answer is there');
    assert.match(await block.locator('summary').innerText(), /Thinking\s*thought for \d+(\.\d)? s/);
    const answerText = (await answer.locator('.content > .markdown').innerText()).trim();
    assert.match(answerText, /^[a-z]{2,6}( [a-z]{2,6}){2,4}$/);

    const conversationId = (await server.store.listConversations({ limit: 1 }))[0]!.id;
    const stored = (await server.store.listMessages(conversationId)).find((message) => message.role === 'assistant');
    const thought = stored?.generation?.reasoning?.text ?? '';
    assert.match(thought, /^[a-z]{2,6}( [a-z]{2,6}){2,4}$/);
    assert.equal(stored?.content, answerText);
    await block.locator('summary').click();
    assert.equal((await block.locator('.thoughts').innerText()).trim(), thought, 'the thoughts are shown once unfolded');

    // The second turn's prompt carries the first answer, not its thinking; the Thinking switch reaches the template.
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await page.getByRole('combobox', { name: /Think before answering/ }).selectOption('off');
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await sendPrompt(page, 'And 3 + 3?');
    await waitForAnswerDone(page);
    const prompt = server.requests.at(-1)?.prompt ?? '';
    assert.ok(prompt.includes(`<|im_start|>assistant\n${answerText}<|im_end|>`), prompt);
    assert.ok(!prompt.includes(thought), `no thinking in the second prompt: ${prompt}`);
    assert.ok(prompt.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), `enable_thinking: false reached the template: ${prompt}`);
    assert.deepEqual(opened.errors, []);
    await opened.close();
  });
});
