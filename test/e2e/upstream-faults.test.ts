/**
 * Every upstream fault on the page with a TGI upstream, and a representative few with an
 * OpenAI-compatible one: the page says what happened and what to do (no stack trace), shows the
 * text streamed before the fault marked as cut short, keeps it across a reload, and its Retry
 * answers once the upstream is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createBackend } from '../../src/backends/create-backend.ts';
import { busyConnectionsAfter, startFakeUpstream, type FakeUpstream, type RemoteBackendName } from '../robustness/support/fake-upstream.ts';
import {
  answerTimeoutMs,
  isExpectedPartial,
  question,
  stackTracePattern,
  upstreamFaultCases,
  upstreamTimeoutMs,
  type UpstreamFaultCase,
} from '../robustness/support/upstream-fault-cases.ts';
import { emptyTally, recordSurfaceTally } from '../robustness/support/upstream-fault-tally.ts';
import { answers, openPage, saveScreenshot, type OpenedPage, sendPrompt, waitForAnswerDone, waitForPageReady } from './support/browser.ts';
import { endBrowserUse, testBrowser } from './support/test-browser.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';
import { pollUntil, waitFor } from '../support/wait-for.ts';

const tally = emptyTally('page');
tally.notes.push(
  'fixed: the page showed an answer cut short by an upstream error like a whole answer (only a "failed" stat); it now says it was cut short and that its text is kept (AssistantMessage.svelte)',
  'fixed: the page said what happened but not what to do for timeout, unauthorized, validation, stream-cut, upstream, protocol and generation errors; every code now has advice (describe-error.ts)',
);

/** The OpenAI-compatible upstream gets one fault of each kind: connection, timing, stream, status, error event. */
const representativeForOpenAi = new Set([
  'refuses connections',
  'answers one byte at a time, too slowly',
  'drops the connection mid-stream',
  'sends invalid JSON',
  'answers HTTP 401 with its error JSON',
  'answers HTTP 503 with an empty body',
  'sends an error event inside a 200 stream',
]);

const plan: Array<[RemoteBackendName, readonly UpstreamFaultCase[]]> = [
  ['tgi', upstreamFaultCases],
  ['openai', upstreamFaultCases.filter((fault) => representativeForOpenAi.has(fault.name))],
];
// A renamed fault must not silently drop out of the OpenAI run.
assert.equal(plan[1]![1].length, representativeForOpenAi.size, 'every representative fault is in the catalogue');

/** What the page must make of each code: a title saying what happened. */
const titles: Record<string, RegExp> = {
  unreachable: /The model endpoint is down or unreachable/,
  timeout: /The model endpoint timed out/,
  'stream-cut': /The connection to the model was cut/,
  protocol: /The model endpoint sent something anychat cannot read/,
  unauthorized: /The model endpoint refused anychat’s credentials/,
  validation: /The request was rejected/,
  overloaded: /The model is busy with other requests/,
  upstream: /The model endpoint failed/,
  generation: /The model failed while generating/,
};

async function waitForModelReady(url: string): Promise<void> {
  await waitFor(
    async () => {
      const { models } = (await (await fetch(`${url}api/models`)).json()) as { models: Array<{ status: string }> };
      return models.every((model) => model.status === 'ready');
    },
    { what: 'the model to become ready' },
  );
}

