/**
 * One server with several models on the page: the picker with every model's state, a conversation
 * that keeps its model, switching mid-conversation, regenerating with another model, and a model
 * loaded on demand whose load the page shows while the answer waits for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Backend } from '../../src/backends/backend.ts';
import { createEchoBackend } from '../../src/backends/echo/echo-backend.ts';
import type { ModelSource } from '../../src/server/models/served-model.ts';
import { answers, openPage, sendPrompt, waitForAnswerDone } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** An echo that shouts: its answers tell at a glance which model wrote them. */
function shoutingBackend(): Backend {
  const echo = createEchoBackend({ backend: 'echo', delayMs: 5 });
  return {
    ...echo,
    name: 'echo',
    async *generate(request, signal) {
      for await (const event of echo.generate(request, signal)) yield event.type === 'text-delta' ? { ...event, text: event.text.toUpperCase() } : event;
    },
  };
}

/** An echo whose answers stop after their first word until the test opens the gate: an answer held mid-stream. */
function steppingBackend(gate: Promise<void>): Backend {
  const echo = createEchoBackend({ backend: 'echo', delayMs: 5 });
  return {
    ...echo,
    name: 'echo',
    async *generate(request, signal) {
      let first = true;
      for await (const event of echo.generate(request, signal)) {
        yield event;
        if (first && event.type === 'text-delta') await gate;
        if (event.type === 'text-delta') first = false;
      }
    },
  };
}

const picker = (page: Page) => page.getByRole('combobox', { name: 'Model', exact: true });
const modelOfAnswer = (page: Page, index: number) => answers(page).nth(index).locator('.answer-model');

