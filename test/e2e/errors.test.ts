import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Backend, BackendErrorCode, GenerationEvent } from '../../src/backends/backend.ts';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import { answers, openPage, saveScreenshot, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** The echo backend, except that the next generations fail with the queued error codes. */
function failingEcho(failures: BackendErrorCode[], options: { delayMs: number; contextWindow: number }): Backend {
  const echo = createEchoBackend({ backend: 'echo', ...options });
  return {
    ...echo,
    async *generate(request, signal): AsyncGenerator<GenerationEvent> {
      const failure = failures.shift();
      if (failure) {
        yield { type: 'error', code: failure, message: `connect ECONNREFUSED 127.0.0.1:8080 (${failure})` };
        return;
      }
      yield* echo.generate(request, signal);
    },
  };
}

describe('clear error states with a Retry', () => {
  const failures: BackendErrorCode[] = [];
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    [server, browser] = await Promise.all([
      startTestServer({ backend: failingEcho(failures, { delayMs: 10, contextWindow: 1024 }), parallel: 1, maxQueue: 0 }),
      testBrowser(),
    ]);
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('endpoint down: says so, and Retry answers once it is back', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    failures.push('unreachable');
    await sendPrompt(page, 'are you there?');
    const alert = page.getByRole('alert');
    await alert.getByText('The model endpoint is down or unreachable').waitFor();
    await saveScreenshot(page, 'error-endpoint-down-light');
    await alert.getByRole('button', { name: 'Retry' }).click();
    await waitForAnswerDone(page);
    assert.match(await answers(page).last().innerText(), /are you there\?/);
    assert.equal(await alert.count(), 0);
    await opened.close();
  });

  it('overloaded: a second answer while the only slot is busy is refused with a clear message', async () => {
    const first = await openPage(browser, server.url);
    const second = await openPage(browser, server.url);
    await sendPrompt(first.page, Array.from({ length: 200 }, (_, index) => `busy${index}`).join(' '));
    await first.page.locator('article[aria-busy="true"]').waitFor();
    await sendPrompt(second.page, 'me too');
    await second.page.getByRole('alert').getByText('The model is busy with other requests').waitFor();
    await first.page.getByRole('button', { name: 'Stop' }).click();
    await waitForAnswerDone(first.page);
    await second.page.getByRole('alert').getByRole('button', { name: 'Retry' }).click();
    await waitForAnswerDone(second.page);
    assert.match(await answers(second.page).last().innerText(), /me too/);
    await first.close();
    await second.close();
  });

  it('over the window: drops older turns with a notice, and refuses a message too long to fit', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    // The echo backend estimates 4 characters a token; 512 of its 1024 are kept for the answer.
    const paragraph = 'This sentence is here to fill the context window of a very small model. '.repeat(8);
    for (let turn = 0; turn < 3; turn++) {
      await sendPrompt(page, `${turn}: ${paragraph}`);
      await waitForAnswerDone(page);
    }
    await page.getByRole('status').getByText(/older turns? (was|were) left out/).waitFor();
    await saveScreenshot(page, 'context-dropped-turns-light');
    await sendPrompt(page, paragraph.repeat(4));
    await page.getByRole('alert').getByText(/no longer fits the model’s context window/).waitFor();
    await opened.close();
  });
});
