/**
 * Screenshots of the page's states for docs/: empty, loading, failed, Advanced options open and an
 * error, at 1280 and 375 px, light and dark; and the README's picture, an answer from the embedded
 * llama.cpp engine on the generated SmolLM2-shaped test model (random weights: its words are
 * noise, and the README says so).
 *
 *   npm run build:web && node --import tsx scripts/take-screenshots.ts [output folder, default docs/screenshots]
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Backend } from '../src/backends/backend.ts';
import { createBackend } from '../src/backends/create-backend.ts';
import { launchBrowser, openPage, promptBox, sendPrompt, waitForAnswerDone } from '../test/e2e/support/browser.ts';
import { repositoryPath, startTestServer, type TestServerOptions } from '../test/e2e/support/test-server.ts';

const outputFolder = path.resolve(process.argv[2] ?? repositoryPath('docs', 'screenshots'));
const viewports = [
  { name: '1280', viewport: { width: 1280, height: 800 } },
  { name: '375', viewport: { width: 375, height: 740 } },
];
const themes = ['light', 'dark'] as const;

async function shoot(page: Page, name: string): Promise<void> {
  // Two frames: everything the last event changed is drawn.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  await page.screenshot({ path: path.join(outputFolder, `${name}.png`) });
  process.stderr.write(`${name}.png\n`);
}

/** One server per state, every viewport and theme against it. */
async function eachView(browser: Browser, options: TestServerOptions, state: string, act: (page: Page) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    for (const { name, viewport } of viewports) {
      for (const colorScheme of themes) {
        const opened = await openPage(browser, server.url, { viewport, colorScheme });
        await act(opened.page);
        await shoot(opened.page, `${state}-${name}-${colorScheme}`);
        await opened.close();
      }
    }
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  await mkdir(outputFolder, { recursive: true });
  const browser = await launchBrowser();
  try {
    await eachView(browser, {}, 'empty', async () => {});
    await eachView(
      browser,
      {
        loadingBackend: new Promise<Backend>(() => {}),
        modelId: 'SmolLM2-135M-Instruct-Q8_0.gguf',
        downloadProgress: () => ({ receivedBytes: 61_000_000, totalBytes: 145_000_000 }),
      },
      'loading',
      async (page) => void (await page.getByRole('status', { name: 'Model status' }).waitFor()),
    );
    const failure = new Error(
      'Cannot download hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q8_0.gguf: no network (getaddrinfo ENOTFOUND huggingface.co). Pass --model PATH with a GGUF file, or --endpoint URL.',
    );
    const failed = Promise.reject(failure);
    failed.catch(() => {});
    await eachView(browser, { loadingBackend: failed, modelId: 'llamacpp' }, 'failed', async (page) => {
      await sendPrompt(page, 'Has math been invented or discovered?');
      await page.locator('article[aria-label="Answer"]').getByRole('button', { name: 'Retry' }).waitFor();
      await waitForAnswerDone(page);
    });
    await eachView(browser, {}, 'advanced-options', async (page) => {
      await page.getByRole('button', { name: 'Advanced options', exact: true }).click();
      const options = page.getByRole('group', { name: 'Advanced options' });
      await options.getByLabel('System message').fill('You are a patient maths teacher.');
      await options.getByLabel('Temperature').fill('-1');
      await promptBox(page).fill('Has math been invented or discovered?');
      await promptBox(page).press('Enter');
      await options.getByText(/^Temperature must be/).waitFor();
    });
    await eachView(browser, {}, 'error', async (page) => {
      await page.route('**/api/conversations/*/messages', (route) => route.abort('internetdisconnected'));
      await sendPrompt(page, 'Has math been invented or discovered?');
      await page.getByRole('alert').waitFor();
      await page.waitForFunction(() => (document.getElementById('prompt') as HTMLTextAreaElement).value !== '');
    });

    // The README's picture: the embedded engine answering, on the generated test model.
    const model = repositoryPath('.cache', 'models', 'smollm2-135m-shape-q8_0.gguf');
    const backend = await createBackend({ backend: 'llamacpp', model, contextSize: 1024, threads: 2 });
    const server = await startTestServer({ backend, modelId: 'smollm2-135m-shape-q8_0.gguf' });
    try {
      for (const colorScheme of themes) {
        const opened = await openPage(browser, server.url, { viewport: { width: 1280, height: 800 }, colorScheme });
        const { page } = opened;
        await page.getByRole('button', { name: 'Advanced options', exact: true }).click();
        const options = page.getByRole('group', { name: 'Advanced options' });
        await options.getByLabel('Max new tokens').fill('24');
        await options.getByLabel('Seed').fill('7');
        await page.getByRole('group', { name: 'Advanced options' }).getByRole('button', { name: 'Close' }).click();
        await sendPrompt(page, 'Has math been invented or discovered?');
        await waitForAnswerDone(page, 120_000);
        await shoot(page, `answer-llamacpp-1280-${colorScheme}`);
        await opened.close();
      }
    } finally {
      await server.close();
      await backend.close();
    }
  } finally {
    await browser.close();
  }
}

await main();
