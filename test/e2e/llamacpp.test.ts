import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureTestModel } from '../../scripts/test-models/ensure-test-model.ts';
import { createLlamaCppBackend } from '../../src/backends/llamacpp/llamacpp-backend.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

describe('the page on the embedded llama.cpp engine (generated tiny model)', () => {
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    // One thread and a small window: the box is shared, and the tiny model needs no more.
    const backend = await createLlamaCppBackend({ backend: 'llamacpp', model: await ensureTestModel('tiny'), threads: 1, contextSize: 512 });
    [server, browser] = await Promise.all([startTestServer({ backend, modelId: 'tiny' }), testBrowser()]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('streams an answer with its stats, and shows the exact prompt of the lesson’s plain template', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    // The model picker names the backend next to the model.
    await page.locator('#model-picker option', { hasText: '· llamacpp' }).waitFor({ state: 'attached' });
    await page.getByRole('button', { name: 'Advanced options' }).click();
    await page.getByLabel('Max new tokens').fill('12');
    await page.getByLabel('Seed').fill('7');
    await page.getByLabel('Prompt template').selectOption('plain');
    await sendPrompt(page, 'Has math been invented or discovered?');
    await waitForAnswerDone(page);
    const answer = answers(page).last();
    await answer.getByText(/\d+ tokens · [\d.]+ tok\/s/).waitFor();
    assert.equal(server.requests.at(-1)?.parameters.maxNewTokens, 12);
    assert.equal(server.requests.at(-1)?.parameters.seed, 7);

    await answer.getByRole('button', { name: 'View prompt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prompt sent to the model' });
    // The lesson's format_chat_prompt: "User: …\nAssistant:".
    assert.match(await dialog.innerText(), /User: Has math been invented or discovered\?\s+Assistant:/);
    await page.keyboard.press('Escape');
    assert.deepEqual(opened.errors, []);
    await opened.close();
  });
});