describe('several models on the page', () => {
  let browser: Browser;
  let server: TestServer;
  let finishLoading!: () => void;
  let loadProgress!: (fraction: number) => void;
  let markLoadStarted!: () => void;
  const loadStarted = new Promise<void>((resolve) => (markLoadStarted = resolve));
  let releaseStepper!: () => void;
  const stepperGate = new Promise<void>((resolve) => (releaseStepper = resolve));

  before(async () => {
    browser = await testBrowser();
    const loadGate = new Promise<void>((resolve) => (finishLoading = resolve));
    const slowpoke: ModelSource = {
      id: 'slowpoke',
      backendName: 'llamacpp',
      parallel: 1,
      maxQueue: 4,
      // A local model loaded on demand, its load held open by the test: 40% read, then waiting.
      load: async ({ onLoadProgress }) => {
        loadProgress = onLoadProgress;
        onLoadProgress(0.4);
        markLoadStarted();
        await loadGate;
        return createEchoBackend({ backend: 'echo', delayMs: 5 });
      },
    };
    const brokenLoad = Promise.reject(new Error('Model file /models/broken.gguf is not found.'));
    // The server reports it; nothing else awaits it.
    brokenLoad.catch(() => {});
    server = await startTestServer({
      models: [
        { id: 'parrot', backend: createEchoBackend({ backend: 'echo', delayMs: 5 }), parallel: 2, maxQueue: 4 },
        { id: 'shouter', backend: shoutingBackend(), parallel: 2, maxQueue: 4 },
        slowpoke,
        { id: 'stepper', backend: steppingBackend(stepperGate), parallel: 2, maxQueue: 4 },
        { id: 'broken', backendName: 'llamacpp', parallel: 1, maxQueue: 1, backend: brokenLoad },
      ],
    });
  });
  after(async () => {
    await endBrowserUse(browser);
    await server?.close();
  });

  it('lists every model with its state, keeps each conversation’s model, and answers the next turn with a model picked mid-conversation', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    try {
      await picker(page).waitFor();
      const options = await picker(page).locator('option').allInnerTexts();
      assert.deepEqual(options, ['parrot · echo', 'shouter · echo', 'slowpoke · llamacpp (not loaded)', 'stepper · echo', 'broken · llamacpp (failed: Model file /models/broken.gguf is not found.)']);
      assert.equal(await picker(page).locator('option', { hasText: 'broken' }).isDisabled(), true);

      await sendPrompt(page, 'first turn');
      await waitForAnswerDone(page);
      assert.equal(await answers(page).nth(0).locator('.markdown, p').first().innerText(), 'first turn');
      assert.equal(await modelOfAnswer(page, 0).innerText(), 'parrot');

      await picker(page).selectOption({ label: 'shouter · echo' });
      await sendPrompt(page, 'second turn');
      await waitForAnswerDone(page);
      await answers(page).nth(1).getByText('SECOND TURN').waitFor();
      assert.equal(await modelOfAnswer(page, 1).innerText(), 'shouter');
      // The first answer still says who wrote it.
      assert.equal(await modelOfAnswer(page, 0).innerText(), 'parrot');

      // The conversation remembers its model: a new chat starts elsewhere, and coming back restores it.
      const conversationUrl = page.url();
      await page.reload();
      await answers(page).nth(1).waitFor();
      assert.equal(await picker(page).inputValue(), 'shouter');
      assert.equal(conversationUrl, page.url());

      // Regenerate the first answer with the shouting model: a sibling, written by it.
      await answers(page).nth(0).getByRole('combobox', { name: 'Regenerate with another model' }).selectOption('shouter');
      await waitForAnswerDone(page);
      await answers(page).nth(0).getByText('FIRST TURN').waitFor();
      assert.equal(await modelOfAnswer(page, 0).innerText(), 'shouter');
      assert.match(await answers(page).nth(0).innerText(), /2\s*\/\s*2/);
      assert.deepEqual(opened.errors, []);
    } finally {
      await opened.close();
    }
  });

  it('a model still loading: the answer waits, the page shows the load’s progress, then the answer comes', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    try {
      await picker(page).waitFor();
      await picker(page).selectOption('slowpoke');
      await sendPrompt(page, 'worth the wait');
      await loadStarted;
      const status = page.getByRole('status', { name: 'Model status' });
      await status.getByText('Loading slowpoke: 40%').waitFor();
      assert.equal(await status.getByRole('progressbar', { name: 'Load progress' }).getAttribute('value'), '40');
      await picker(page).locator('option', { hasText: 'slowpoke · llamacpp (loading 40%)' }).waitFor({ state: 'attached' });
      loadProgress(0.9);
      await status.getByText('Loading slowpoke: 90%').waitFor();
      finishLoading();
      await waitForAnswerDone(page);
      await answers(page).last().getByText('worth the wait').waitFor();
      assert.equal(await modelOfAnswer(page, 0).innerText(), 'slowpoke');
      await status.waitFor({ state: 'detached' });
      // Ready now, and named by the backend it loaded (the test's stand-in is an echo).
      assert.equal(await picker(page).locator('option', { hasText: 'slowpoke' }).innerText(), 'slowpoke · echo');
      assert.deepEqual(opened.errors, []);
    } finally {
      await opened.close();
    }
  });

  it('compare: one message to two models, both answers streaming side by side with their stats, one kept as the branch', async () => {
    const opened = await openPage(browser, server.url);
    const { page } = opened;
    try {
      await picker(page).waitFor();
      // The held model first: the other answers in full while it is still mid-answer.
      await picker(page).selectOption('stepper');
      await page.getByLabel('Compare with other models').click();
      await page.getByRole('checkbox', { name: 'parrot' }).check();
      await page.getByLabel('Compare with other models').click();
      await sendPrompt(page, 'compare me please');
      const compared = page.getByRole('region', { name: 'Compared answers' });
      const fromStepper = compared.getByRole('article', { name: 'Answer from stepper' });
      const fromParrot = compared.getByRole('article', { name: 'Answer from parrot' });
      await fromStepper.getByText('compare', { exact: true }).waitFor();
      await fromParrot.getByText('compare me please').waitFor();
      // Both at once: parrot has finished, with its stats, while stepper is still writing.
      await fromParrot.locator('.answer-stats').waitFor();
      assert.equal(await fromStepper.getAttribute('aria-busy'), 'true');
      assert.match(await fromParrot.locator('.answer-stats').innerText(), /^3 tokens · [\d.]+ tok\/s · \d+ ms to first token · finished$/);
      releaseStepper();
      await fromStepper.getByText('compare me please').waitFor();
      await fromStepper.locator('.answer-stats').waitFor();
      assert.match(await fromStepper.locator('.answer-stats').innerText(), /^3 tokens · [\d.]+ tok\/s · [\d.]+ m?s to first token · finished$/);
      await waitForAnswerDone(page);

      await fromParrot.getByRole('button', { name: 'Keep this answer' }).click();
      await compared.waitFor({ state: 'detached' });
      assert.equal(await answers(page).count(), 1);
      assert.equal(await modelOfAnswer(page, 0).innerText(), 'parrot');
      assert.match(await answers(page).nth(0).innerText(), /compare me please/);
      // The other answer stays a sibling, and the conversation goes on with the kept answer's model.
      assert.match(await answers(page).nth(0).innerText(), /\d\s*\/\s*2/);
      assert.equal(await picker(page).inputValue(), '');
      await page.reload();
      await answers(page).nth(0).waitFor();
      // The text in the page, not innerText: just after a reload the answer can be in the page
      // before its first rendering update, and innerText reads '' until then.
      assert.equal(await modelOfAnswer(page, 0).textContent(), 'parrot');
      assert.deepEqual(opened.errors, []);
    } finally {
      await opened.close();
    }
  });
});