async function schedulerCounts(url: string): Promise<string[]> {
  const metrics = await (await fetch(`${url}metrics`)).text();
  return metrics.split('\n').filter((line) => /^anychat_(queue_depth|active_sequences)\{/.test(line) && !line.endsWith(' 0'));
}

/** The failed answer as the page shows it: its text and the line that marks it as cut short. */
/**
 * The last answer's rendered text. It is scrolled into view first and read until it has text:
 * right after a reload or a version switch the answer may still be re-rendering, or be off screen
 * where content-visibility leaves it unlaid-out, and innerText is then empty for a moment.
 */
async function failedAnswerText(page: Page): Promise<string> {
  const answer = answers(page).last();
  await answer.scrollIntoViewIfNeeded();
  let text = '';
  await pollUntil(async () => (text = await answer.innerText()).trim() !== '', 5_000);
  return text;
}

after(() => recordSurfaceTally(tally));

describe('upstream faults on the page', () => {
  let browser: Browser;
  before(async () => {
    browser = await testBrowser();
  });
  after(() => endBrowserUse(browser));

  for (const [backendName, faults] of plan) {
    describe(`with a ${backendName} upstream`, () => {
      let upstream: FakeUpstream;
      let server: TestServer;
      // One tab for every fault, each in a new chat: a new browser context per fault costs more than the fault.
      let opened: OpenedPage;
      before(async () => {
        upstream = await startFakeUpstream(backendName);
        const backend = await createBackend({ backend: backendName, endpoint: upstream.endpoint, timeoutMs: upstreamTimeoutMs });
        server = await startTestServer({ backend, modelId: backendName, limits: { requestTimeoutMs: answerTimeoutMs } });
        await waitForModelReady(server.url);
        opened = await openPage(browser, server.url);
      });
      after(async () => {
        await opened?.close();
        await server?.close();
        await upstream?.server.close();
      });

      for (const fault of faults) {
        it(`${fault.name}: a clear message, the partial answer kept and marked, Retry answers`, async () => {
          tally.faultsInjected++;
          const { page } = opened;
          try {
            await page.goto(server.url);
            await waitForPageReady(page);
            // Leaving the previous chat may cancel its requests; only this fault's errors count.
            opened.errors.splice(0);
            await fault.inject(upstream);
            await sendPrompt(page, question);
            const alert = page.getByRole('alert');
            await alert.waitFor();
            await waitForAnswerDone(page);
            const code = fault.code(backendName);
            const alertText = await alert.innerText();
            assert.match(alertText, titles[code] ?? /^$/, alertText);
            assert.match(alertText, /retry|try again|check/i, `says what to do: ${alertText}`);
            assert.doesNotMatch(alertText, stackTracePattern);

            if (representativeForOpenAi.has(fault.name)) await saveScreenshot(page, `upstream-fault-${backendName}-${fault.name.replace(/\W+/g, '-')}`);
            // The text that arrived before the fault is on screen, marked as cut short.
            const shown = await failedAnswerText(page);
            assert.doesNotMatch(shown, stackTracePattern);
            const [firstLine = ''] = shown.split('\n');
            if (fault.partial.kind === 'none') {
              assert.match(firstLine, /^No answer: /, shown);
            } else {
              assert.ok(isExpectedPartial(fault.partial, firstLine), `shown before the fault: ${shown}`);
              assert.match(shown, /This answer was cut short by an error; what was generated is kept\./, `marked as cut short: ${shown}`);
              tally.partialAnswersKept++;
            }

            // Retry, once the upstream is back, answers in full and clears the message.
            await fault.clear(upstream);
            await alert.getByRole('button', { name: 'Retry' }).click();
            await waitForAnswerDone(page);
            assert.equal((await answers(page).last().innerText()).split('\n')[0], question);
            assert.equal(await alert.count(), 0);

            // After a reload, the failed answer is still there as the earlier version, still marked.
            await page.reload();
            await waitForPageReady(page);
            await page.getByRole('button', { name: 'Previous version' }).click();
            const kept = await failedAnswerText(page);
            const [keptFirstLine = ''] = kept.split('\n');
            if (keptFirstLine !== firstLine) tally.messagesLost++;
            assert.equal(keptFirstLine, firstLine);
            assert.match(kept, fault.partial.kind === 'none' ? /^No answer: / : /cut short by an error/);

            const busy = await busyConnectionsAfter(upstream, 2000);
            tally.leakedSockets += busy;
            assert.equal(busy, 0);
            assert.deepEqual(await schedulerCounts(server.url), []);
            assert.deepEqual(opened.errors.splice(0), [], 'no uncaught errors on the page');
          } finally {
            await fault.clear(upstream);
          }
        });
      }
    });
  }
});
