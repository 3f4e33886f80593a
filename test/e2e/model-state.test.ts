/**
 * The model's state on the page before any send: loading (with its download), failed (why, and the
 * fix), and what a send to a failed model leaves: the text in the box, and a stored question with a
 * failed answer and Retry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Backend } from '../../src/backends/backend.ts';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import { answers, openPage, promptBox, sendPrompt, userMessages, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

const LESSON_QUESTION = 'Has math been invented or discovered?';
const FAILURE = 'no network: could not download the default model; pass --model PATH or --endpoint URL';

describe('the model state, shown before any send', () => {
  let browser: Browser;

  before(async () => {
    browser = await testBrowser();
  });
  after(async () => {
    await endBrowserUse(browser);
  });

  it('loading: says so with the download progress, and goes away once the model is ready', async () => {
    let becomeReady!: (backend: Backend) => void;
    const loading = new Promise<Backend>((resolve) => (becomeReady = resolve));
    const server = await startTestServer({
      loadingBackend: loading,
      modelId: 'smollm2-135m-instruct-q8_0.gguf',
      downloadProgress: () => ({ receivedBytes: 72_000_000, totalBytes: 144_000_000 }),
    });
    const opened = await openPage(browser, server.url);
    try {
      const status = opened.page.getByRole('status', { name: 'Model status' });
      await status.getByText('Downloading smollm2-135m-instruct-q8_0.gguf: 50%').waitFor();
      assert.match(await status.innerText(), /72 MB of 144 MB/);
      assert.equal(await status.getByRole('progressbar').getAttribute('value'), '72000000');
      becomeReady(createEchoBackend({ backend: 'echo', delayMs: 0 }));
      // The page polls the model list while a model loads.
      await status.waitFor({ state: 'detached' });
      assert.deepEqual(opened.errors, []);
    } finally {
      await opened.close();
      await server.close();
    }
  });

  describe('failed', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ loadingBackend: Promise.reject(new Error(FAILURE)), modelId: 'llamacpp' });
    });
    after(async () => {
      await server?.close();
    });

    it('says why and how to fix it, before any send', async () => {
      const opened = await openPage(browser, server.url);
      try {
        const status = opened.page.getByRole('status', { name: 'Model status' });
        await status.getByText('The model llamacpp failed to load').waitFor();
        assert.match(await status.innerText(), /no network: could not download the default model/);
        assert.match(await status.innerText(), /anychat serve --model PATH\.gguf/);
      } finally {
        await opened.close();
      }
    });

    it('a send keeps the text in the box, and stores the question with a failed answer and Retry', async () => {
      const opened = await openPage(browser, server.url);
      const { page } = opened;
      try {
        await sendPrompt(page, LESSON_QUESTION);
        await answers(page).getByText(/No answer: model llamacpp failed to load/).waitFor();
        await waitForAnswerDone(page);
        assert.equal(await promptBox(page).inputValue(), LESSON_QUESTION, 'the typed text is back in the box');
        assert.equal(await userMessages(page).innerText(), LESSON_QUESTION);
        // Retry on the failed answer; the reason is in the model status notice, not repeated in a banner.
        await answers(page).getByRole('button', { name: 'Retry' }).waitFor();
        assert.equal(await page.getByRole('alert').count(), 0);

        // Stored, with its title, so it survives a reload and shows in the sidebar.
        const [summary] = await server.store.listConversations({});
        assert.equal(summary?.title, LESSON_QUESTION);
        const messages = await server.store.listMessages(summary!.id);
        assert.deepEqual(
          messages.map((message) => [message.role, message.content, message.generation?.status ?? null, message.generation?.error?.code ?? null]),
          [
            ['user', LESSON_QUESTION, null, null],
            ['assistant', '', 'error', 'model-load'],
          ],
        );
        await page.reload();
        await userMessages(page).getByText(LESSON_QUESTION).waitFor();
        await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: LESSON_QUESTION }).waitFor();
      } finally {
        await opened.close();
      }
    });
  });
});
